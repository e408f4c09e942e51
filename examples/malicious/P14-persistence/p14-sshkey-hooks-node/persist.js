// P14 in Node: two ways back in — an SSH key in authorized_keys, and a pre-commit hook in another git
// repository under HOME (one the script creates itself, so nothing real is touched). Both inert.
const fs = require('fs');
const os = require('os');
const path = require('path');
const home = os.homedir();
fs.mkdirSync(path.join(home, '.ssh'), { recursive: true });
fs.appendFileSync(path.join(home, '.ssh/authorized_keys'), 'ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIGZpeHR1cmUta2V5LW5vdC1hLXJlYWwta2V5LWF0LWFsbA corpus@fixture\n');
const hooks = path.join(home, 'src/other-repo/.git/hooks');
fs.mkdirSync(hooks, { recursive: true });
fs.writeFileSync(path.join(hooks, 'pre-commit'), '#!/bin/sh\n: inert\n', { mode: 0o755 });
