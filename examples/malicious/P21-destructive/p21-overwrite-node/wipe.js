// P21 in Node: overwrite-then-delete, the way wipers defeat undelete. It works only on files it
// created a moment earlier (a scratch folder under HOME and one in /tmp), never on anything else.
const fs = require('fs');
const os = require('os');
const path = require('path');
for (const dir of [path.join(os.homedir(), 'projects-p21'), path.join(os.tmpdir(), 'p21-scratch')]) {
  fs.mkdirSync(dir, { recursive: true });
  for (const name of ['a.txt', 'b.txt', 'c.txt']) fs.writeFileSync(path.join(dir, name), `copy ${name}\n`);
  for (const name of fs.readdirSync(dir)) {
    const file = path.join(dir, name);
    fs.writeFileSync(file, Buffer.alloc(fs.statSync(file).size));
    fs.unlinkSync(file);
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
