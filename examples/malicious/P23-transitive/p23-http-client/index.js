module.exports = function get(url) { return Promise.resolve({ url }); };
