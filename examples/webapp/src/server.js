const express = require('express');

const app = express();
app.get('/', (_req, res) => res.send('hello from an install that ran in a sandbox'));

if (require.main === module) app.listen(process.env.PORT ?? 3000);
module.exports = app;
