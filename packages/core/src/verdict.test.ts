import type { Finding, Severity } from '@safe-install/schema';
import { decide, type RunFacts } from './verdict.js';

const finding = (severity: Severity): Finding =>
  ({ ruleId: 'network-egress', severity, message: 'm', evidence: ['e1'] }) as unknown as Finding;

const clean: RunFacts = {
  timedOut: false,
  traceLimitReached: false,
  exitCode: 0,
  runnerError: null,
  exportError: null,
  strictRefused: false,
  policyVerdict: 'pass',
  mode: 'block',
  failOn: 'high',
  findings: [],
};

describe('decide: how a run ends', () => {
  it('a completed run the policy passes is a pass', () => {
    expect(decide(clean)).toEqual({ outcome: 'completed', verdict: 'pass', end: 'pass', failing: 0 });
  });

  it('a violation outranks the package manager failing (a script may break the build on purpose)', () => {
    const d = decide({ ...clean, exitCode: 1, policyVerdict: 'fail', findings: [finding('critical'), finding('low')] });
    expect(d).toEqual({ outcome: 'install-failed', verdict: 'fail', end: 'violation', failing: 1 });
  });

  it('a violation outranks a failed export and a broken runner', () => {
    expect(decide({ ...clean, exportError: 'sparse file', policyVerdict: 'fail' }).end).toBe('violation');
    expect(decide({ ...clean, runnerError: 'tracer died', policyVerdict: 'fail' }).end).toBe('violation');
  });

  it('without a violation, the package manager failing is its own end, and a strict refusal is told apart', () => {
    expect(decide({ ...clean, exitCode: 1 })).toMatchObject({ outcome: 'install-failed', verdict: 'fail', end: 'package-manager-failed' });
    expect(decide({ ...clean, exitCode: 1, strictRefused: true }).end).toBe('strict-refusal');
    expect(decide({ ...clean, exitCode: null }).end).toBe('package-manager-failed');
  });

  it('a failed export is judged after the policy: the verdict is fail and the end says why', () => {
    expect(decide({ ...clean, exportError: 'too many files' })).toMatchObject({ outcome: 'export-failed', verdict: 'fail', end: 'export-failed' });
  });

  it('a broken runner never passes, and is reported as such rather than thrown before the verdict', () => {
    expect(decide({ ...clean, runnerError: 'x' })).toMatchObject({ outcome: 'infrastructure-error', verdict: 'fail', end: 'runner-failed' });
  });

  it('a timeout is a timeout even with findings', () => {
    expect(decide({ ...clean, timedOut: true, exitCode: null, policyVerdict: 'fail' })).toMatchObject({ outcome: 'timeout', verdict: 'fail', end: 'timeout' });
  });

  it('the trace limit never passes; a violation seen before it is still a violation', () => {
    expect(decide({ ...clean, traceLimitReached: true })).toMatchObject({ verdict: 'fail', end: 'trace-limit' });
    expect(decide({ ...clean, traceLimitReached: true, exitCode: 137, policyVerdict: 'fail' }).end).toBe('violation');
  });

  it('audit mode reports the findings and passes (the policy engine passes in audit mode)', () => {
    const d = decide({ ...clean, mode: 'audit', policyVerdict: 'pass', findings: [finding('critical')] });
    expect(d).toEqual({ outcome: 'completed', verdict: 'pass', end: 'pass', failing: 1 });
    // Even if the engine said fail, audit mode never makes it a violation.
    expect(decide({ ...clean, mode: 'audit', policyVerdict: 'fail' }).end).toBe('pass');
  });

  it('counts the failing findings at the threshold', () => {
    const findings = (['info', 'low', 'medium', 'high', 'critical'] as const).map(finding);
    expect(decide({ ...clean, failOn: 'medium', findings, policyVerdict: 'fail' }).failing).toBe(3);
    expect(decide({ ...clean, failOn: 'info', findings, policyVerdict: 'fail' }).failing).toBe(5);
  });
});
