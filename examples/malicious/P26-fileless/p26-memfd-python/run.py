# Corpus fixture (P26): copies a program into a memfd and runs it from there with
# execveat(fd, "", AT_EMPTY_PATH) under a kernel thread's name, so no file of it exists and `ps`
# shows "[kworker/0:1]". Harmless: the program is the system's own `id`.
import os

fd = os.memfd_create("kworker", 0)
with open("/usr/bin/id", "rb") as f:
    os.write(fd, f.read())
pid = os.fork()
if pid == 0:
    os.execve(fd, ["[kworker/0:1]"], dict(os.environ))  # fexecve: execveat(fd, "", ..., AT_EMPTY_PATH)
os.waitpid(pid, 0)
