# P28 in Python, evasive: only a developer's desktop is worth the risk. Anything watched (a
# TracerPid, a tracer in the process list) or headless (no desktop session in the process list: CI,
# a container, an analysis box) is left alone — the sample stops at once and does nothing, so an
# analysis that waits for behaviour sees none. What it would do on a desktop is in the payload it
# never reaches (harmless here: it would only print).
import os

def read(path):
    try:
        with open(path, "rb") as f:
            return f.read().decode("utf-8", "replace")
    except OSError:
        return ""

traced = any(line.split()[1] != "0" for line in read("/proc/self/status").splitlines() if line.startswith("TracerPid:"))
commands = [read(f"/proc/{p}/cmdline").replace("\0", " ") for p in os.listdir("/proc") if p.isdigit()]
watched = traced or any(word in c for c in commands for word in ("strace", "gdb", "frida"))
desktop = any(word in c for c in commands for word in ("gnome-shell", "plasmashell", "Xorg", "Xwayland", "explorer.exe", "WindowServer"))
if watched or not desktop:
    raise SystemExit(0)
print("payload would run here")
