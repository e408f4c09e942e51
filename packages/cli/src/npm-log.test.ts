import { mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { npmOutputKeeper, rewriteLogLine } from './npm-log.js';

const LINE = 'npm error A complete log of this run can be found in: /home/node/.npm/_logs/2026-12-02T16_00_00_000Z-debug-0.log';

describe("npm's complete-log line", () => {
  it('points at the kept copy and says where the original was', () => {
    expect(rewriteLogLine(LINE, '/tmp/copy.log')).toBe(
      "npm error A complete log of this run can be found in: /tmp/copy.log (npm's output, kept by safe-install; /home/node/.npm/_logs/2026-12-02T16_00_00_000Z-debug-0.log was in the removed sandbox)",
    );
    expect(rewriteLogLine('npm ERR! A complete log of this run can be found in:\tx.log', '/c')).toContain('in:\t/c (');
  });
  it('leaves other lines alone', () => {
    expect(rewriteLogLine('added 1 package in 5s', '/c')).toBeNull();
    expect(rewriteLogLine('A complete log of this run can be found in:', '/c')).toBeNull();
  });

  it('keeps the output only when npm pointed at its log, sanitized, private to the user', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'npm-log-test-'));
    try {
      const quiet = npmOutputKeeper(join(dir, 'a.log'));
      quiet.line('added 1 package');
      expect(await quiet.close()).toBeNull();
      expect(existsSync(join(dir, 'a.log'))).toBe(false);

      const failed = npmOutputKeeper(join(dir, 'b.log'));
      expect(failed.line('npm error code 1\u001b]0;owned\u0007')).toBe('npm error code 1\u001b]0;owned\u0007');
      expect(failed.line(LINE)).toContain(join(dir, 'b.log'));
      expect(await failed.close()).toBe(join(dir, 'b.log'));
      const text = await readFile(join(dir, 'b.log'), 'utf8');
      expect(text).toContain('npm error code 1\\x1b]0;owned\\x07');
      expect(text).toContain('/home/node/.npm/_logs/');
      expect((await stat(join(dir, 'b.log'))).mode & 0o777).toBe(0o600);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
