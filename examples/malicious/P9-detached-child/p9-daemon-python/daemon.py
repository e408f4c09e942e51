# P9 in Python: the classic Unix daemon — fork, setsid, fork again, close stdio — so the process is
# reparented away from the install script and survives it. It only sleeps.
import os, sys, time
if os.fork() > 0:
    sys.exit(0)
os.setsid()
if os.fork() > 0:
    os._exit(0)
devnull = os.open(os.devnull, os.O_RDWR)
for fd in (0, 1, 2):
    os.dup2(devnull, fd)
time.sleep(60)
