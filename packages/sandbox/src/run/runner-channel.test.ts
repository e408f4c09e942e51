import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pack } from 'tar-stream';
import { FRAME, encodeFrame } from '@safe-install/runner';
import { exportScope, extractSafely, type ExtractResult } from '../transfer/extract-safely.js';
import { RunnerChannel } from './runner-channel.js';

async function tarOf(files: Record<string, string>): Promise<Buffer> {
  const packer = pack();
  const chunks: Buffer[] = [];
  const collecting = (async () => {
    for await (const chunk of packer) chunks.push(chunk as Buffer);
  })();
  for (const [name, body] of Object.entries(files)) packer.entry({ name, mode: 0o644 }, body);
  packer.finalize();
  await collecting;
  return Buffer.concat(chunks);
}

describe('RunnerChannel: an export stream destroyed mid-way', () => {
  let target: string;
  beforeEach(async () => {
    target = await mkdtemp(join(tmpdir(), 'channel-'));
  });
  afterEach(() => rm(target, { recursive: true, force: true }));

  /** Feed the channel `bytes` of export data, then end it; returns the extraction's outcome. */
  async function cutShort(send: (channel: RunnerChannel) => void): Promise<PromiseSettledResult<ExtractResult>> {
    let extraction: Promise<ExtractResult> | null = null;
    const channel = new RunnerChannel({
      onEvent: () => undefined,
      onStatus: () => undefined,
      onExport: (tar: Readable) => {
        extraction = extractSafely(tar, { target, scope: exportScope([]) });
      },
      onExportEnd: () => undefined,
      onRunnerError: () => undefined,
      onBadLine: () => undefined,
    });
    send(channel);
    channel.end();
    expect(extraction).not.toBeNull();
    const [outcome] = await Promise.allSettled([extraction!]);
    return outcome!;
  }

  it('fails the extraction (never hangs, never passes) when the stream stops in the middle of a file', async () => {
    const tar = await tarOf({ 'node_modules/a/index.js': 'a'.repeat(20_000), 'node_modules/b/index.js': 'b' });
    const outcome = await cutShort((channel) => channel.push(encodeFrame(FRAME.exportData, tar.subarray(0, 6000))));
    expect(outcome.status).toBe('rejected');
    expect(String((outcome as PromiseRejectedResult).reason)).toMatch(/stopped in the middle of the export/);
  });

  it('fails it when the stream stops between two entries, before the exportEnd frame', async () => {
    const tar = await tarOf({ 'node_modules/a/index.js': 'a' });
    // The first entry whole (header + one block), no end-of-archive blocks, no exportEnd.
    const outcome = await cutShort((channel) => channel.push(encodeFrame(FRAME.exportData, tar.subarray(0, 1024))));
    expect(outcome.status).toBe('rejected');
  });

  it('fails it when a frame is cut in half', async () => {
    const tar = await tarOf({ 'node_modules/a/index.js': 'a' });
    const frame = encodeFrame(FRAME.exportData, tar);
    const outcome = await cutShort((channel) => {
      channel.push(encodeFrame(FRAME.exportData, tar.subarray(0, 512)));
      channel.push(frame.subarray(0, 100));
    });
    expect(outcome.status).toBe('rejected');
    expect(await readdir(target)).toEqual(expect.any(Array));
  });

});

describe('backpressure', () => {
  const handlers = (onExport: (tar: Readable) => void) => ({
    onEvent: () => undefined,
    onStatus: () => undefined,
    onExport,
    onExportEnd: () => undefined,
    onRunnerError: () => undefined,
    onBadLine: () => undefined,
  });

  it('drained() resolves when the export ended in the same chunk as the data that filled it (it never drains then)', async () => {
    let tar: Readable | null = null;
    const channel = new RunnerChannel(handlers((stream) => void (tar = stream)));
    // More than the export's high-water mark, then its end, in one chunk: write() says "full",
    // and the ended stream will never emit 'drain'.
    const chunk = Buffer.concat([encodeFrame(FRAME.exportData, Buffer.alloc(9 * 1024 * 1024)), encodeFrame(FRAME.exportEnd, Buffer.from('{"ok":true}'))]);
    expect(channel.push(chunk)).toBe(false);
    expect(tar).not.toBeNull();
    const settled = await Promise.race([channel.drained().then(() => 'resolved'), new Promise((resolve) => setTimeout(() => resolve('hung'), 1000))]);
    expect(settled).toBe('resolved');
  });

  it('drained() waits while the export is full and open, and resolves once the reader catches up', async () => {
    let tar: Readable | null = null;
    const channel = new RunnerChannel(handlers((stream) => void (tar = stream)));
    expect(channel.push(encodeFrame(FRAME.exportData, Buffer.alloc(9 * 1024 * 1024)))).toBe(false);
    let done = false;
    const waiting = channel.drained().then(() => void (done = true));
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(done).toBe(false);
    tar!.resume();
    await waiting;
    expect(done).toBe(true);
  });
});


describe('RunnerChannel: bytes that are no frames (hostile or cut-off stream)', () => {
  const channelWith = () => {
    const errors: string[] = [];
    const statuses: unknown[] = [];
    const channel = new RunnerChannel({
      onEvent: () => undefined,
      onStatus: (status) => statuses.push(status),
      onExport: (tar: Readable) => tar.resume(),
      onExportEnd: () => undefined,
      onRunnerError: (message) => errors.push(message),
      onBadLine: () => undefined,
    });
    return { channel, errors, statuses };
  };

  it.each([
    ['an unknown frame type', Buffer.concat([Buffer.from([79, 0, 0, 0, 2]), Buffer.from('OK')])],
    ['a status that is no JSON', encodeFrame(FRAME.status, Buffer.from('{not json'))],
    ['an export end that is no JSON', encodeFrame(FRAME.exportEnd, Buffer.from('\u0000\u0001'))],
  ])('%s is one runner error, never a throw, and what follows is dropped', (_name, bad) => {
    const { channel, errors, statuses } = channelWith();
    expect(() => channel.push(Buffer.concat([bad as Buffer, encodeFrame(FRAME.status, Buffer.from('{"exitCode":0}'))]))).not.toThrow();
    expect(() => channel.push(encodeFrame(FRAME.status, Buffer.from('{"exitCode":0}')))).not.toThrow();
    expect(errors).toHaveLength(1);
    expect(errors[0]).toMatch(/^the runner's output stopped being frames: /);
    expect(statuses).toEqual([]);
  });
});
