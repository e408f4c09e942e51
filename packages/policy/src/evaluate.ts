/**
 * The engine's entry point: events in, findings and a verdict out. Pure and synchronous.
 */
import type { DecoyIndex, TraceEvent } from '@safe-install/schema';
import { analyzeTrace } from './engine/analysis.js';
import { parsePackageSpec, specMatches } from './match/package-spec.js';
import type { Evaluation, EvaluationContext, IgnoreRule, Policy, PolicyFinding, SuppressedFinding } from './policy-types.js';
import { atLeast } from './severity.js';

/** What {@link evaluate} needs. */
export interface EvaluateInput {
  /** The trace, in order. */
  events: readonly TraceEvent[];
  policy: Policy;
  /** The run's decoys; without them, decoy reads and sightings cannot be recognised. */
  decoys?: DecoyIndex;
  context: EvaluationContext;
}

function ignoreMatches(rule: IgnoreRule, finding: PolicyFinding): boolean {
  if (rule.rule !== finding.ruleId) return false;
  if (rule.package === null) return true;
  if (finding.package === undefined) return false;
  const parsed = parsePackageSpec(rule.package);
  return 'spec' in parsed && specMatches(parsed.spec, finding.package.name, finding.package.version);
}

/**
 * Judge a trace against a policy. The verdict fails when, in block mode, a finding that no
 * (unexpired) `ignore` entry accepts is at or above `failOn`; audit mode always passes.
 */
export function evaluate(input: EvaluateInput): Evaluation {
  const a = analyzeTrace({ events: input.events, policy: input.policy, decoys: input.decoys, context: input.context });
  const now = a.ctx.now;
  const warnings: string[] = [];
  const live: IgnoreRule[] = [];
  for (const rule of input.policy.ignore) {
    if (rule.expiresAt !== null && rule.expiresAt < now) {
      const pkg = rule.package === null ? '' : ` for ${rule.package}`;
      warnings.push(`${rule.origin.file}: the ignore of ${rule.rule}${pkg} expired on ${rule.expires ?? '?'} and no longer applies`);
    } else live.push(rule);
  }
  const findings: PolicyFinding[] = [];
  const suppressed: SuppressedFinding[] = [];
  for (const finding of a.findings.findings()) {
    const ignore = live.find((r) => ignoreMatches(r, finding));
    if (ignore === undefined) findings.push(finding);
    else suppressed.push({ finding, reason: ignore.reason, ignore });
  }
  if (!input.policy.configured && findings.some((f) => f.ruleId === 'script-not-allowed')) {
    warnings.push('no policy: install scripts were reported, not judged; `safe-install policy learn` writes one from this trace');
  }
  const failing = input.policy.mode === 'block' && findings.some((f) => atLeast(f.severity, input.policy.failOn));
  return { findings, suppressed, verdict: failing ? 'fail' : 'pass', warnings };
}
