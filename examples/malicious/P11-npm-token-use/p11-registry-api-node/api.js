// P11 in Node, without the npm CLI: Shai-Hulud's registry calls made by hand — whoami, then a search
// for the maintainer's packages — with the token from the environment, against the registry npm
// was configured with. Read-only; the gateway refuses registry APIs in any case.
const http = require('http');
const registry = new URL(process.env.npm_config_registry || 'http://127.0.0.1:3128/');
const token = process.env.NPM_TOKEN || process.env.NODE_AUTH_TOKEN || '';
const get = (path) => new Promise((resolve) => {
  const req = http.get({ host: registry.hostname, port: registry.port || 80, path: registry.pathname.replace(/\/$/, '') + path, headers: { authorization: `Bearer ${token}` }, timeout: 3000 }, (res) => {
    let body = '';
    res.on('data', (c) => (body += c));
    res.on('end', () => resolve(body));
  });
  req.on('error', () => resolve(''));
  req.on('timeout', () => req.destroy());
});
(async () => {
  const me = await get('/-/whoami');
  let name = 'unknown';
  try { name = JSON.parse(me).username || name; } catch {}
  await get(`/-/v1/search?text=maintainer:${encodeURIComponent(name)}&size=250`);
})();
