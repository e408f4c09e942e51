import { appendFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { tailFile } from './tail-file.js';

describe('tailFile', () => {
  it('hands over what is written and appended, and reads the rest at once when finished', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'tail-'));
    const path = join(dir, 'log');
    await writeFile(path, 'a\n');
    let seen = '';
    // A poll so long that only `finish` can end the wait within the test's time.
    const tail = tailFile(path, (chunk) => (seen += chunk), 60_000);
    try {
      await appendFile(path, 'b\n\u00e9');
      const started = Date.now();
      tail.finish();
      await tail.done;
      expect(seen).toBe('a\nb\n\u00e9');
      expect(Date.now() - started).toBeLessThan(5_000);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('ends when finished before the file ever appears', async () => {
    const tail = tailFile('/nonexistent/never', () => undefined, 60_000);
    tail.finish();
    await expect(tail.done).resolves.toBeUndefined();
  });
});
