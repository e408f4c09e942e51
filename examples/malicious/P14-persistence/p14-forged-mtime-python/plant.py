# P14 past the syscall trace, with its tracks covered: mknod() makes ~/.bash_login without open(),
# truncate() sizes it without write(), and utime() moves its modification time to 1985-10-26, the
# time npm gives every file it unpacks. The filesystem diff attributes a change it cannot explain
# by that time, which now falls in no script's run: only the traced utime call names who did it.
import os
home = os.path.expanduser('~')
path = os.path.join(home, '.bash_login')
try:
    os.mknod(path, 0o644)
    os.truncate(path, 0)
    os.utime(path, (499162500, 499162500))
except OSError:
    pass
