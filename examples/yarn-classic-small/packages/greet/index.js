const leftPad = require('left-pad');
module.exports = (name) => `hello, ${leftPad(name, 8, '.')}`;
