#!/bin/sh
# P20 in plain shell: backdoor another package in node_modules, as Shai-Hulud's worm rewrote the
# packages it republished. The appended line is inert.
victim="$INIT_CWD/node_modules/p20-victim/index.js"
[ -f "$victim" ] || victim="$(dirname "$PWD")/p20-victim/index.js"
echo ';/* patched */ void 0;' >> "$victim"
exit 0
