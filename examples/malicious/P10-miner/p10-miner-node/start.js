// P10 in Node: start a "miner" — node running a four-second busy loop — with a miner's arguments.
const { spawnSync } = require('child_process');
const loop = 'const end = Date.now() + 4000; let x = 0; while (Date.now() < end) x = (x * 31 + 7) % 1000003;';
spawnSync(process.execPath, ['-e', loop, '--', '--url=stratum+tcp://xmr.pool.invalid:3333', '--user=wallet.worker1', '--coin=monero', '--donate-level=0', '--threads=2'], { stdio: 'ignore' });
