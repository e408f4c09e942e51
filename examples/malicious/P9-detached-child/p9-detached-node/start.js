// P9 in Node, as Shai-Hulud 2.0 and the axios dropper did outside CI: start the real work in a
// detached child and let the install script return at once. The child only waits.
const { spawn } = require('child_process');
const child = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { detached: true, stdio: 'ignore' });
child.unref();
