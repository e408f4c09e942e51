import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MAX_EVENT_LINE_BYTES, TraceFileError, type TraceEvent } from '@safe-install/schema';
import { openTrace, readTraceFile, type TraceStart } from './trace-file.js';

const start: TraceStart = {
  project: '/work/app',
  tool: { name: 'safe-install', version: '0.1.0' },
  job: 'ci',
  command: ['npm', 'ci'],
  packageManager: { name: 'npm' },
  phases: ['install'],
  context: { projectDir: '/home/node/project', homeDir: '/home/node', tmpDir: '/tmp', nodeModules: '/home/node/project/node_modules' },
  decoys: { values: [], files: [] },
  policy: { resolved: { mode: 'block' }, interop: { rules: [], allowAll: null, warnings: [] } },
};
const event = (id: string, ts: number, message = id): TraceEvent => ({ id, ts, source: 'tracer', pid: 1, ppid: 0, type: 'notice', message });

let dir = '';
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trace-file-'));
});
afterEach(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the trace writer', () => {
  it('writes the header first and each event as it comes; a run that dies leaves an incomplete but readable trace', async () => {
    const path = join(dir, 't.jsonl');
    const trace = openTrace(path, start);
    trace.write(event('e1', 1));
    trace.write(event('e2', 2));
    await trace.close();
    await trace.close();
    const read = await readTraceFile(path);
    expect(read.header).toMatchObject({ type: 'trace-header', runId: null, complete: false, job: 'ci' });
    expect(read.events.map((e) => e.id)).toEqual(['e1', 'e2']);
  });

  it('seals the trace: the final header and the judged events in their order, replacing the streamed file whole', async () => {
    const path = join(dir, 't.jsonl');
    const trace = openTrace(path, start);
    trace.write(event('e2', 2));
    trace.write(event('g1', 1));
    const context = { ...start.context, npmVersion: '11.6.2', now: 5 };
    await trace.seal({ runId: 'r1', outcome: 'completed', context, packageManagerVersion: '11.6.2' }, [event('g1', 1), event('e2', 2)]);
    // Late writes (the interrupt path) do not touch the sealed file.
    trace.write(event('late', 9));
    await trace.close();
    const read = await readTraceFile(path);
    expect(read.header).toMatchObject({ runId: 'r1', complete: true, outcome: 'completed', context, packageManager: { name: 'npm', version: '11.6.2' } });
    expect(read.events.map((e) => e.id)).toEqual(['g1', 'e2']);
    expect(await readdir(dir)).toEqual(['t.jsonl']);
  });

  it('writes nothing without a path', async () => {
    const trace = openTrace(undefined, start);
    trace.write(event('e1', 1));
    await trace.seal({ runId: 'r', outcome: 'completed', context: start.context }, []);
    expect(await readdir(dir)).toEqual([]);
  });
});

describe('the trace reader', () => {
  async function traceWith(lines: string[]): Promise<string> {
    const path = join(dir, 'in.jsonl');
    const trace = openTrace(path, start);
    await trace.close();
    await writeFile(path, (await readFile(path, 'utf8')) + lines.join('\n'));
    return path;
  }

  it('skips a line longer than the limit, and the lines that are not events, and keeps reading', async () => {
    const huge = JSON.stringify(event('big', 1, 'x'.repeat(MAX_EVENT_LINE_BYTES + 10)));
    const path = await traceWith([JSON.stringify(event('e1', 1)), huge, 'not json', '', JSON.stringify(event('e2', 2)), '{"id":"cut', '']);
    const read = await readTraceFile(path);
    expect(read.events.map((e) => e.id)).toEqual(['e1', 'e2']);
    expect(read.badLines).toBe(3);
  });

  it('reads characters split across the stream’s chunks', async () => {
    const message = 'é'.repeat(100_000);
    const path = await traceWith([JSON.stringify(event('e1', 1, message))]);
    expect((await readTraceFile(path)).events[0]).toMatchObject({ message });
  });

  it.each([
    ['an empty file', '', /the file is empty/],
    ['events before the header', `${JSON.stringify(event('e1', 1))}\n`, /line 1: the first line is not a trace header \(it is an event/],
    ['a header after blank lines that is not one', '\n\n{"type":"trace-header","schemaVersion":1}\n', /line 3: trace schema version 1/],
    ['binary', '\u0000\u0001\u0002\n', /not JSON/],
  ])('refuses %s', async (_, text, message) => {
    const path = join(dir, 'bad.jsonl');
    await writeFile(path, text);
    await expect(readTraceFile(path)).rejects.toThrow(TraceFileError);
    await expect(readTraceFile(path)).rejects.toThrow(message);
  });
});
