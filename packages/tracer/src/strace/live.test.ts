/**
 * The fixed invocation against the real strace, when this machine can run it (strace installed,
 * ptrace allowed, root for `-u`); skipped otherwise. Guards the parser against the strace version
 * actually installed, which the recorded fixtures cannot.
 */
import { spawnSync } from 'node:child_process';
import { chmodSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { traceToEvents } from './index.js';
import { straceArgs } from './strace-args.js';

function canTrace(): boolean {
  if (process.getuid?.() !== 0) return false;
  const probe = spawnSync('strace', ['-f', '-qq', '-e', 'trace=none', '-u', 'nobody', '--', '/bin/true'], {
    stdio: 'ignore',
  });
  return probe.status === 0;
}

// Skipped only outside CI: in CI (root, ptrace allowed) a tracer that cannot run must fail.
const live = canTrace() || process.env['CI'] ? it : it.skip;

describe('the fixed strace invocation, live', () => {
  live('traces a shell script end to end', () => {
    const dir = mkdtempSync(join(tmpdir(), 'strace-live-'));
    try {
      chmodSync(dir, 0o777);
      const output = join(dir, 'trace.txt');
      const script = `cd ${dir} && mkdir sub && echo hi > sub/f.txt && ln -s f.txt sub/l && chmod 600 sub/f.txt && rm -r sub`;
      const result = spawnSync('strace', straceArgs({ output, user: 'nobody', command: ['/bin/sh', '-c', script] }), {
        cwd: dir,
        stdio: 'ignore',
      });
      expect(result.status).toBe(0);
      const { events, reader } = traceToEvents(readFileSync(output, 'utf8'), { rootCwd: dir });
      expect(reader.dropped).toBe(0);
      const files = events.filter((e) => e.type === 'file');
      expect(files).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ action: 'mkdir', path: `${dir}/sub`, ok: true }),
          expect.objectContaining({
            action: 'open',
            path: `${dir}/sub/f.txt`,
            intent: expect.objectContaining({ write: true }),
          }),
          expect.objectContaining({ action: 'symlink', path: `${dir}/sub/f.txt`, target: `${dir}/sub/l` }),
          expect.objectContaining({ action: 'chmod', path: `${dir}/sub/f.txt`, mode: '0600' }),
          expect.objectContaining({ action: 'rmdir', path: `${dir}/sub` }),
        ]),
      );
      const exits = events.filter((e) => e.type === 'process' && e.action === 'exit');
      const execs = events.filter((e) => e.type === 'process' && e.action === 'exec');
      expect(exits.length).toBe(execs.filter((e) => e.ok === true).length);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
