import type { Finding, TraceEvent } from '@safe-install/schema';
import { analysisFolder, boundedOutput, jobEventMapper, OUTPUT_LIMITS, phaseStatus, riskAtLeast, riskOf, safeFileName, sinkRequests, writtenOutside } from './analysis.js';

const P = '/home/node/project';
const fsdiff = (path: string, extra: Partial<TraceEvent> = {}): TraceEvent => ({ id: path, ts: 1, source: 'fsdiff', pid: 0, ppid: 0, type: 'fsdiff', change: 'created', path, ...extra }) as TraceEvent;

describe('analysis pieces', () => {
  it('makes the ids and runs of a later job unique, leaving the gateway’s', () => {
    const mapper = jobEventMapper('j2', 3);
    const script = mapper.map({ id: 't1', ts: 1, source: 'tracer', pid: 5, ppid: 1, type: 'script', action: 'start', run: 1, parentRun: 1 } as TraceEvent);
    expect(script).toMatchObject({ id: 'j2.t1', run: 4, parentRun: 4 });
    expect(mapper.map({ id: 'g7', ts: 1, source: 'gateway', pid: 0, ppid: 0, type: 'dns', name: 'x.invalid', qtype: 'A', answered: 'sinked' } as TraceEvent).id).toBe('g7');
    expect(mapper.map({ id: 't9', ts: 1, source: 'sandbox', pid: 0, ppid: 0, type: 'decoy-exfiltration', decoyKind: 'npm-token', where: 'argv', encoding: 'plain', seenIn: 't2' } as TraceEvent)).toMatchObject({ id: 'j2.t9', seenIn: 'j2.t2' });
    expect(mapper.lastRun()).toBe(4);
  });

  it('tells how a phase ended', () => {
    expect(phaseStatus({ timedOut: true, exitCode: null, runnerError: null })).toBe('timeout');
    expect(phaseStatus({ timedOut: false, exitCode: null, runnerError: null })).toBe('error');
    expect(phaseStatus({ timedOut: false, exitCode: 0, runnerError: 'broken' })).toBe('error');
    expect(phaseStatus({ timedOut: false, exitCode: 1, runnerError: null })).toBe('completed');
  });

  it('rates risk by the highest finding', () => {
    expect(riskOf([])).toBe('none');
    expect(riskOf([{ severity: 'low' }, { severity: 'critical' }, { severity: 'info' }] as Finding[])).toBe('critical');
    expect(riskAtLeast('none', 'info')).toBe(false);
    expect(riskAtLeast('high', 'medium')).toBe(true);
    expect(riskAtLeast('low', 'medium')).toBe(false);
  });

  it('lists what was written outside the package’s folder, not the manager’s own files', () => {
    const events = [
      fsdiff('/tmp/inventory.txt'),
      fsdiff('/home/node/.bashrc', { change: 'modified' } as Partial<TraceEvent>),
      fsdiff('/tmp/gone', { change: 'deleted' } as Partial<TraceEvent>),
      fsdiff(`${P}/node_modules/pkg/build/x.node`, { package: { name: 'pkg', version: '1' } }),
      fsdiff(`${P}/node_modules/other/index.js`, { package: { name: 'pkg', version: '1' } }),
      fsdiff(`${P}/node_modules/dep/own.js`, { package: { name: 'dep', version: '1' } }),
      fsdiff(`${P}/node_modules/dep/unattributed.js`),
      fsdiff(`${P}/node_modules/.package-lock.json`),
      fsdiff(`${P}/package-lock.json`),
      fsdiff(`${P}/public/worker.js`),
    ];
    expect(writtenOutside(events, P, 'node_modules/pkg')).toEqual(['/home/node/.bashrc', `${P}/node_modules/other/index.js`, `${P}/public/worker.js`, '/tmp/inventory.txt']);
  });

  it('keeps sinked request bodies as bytes, base64 ones decoded', () => {
    const http = (decision: string, body?: string, bodyEncoding?: string) => ({ id: 'g1', ts: 1, source: 'gateway', pid: 0, ppid: 0, type: 'http', method: 'POST', url: 'http://x.invalid/', host: 'x.invalid', port: 80, decision, ...(body !== undefined ? { request: { headers: {}, body, bodyBytes: body.length, ...(bodyEncoding ? { bodyEncoding } : {}) } } : {}) }) as unknown as TraceEvent;
    const found = sinkRequests([http('sinked', 'hello'), http('sinked', Buffer.from([0, 255]).toString('base64'), 'base64'), http('registry', 'x'), http('sinked')]);
    expect(found.map((request) => [...request.body])).toEqual([[...Buffer.from('hello')], [0, 255]]);
  });

  it('names output folders only from plain names and versions (hostile lockfile)', () => {
    expect(analysisFolder({ name: 'a', version: '1.0.0' })).toBe('a@1.0.0');
    expect(analysisFolder({ name: '@s/a', version: '1.0.0-beta.1+b' })).toBe('@s/a@1.0.0-beta.1+b');
    for (const [name, version] of [['../../etc', '1'], ['a', '../x'], ['a/b', '1'], ['a', ''], ['A', '1'], ['a', '1/2'], ['a\u0000', '1']] as const) {
      expect(analysisFolder({ name, version })).toMatch(/^invalid-[0-9a-f]{16}$/);
    }
    expect(safeFileName('../../x y')).toBe('x_y');
    expect(safeFileName('...')).toBe('file');
  });

  it('bounds and sanitizes a phase’s output', () => {
    expect(boundedOutput(['ok', '\u001b[31mred'])).toBe('ok\n\\x1b[31mred');
    const big = boundedOutput(Array.from({ length: 10_000 }, () => 'x'.repeat(100)));
    expect(big.length).toBeLessThanOrEqual(OUTPUT_LIMITS.chars + 100);
    expect(big).toMatch(/more line\(s\) not kept$/);
  });
});
