// P29: attack the observer's memory and terminal. npm keeps a failed script's output and prints it,
// so every byte of this reaches the package manager's stderr and, without caps, the host.
const line = `${'x'.repeat(1024 * 1024 - 1)}\n`;
let left = 256;
const more = () => {
  while (left > 0) {
    left -= 1;
    if (!process.stdout.write(line)) return process.stdout.once('drain', more);
  }
  const endless = 'y'.repeat(1024 * 1024);
  let parts = 64;
  const tail = () => {
    while (parts > 0) {
      parts -= 1;
      if (!process.stderr.write(endless)) return process.stderr.once('drain', tail);
    }
    process.exitCode = 1;
  };
  tail();
};
more();
