const fs = require('fs');
fs.mkdirSync(`${__dirname}/lib`, { recursive: true });
fs.writeFileSync(`${__dirname}/lib/index.js`, "module.exports = require('npm-calling-bin/dist/index.js');\n");
