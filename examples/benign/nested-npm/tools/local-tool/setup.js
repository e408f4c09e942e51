require('fs').writeFileSync(`${__dirname}/generated.json`, JSON.stringify({ ok: true }) + '\n');
