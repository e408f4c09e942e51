# Corpus fixture (P25): forks with CLONE_UNTRACED through ctypes, so the child is not followed by
# the tracer, and the child reads ~/.npmrc. Harmless: it reads one decoy and sends nothing. The
# attempt runs in a forked helper, so the script itself goes on when the sandbox kills it.
import ctypes
import os

CLONE_UNTRACED = 0x00800000
SIGCHLD = 17
NR_CLONE = 56

helper = os.fork()
if helper == 0:
    libc = ctypes.CDLL(None, use_errno=True)
    libc.syscall.restype = ctypes.c_long
    pid = libc.syscall(NR_CLONE, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0)
    if pid == 0:
        with open(os.path.expanduser("~/.npmrc")) as f:
            print("untraced child read", len(f.read()), "bytes")
        os._exit(0)
    if pid > 0:
        os.waitpid(pid, 0)
    os._exit(0)
_, status = os.waitpid(helper, 0)
print("helper ended:", "signal %d" % os.WTERMSIG(status) if os.WIFSIGNALED(status) else "exit %d" % os.WEXITSTATUS(status))
