# P13 in Python: a home-made secret scanner — walk HOME, open every file, keep the paths of the ones
# that look like they hold keys or tokens. Nothing leaves; the inventory stays in /tmp.
import os, re
pattern = re.compile(rb"(?:token|secret|password|PRIVATE KEY|aws_access_key_id)", re.I)
hits = []
for root, dirs, files in os.walk(os.path.expanduser("~")):
    dirs[:] = [d for d in dirs if d not in ("node_modules", ".npm")]
    for name in files:
        path = os.path.join(root, name)
        try:
            with open(path, "rb") as f:
                if pattern.search(f.read(65536)):
                    hits.append(path)
        except OSError:
            pass
with open("/tmp/inventory.txt", "w") as f:
    f.write("\n".join(hits))
