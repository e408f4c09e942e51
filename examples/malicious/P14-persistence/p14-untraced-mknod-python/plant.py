# P14 in Python, past the syscall trace: mknod() makes a regular file without open(), and
# truncate() gives it a size without write() — the tracer stops on neither, so only the
# filesystem diff shows the new ~/.bash_login (a login shell would source it). It stays empty:
# harmless, but a file no traced call created. The same trick leaves a blob in its own folder.
import os
home = os.path.expanduser('~')
for path in (os.path.join(home, '.bash_login'), os.path.join(os.getcwd(), 'cache.bin')):
    try:
        os.mknod(path, 0o644)
        os.truncate(path, 0)
    except OSError:
        pass
