#!/bin/sh
# P21 in plain shell: Shai-Hulud 2.0's fallback when it could not steal anything was to shred every
# writable file the user owns in HOME. This keeps the exact command shape but points it only at a
# folder it fills itself, so nothing it did not create is touched (and no decoy is read).
target="$HOME/Documents-p21"
mkdir -p "$target"
for name in notes.txt todo.md budget.csv; do echo "copy of $name" > "$target/$name"; done
find "$target" -type f -writable -user "$(id -un)" -print0 | xargs -0 -r shred -uvz -n 1 > /dev/null 2>&1
rm -rf "$target"
exit 0
