# P14 in Python: an XDG autostart entry and a systemd user service, both starting an inert command.
import os
home = os.path.expanduser("~")
autostart = os.path.join(home, ".config/autostart/node-updater.desktop")
unit = os.path.join(home, ".config/systemd/user/node-updater.service")
for path in (autostart, unit):
    os.makedirs(os.path.dirname(path), exist_ok=True)
with open(autostart, "w") as f:
    f.write("[Desktop Entry]\nType=Application\nName=node-updater\nExec=/bin/true\n")
with open(unit, "w") as f:
    f.write("[Unit]\nDescription=node updater\n[Service]\nExecStart=/bin/true\n[Install]\nWantedBy=default.target\n")
