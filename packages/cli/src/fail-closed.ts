/**
 * Fail closed: until a command has returned its exit code, the process's exit code is 4. Node
 * exits when nothing is left to wait for — a stream destroyed mid-way whose reader never settles,
 * a promise nobody resolves — and by default with 0: a run would pass without a verdict (this was
 * seen with an export stream cut short). With this, such an ending is an infrastructure failure,
 * said in one line.
 */
import { EXIT } from './exit-codes.js';

/** Arm the guard; call the returned function once the command's outcome is known. */
export function failClosed(): () => void {
  let settled = false;
  process.exitCode = EXIT.infrastructure;
  process.on('exit', () => {
    if (!settled && process.exitCode === EXIT.infrastructure) {
      process.stderr.write('error: safe-install ended before the run reached a verdict (an internal stream stopped); nothing was installed\n');
    }
  });
  return () => {
    settled = true;
  };
}
