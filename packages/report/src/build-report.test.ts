import type { TraceEvent } from '@safe-install/schema';
import { buildReport, scriptRuns } from './build-report.js';

const a = { name: 'a', version: '1.0.0' };
const b = { name: 'b', version: '2.0.0' };
const ev = (id: string, body: Record<string, unknown>): TraceEvent => ({ id, source: 'tracer', ppid: 1, ...body }) as unknown as TraceEvent;

const events = [
  ev('t1', { ts: 100, pid: 20, type: 'script', action: 'start', package: a, lifecycle: 'install', command: 'node-gyp rebuild' }),
  ev('t2', { ts: 110, pid: 30, type: 'script', action: 'start', package: b, lifecycle: 'postinstall', command: 'node x.js' }),
  ev('t3', { ts: 150.4, pid: 20, type: 'script', action: 'end', package: a, lifecycle: 'install', code: 0 }),
  ev('t4', { ts: 400, pid: 30, type: 'script', action: 'end', package: b, lifecycle: 'postinstall', signal: 'SIGKILL' }),
  // A process b left running does not make b's script longer in the report.
  ev('t5', { ts: 900, pid: 31, type: 'process', action: 'lingering', outcome: 'killed', package: b, lifecycle: 'postinstall' }),
];

describe('the report', () => {
  it('lists each script run with its exit and duration, from the shared trace model', () => {
    expect(scriptRuns(events)).toEqual([
      { package: a, lifecycle: 'install', command: 'node-gyp rebuild', code: 0, durationMs: 50 },
      { package: b, lifecycle: 'postinstall', command: 'node x.js', signal: 'SIGKILL', durationMs: 290 },
    ]);
  });

  it('counts scripts, packages and findings', () => {
    const report = buildReport({
      command: 'ci', project: '/p', toolVersion: '0', outcome: 'completed', verdict: 'fail', events, timings: {},
      findings: [{ ruleId: 'script-not-allowed', severity: 'high', package: b, lifecycle: 'postinstall', message: 'm', evidence: ['t2'] }],
    });
    expect(report.summary).toEqual({ findings: 1, bySeverity: { info: 0, low: 0, medium: 0, high: 1, critical: 0 }, events: 5, scripts: 2, packages: 2 });
  });
});
