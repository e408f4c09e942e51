import { spawn } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { followFifo, makeFifo } from './follow-fifo.js';

describe('followFifo', () => {
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'fifo-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('makes a FIFO only its owner can open', async () => {
    const path = join(dir, 'log');
    await makeFifo(path);
    const info = await stat(path);
    expect(info.isFIFO()).toBe(true);
    expect(info.mode & 0o777).toBe(0o600);
  });

  it('reads everything a writer sends, and ends only after finish() and the writer closing', async () => {
    const path = join(dir, 'log');
    await makeFifo(path);
    let seen = '';
    const followed = followFifo(path, (chunk) => (seen += chunk));
    // A writer that opens late and writes in two bursts, as strace does around a slow syscall.
    const writer = spawn('sh', ['-c', `sleep 0.2; printf 'one\\n' > "$0"; sleep 0.2; printf 'two é\\n' >> "$0"`, path]);
    let ended = false;
    void followed.done.then(() => (ended = true));
    await new Promise((resolve) => writer.on('exit', resolve));
    // The writer is gone, but finish() has not been called: a FIFO with our own write end open
    // must not read as end-of-file (strace may not have opened it yet).
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(ended).toBe(false);
    followed.finish();
    await followed.done;
    expect(seen).toBe('one\ntwo é\n');
  });

  it('holds a flood back instead of storing it: the writer waits while the reader is behind', async () => {
    const path = join(dir, 'log');
    await makeFifo(path);
    let bytes = 0;
    const followed = followFifo(path, (chunk) => (bytes += Buffer.byteLength(chunk)));
    // 64 MiB through a pipe whose buffer is 64 KiB: nothing of it ever sits on a disk.
    const writer = spawn('sh', ['-c', 'head -c 67108864 /dev/zero | tr "\\0" "x" > "$0"', path]);
    await new Promise((resolve) => writer.on('exit', resolve));
    followed.finish();
    await followed.done;
    expect(bytes).toBe(64 * 1024 * 1024);
    const info = await stat(path);
    expect(info.size).toBe(0);
  });

  it('ends at once when no writer ever came', async () => {
    const path = join(dir, 'log');
    await makeFifo(path);
    const followed = followFifo(path, () => undefined);
    followed.finish();
    await expect(followed.done).resolves.toBeUndefined();
  });
});
