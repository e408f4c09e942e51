/**
 * How a run ends, decided from what happened in it. One pure function, so that every job (ci,
 * learn, later analyze and offline re-judging) ends by the same rules, and the rules have tests
 * that need no engine.
 *
 * The rules, in order:
 *  - a policy violation (block mode, a finding at or above failOn) outranks a package-manager
 *    failure, a runner failure and a failed export: a script that breaks the install on purpose
 *    must not pass for a broken build;
 *  - a timeout is a timeout, whatever was found (the trace ends early; what it holds is reported);
 *  - the trace limit stops the install, so a run that reached it never passes;
 *  - a run can only pass when it completed, the export came back and the policy passed.
 */
import type { Finding, Report, Severity } from '@safe-install/schema';
import { atLeast, type PolicyMode } from '@safe-install/policy';

/** What a run did, as far as the verdict needs to know. */
export interface RunFacts {
  timedOut: boolean;
  traceLimitReached: boolean;
  /** The package manager's exit code; null when it never finished. */
  exitCode: number | null;
  /** The sandbox's runner broke (not the install): the trace may be incomplete. */
  runnerError: string | null;
  /** What came back could not be put in place (or did not come back). */
  exportError: string | null;
  /** The package manager refused before any script ran (npm's ESTRICTALLOWSCRIPTS). */
  strictRefused: boolean;
  /** The policy engine's verdict (audit mode always passes). */
  policyVerdict: 'pass' | 'fail';
  mode: PolicyMode;
  failOn: Severity;
  findings: readonly Finding[];
}

/** Why the run ended: `pass` and `violation` are verdicts; the others are errors of their own. */
export type RunEnd =
  | 'pass'
  | 'violation'
  | 'timeout'
  | 'trace-limit'
  | 'runner-failed'
  | 'strict-refusal'
  | 'package-manager-failed'
  | 'export-failed';

export interface Decision {
  outcome: Report['outcome'];
  verdict: Report['verdict'];
  end: RunEnd;
  /** Findings at or above failOn (what a violation is made of). */
  failing: number;
}

export function decide(facts: RunFacts): Decision {
  const outcome: Report['outcome'] = facts.timedOut
    ? 'timeout'
    : facts.runnerError !== null
      ? 'infrastructure-error'
      : facts.exitCode !== 0
        ? 'install-failed'
        : facts.exportError !== null
          ? 'export-failed'
          : 'completed';
  const verdict = outcome === 'completed' && facts.policyVerdict === 'pass' && !facts.traceLimitReached ? 'pass' : 'fail';
  const violated = facts.mode === 'block' && facts.policyVerdict === 'fail';
  const failing = facts.findings.filter((finding) => atLeast(finding.severity, facts.failOn)).length;
  const end = ((): RunEnd => {
    if (facts.traceLimitReached && !violated) return 'trace-limit';
    if (facts.timedOut) return 'timeout';
    if (violated) return 'violation';
    if (facts.runnerError !== null) return 'runner-failed';
    if (facts.exitCode !== 0) return facts.strictRefused ? 'strict-refusal' : 'package-manager-failed';
    if (facts.exportError !== null) return 'export-failed';
    return 'pass';
  })();
  return { outcome, verdict, end, failing };
}
