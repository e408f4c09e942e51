import { PassThrough } from 'node:stream';
import { relayCapped } from './relay-output.js';

describe('relayCapped', () => {
  it('passes output through up to the cap, then counts the rest and says so once', async () => {
    const a = new PassThrough();
    const b = new PassThrough();
    const target = new PassThrough();
    const seen: Buffer[] = [];
    target.on('data', (chunk: Buffer) => seen.push(chunk));
    const done = relayCapped([a, b], target, 10);
    a.write('12345');
    b.write('678');
    a.write('90abcdef');
    b.end('more');
    a.end();
    expect(await done).toBe(10);
    const text = Buffer.concat(seen).toString();
    expect(text.startsWith('1234567890')).toBe(true);
    expect(text).toMatch(/\[output capped: 10 more bytes not shown/);
  });

  it('keeps reading past the cap so the writer never blocks', async () => {
    const source = new PassThrough({ highWaterMark: 16 });
    const target = new PassThrough();
    target.resume();
    const done = relayCapped([source], target, 1024);
    for (let i = 0; i < 1000; i++) source.write(Buffer.alloc(4096, 120));
    source.end();
    expect(await done).toBe(1000 * 4096 - 1024);
  });
});
