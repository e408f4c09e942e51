module.exports = (fn) => (xs) => xs.flatMap(fn);
