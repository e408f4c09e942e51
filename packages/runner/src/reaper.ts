/**
 * Ends the install user's processes. Root here has no CAP_KILL, so a kill has to come from a
 * process of that user. Spawning `kill` for each one needs a free pid, and a script that exhausts
 * the pid limit (a fork bomb) would leave the runner unable to end it. So one shell of the install
 * user is started before the install, while pids are plenty, and kills on request with its builtin
 * `kill` — no fork. If the install killed it (a signal the trace records), each request falls
 * back to spawning `kill`.
 */
import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';

export interface Reaper {
  /** SIGKILL these pids, or `-1` for every process of the install user. */
  kill(pids: readonly string[]): void;
  /** The reaper's own shell (a process of the install user that is not the install's). */
  readonly pid: number | undefined;
  close(): void;
}

/** The shell loop: one line of pids in, one `kill -KILL` out. */
export const REAPER_SCRIPT = 'while read -r pids; do kill -KILL $pids 2>/dev/null; done';

export function startReaper(uid: number, gid: number): Reaper {
  let shell: ChildProcessWithoutNullStreams | null = spawn('/bin/sh', ['-c', REAPER_SCRIPT], { uid, gid, stdio: 'pipe' });
  const gone = () => {
    shell = null;
  };
  shell.on('exit', gone);
  shell.on('error', gone);
  shell.stdin.on('error', gone);
  const fallback = (pids: readonly string[]) => {
    // Never spawnSync: the forwarder shares this event loop.
    spawn('kill', ['-KILL', ...pids], { uid, gid, stdio: 'ignore' }).on('error', () => undefined);
  };
  const pid = shell.pid;
  return {
    pid,
    kill(pids) {
      // Only numbers (and -1) ever reach the shell: the pids come from /proc and the trace.
      const safe = pids.filter((pid) => /^-?\d+$/.test(pid));
      if (safe.length === 0) return;
      if (shell !== null && shell.stdin.writable) shell.stdin.write(`${safe.join(' ')}\n`);
      else fallback(safe);
    },
    close() {
      shell?.stdin.end();
    },
  };
}
