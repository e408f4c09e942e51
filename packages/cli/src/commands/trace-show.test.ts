/**
 * `trace show`, `trace stats` and `trace diff` without an engine, on traces written here — with
 * the hostile lines a handed-around trace may hold: cut short, overlong, not JSON, control and
 * bidi characters in every string, a header of another version.
 */
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolvePolicy, type Policy } from '@safe-install/policy';
import { MAX_EVENT_LINE_BYTES, type TraceEvent } from '@safe-install/schema';
import { openTrace } from '@safe-install/core';
import type { Printer } from '../output.js';
import type { LineSink } from './trace-input.js';
import { traceShow } from './trace-show.js';
import { traceStats } from './trace-stats.js';
import { traceDiff } from './trace-diff.js';

const CONTEXT = { projectDir: '/home/node/project', homeDir: '/home/node', tmpDir: '/tmp', nodeModules: '/home/node/project/node_modules' };
const POLICY = resolvePolicy({ document: { version: 1 }, documentFile: 'safe-install.config.yaml' }).value as Policy;

function capture(): Printer & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => lines.push(`info ${m}`), warn: (m) => lines.push(`warn ${m}`), error: (m) => lines.push(`error ${m}`), sandbox: () => undefined, plain: (m) => lines.push(`plain ${m}`), progress: () => undefined, done: () => undefined } as Printer & { lines: string[] };
}
function sink(): LineSink & { lines: string[] } {
  const lines: string[] = [];
  return { lines, line: (text) => void lines.push(text), flush: async () => undefined };
}

const evil = { name: 'evil\u001b]0;pwned\u0007', version: '1.0.0' };
const at = { package: evil, lifecycle: 'postinstall', run: 1, phase: 'install' };
let n = 0;
const ev = (body: Record<string, unknown>): TraceEvent => ({ id: `t${++n}`, ts: 1000 + n, source: 'tracer', ppid: 0, ...body }) as unknown as TraceEvent;

function events(beacon: boolean): TraceEvent[] {
  n = 0;
  return [
    ev({ pid: 10, type: 'process', action: 'exec', path: '/usr/local/bin/npm', argv: ['npm', 'ci'], cwd: CONTEXT.projectDir, ok: true }),
    ev({ pid: 10, type: 'process', action: 'spawn', child: 20, syscall: 'clone', thread: false, ok: true }),
    ev({ pid: 20, ppid: 10, ...at, type: 'script', action: 'start', command: 'node x.js\u202e', cwd: `${CONTEXT.nodeModules}/evil` }),
    ev({ pid: 20, ppid: 10, ...at, type: 'process', action: 'exec', path: '/bin/sh', argv: ['sh', '-c', 'node x.js'], cwd: '/', ok: true }),
    ev({ pid: 20, ppid: 10, ...at, type: 'process', action: 'spawn', child: 21, syscall: 'vfork', thread: false, ok: true }),
    ev({ pid: 21, ppid: 20, ...at, type: 'process', action: 'exec', path: '/usr/local/bin/node', argv: ['node', 'x.js'], cwd: '/', ok: true }),
    ev({ pid: 21, ppid: 20, ...at, type: 'file', action: 'open', path: '/home/node/.npmrc\u001b[2J', intent: { read: true, write: false, create: false }, ok: true }),
    ...(beacon
      ? [
          ev({ pid: 21, ppid: 20, ...at, source: 'gateway', run: undefined, type: 'dns', name: 'beacon.invalid', qtype: 'A', answered: 'sinked' }),
          ev({ pid: 21, ppid: 20, ...at, type: 'network', action: 'connect', family: 'AF_INET', address: '198.51.100.9', port: 443, ok: false, errno: 'ENETUNREACH' }),
        ]
      : []),
    ev({ pid: 21, ppid: 20, ...at, type: 'process', action: 'exit', code: 0 }),
    ev({ pid: 20, ppid: 10, ...at, type: 'script', action: 'end', code: 7 }),
  ];
}

let dir = '';
async function traceFile(name: string, list: TraceEvent[], extraLines: string[] = []): Promise<string> {
  const path = join(dir, name);
  const trace = openTrace(path, { project: '/work/app', tool: { name: 'safe-install', version: '0.1.0' }, job: 'ci', command: ['npm', 'ci'], packageManager: { name: 'npm' }, phases: ['install'], context: CONTEXT, decoys: { values: [], files: [] }, policy: { resolved: POLICY, interop: { rules: [], allowAll: null, warnings: [] } } });
  for (const e of list) trace.write(e);
  await trace.close();
  if (extraLines.length > 0) await writeFile(path, `${await readFile(path, 'utf8')}${extraLines.join('\n')}`);
  return path;
}

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'trace-show-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

// eslint-disable-next-line no-control-regex
const UNSAFE = /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/;

describe('trace show', () => {
  it('prints the process tree of each script, events under their process, every string sanitized, and skips hostile lines', async () => {
    const file = await traceFile('t.jsonl', events(true), ['not json', '{"id":"cut', JSON.stringify({ id: 'big', ts: 1, source: 'tracer', pid: 1, ppid: 0, type: 'notice', message: 'x'.repeat(MAX_EVENT_LINE_BYTES + 1) }), '']);
    const out = sink();
    const printer = capture();
    expect(await traceShow({ file, printer, out })).toBe(0);
    for (const line of [...out.lines, ...printer.lines]) expect(line).not.toMatch(UNSAFE);
    expect(out.lines).toEqual([
      'outside any install script (the package manager and the sandbox)',
      '  10 /usr/local/bin/npm ci',
      'evil\\x1b]0;pwned\\x07@1.0.0 postinstall: `node x.js\\u202e` (exit 7, 8 ms)',
      '  20 /bin/sh -c "node x.js"',
      '    21 /usr/local/bin/node x.js [exit 0]',
      '      · open /home/node/.npmrc\\x1b[2J (read)',
      '      · dns beacon.invalid A (sinked)',
      '      · connect AF_INET 198.51.100.9:443 ✗ ENETUNREACH',
    ]);
    expect(printer.lines).toContain('warn 3 line(s) of the trace are not events and were skipped');
  });

  it('filters by package, type, path and host; --flat prints each matching event in order', async () => {
    const file = await traceFile('f.jsonl', events(true));
    const out = sink();
    await traceShow({ file, hosts: ['*.invalid'], printer: capture(), out });
    expect(out.lines.slice(1)).toEqual(['  20 /bin/sh -c "node x.js"', '    21 /usr/local/bin/node x.js [exit 0]', '      · dns beacon.invalid A (sinked)']);
    const flat = sink();
    await traceShow({ file, paths: ['$HOME/.*'], flat: true, printer: capture(), out: flat });
    expect(flat.lines).toEqual(['t7 [evil\\x1b]0;pwned\\x07@1.0.0 postinstall] pid 21 open /home/node/.npmrc\\x1b[2J (read)']);
    const none = sink();
    await traceShow({ file, packages: ['other'], printer: capture(), out: none });
    expect(none.lines).toEqual([]);
    await expect(traceShow({ file, types: ['bogus'], printer: capture(), out: sink() })).rejects.toThrow(/--type bogus: not an event type/);
    await expect(traceShow({ file, paths: ['relative/x'], printer: capture(), out: sink() })).rejects.toThrow(/--path/);
    await expect(traceShow({ file, hosts: ['bad host!'], printer: capture(), out: sink() })).rejects.toThrow(/--host/);
  });

  it.each([
    ['a header of another version', '{"type":"trace-header","schemaVersion":1}\n', /schema version 1/],
    ['events without a header', `${JSON.stringify(events(false)[0])}\n`, /not a trace header/],
    ['an empty file', '', /empty/],
  ])('refuses %s with a usage error', async (_, text, message) => {
    const file = join(dir, 'bad.jsonl');
    await writeFile(file, text);
    await expect(traceShow({ file, printer: capture(), out: sink() })).rejects.toMatchObject({ kind: 'usage', message: expect.stringMatching(message) });
    await expect(traceStats({ file, printer: capture(), out: sink() })).rejects.toMatchObject({ kind: 'usage' });
  });

  it('refuses a file that is not there', async () => {
    await expect(traceShow({ file: join(dir, 'missing.jsonl'), printer: capture(), out: sink() })).rejects.toMatchObject({ kind: 'usage', message: expect.stringMatching(/does not exist/) });
  });
});

describe('trace stats', () => {
  it('counts events per type and script, processes, hosts, DNS names, files', async () => {
    const file = await traceFile('s.jsonl', events(true), ['garbage']);
    const out = sink();
    await traceStats({ file, json: true, printer: capture(), out });
    const stats = JSON.parse(out.lines.join('\n')) as Record<string, unknown>;
    expect(stats).toMatchObject({ events: 11, badLines: 1, scriptRuns: 1, processes: 2, execs: 3, dnsNames: [['beacon.invalid', 1]], hosts: [['198.51.100.9:443', 1]], filesWritten: 0 });
    expect(JSON.stringify(stats)).not.toMatch(/\u202e/);
  });
});

describe('trace diff', () => {
  it('prints nothing for the same behaviour, and the new DNS name and host of the head', async () => {
    // A plain name here: the policy's findings name a package as it sanitizes it.
    const plain = (list: TraceEvent[]) => list.map((e) => (e.package === undefined ? e : { ...e, package: { name: 'evil', version: '1.0.0' } }));
    const base = await traceFile('a.jsonl', plain(events(false)));
    const head = await traceFile('b.jsonl', plain(events(true)));
    const same = sink();
    expect((await traceDiff({ base, head: base, printer: capture(), out: same })).changes).toEqual([]);
    expect(same.lines).toEqual([]);
    const out = sink();
    await traceDiff({ base, head, printer: capture(), out });
    expect(out.lines).toEqual([
      'evil@1.0.0 postinstall: +1 host, +1 DNS name, +2 findings',
      '  + host    198.51.100.9:443',
      '  + dns     beacon.invalid',
      '  + finding network-direct-connect',
      '  + finding network-not-allowed',
    ]);
  });
});
