/**
 * Script start events: may this package run install scripts at all, and is the script the one
 * the policy pinned?
 *
 * The project's own scripts (root and workspace packages) always may: they are the project's
 * code, and npm and pnpm run them without asking too. Their behaviour is still judged.
 */
import type { ScriptEvent } from '@safe-install/schema';
import type { Analysis } from './analysis.js';
import { report } from './analysis.js';
import { sanitizeText } from './sanitize-text.js';

export function analyzeScript(a: Analysis, e: ScriptEvent): void {
  if (e.action !== 'start' || e.package === undefined) return;
  const run = a.model.runOf(e);
  if (run === undefined || run.projectOwn) return;
  const { name, version } = run.package;
  const spec = `${name}@${version}`;
  const command = `\`${sanitizeText(run.command, 120)}\``;
  const allowances = a.policy.forPackage(run.package);
  const hash = e.commandHash?.toLowerCase();
  const entry = {
    field: 'entry' as const,
    value: spec,
    lifecycle: run.lifecycle,
    why: `${spec} ${run.lifecycle} ran ${command}`,
  };
  const pinSuggestion = hash === undefined ? undefined : { field: 'scripts' as const, value: `sha256:${hash}`, lifecycle: run.lifecycle, why: `pins the ${run.lifecycle} command ${command} (sha256)` };

  if (allowances.deniedBy !== null) {
    const origin = allowances.deniedBy.origin;
    report(a, e, run, {
      rule: 'script-not-allowed',
      subject: run.lifecycle,
      message: `ran its ${run.lifecycle} script ${command}, which ${origin.file} (${origin.kind}) denies`,
      hint: `the policy denies ${name}; if it must build, remove the denial after reviewing the script`,
      // Learn mode reports the denial as a proposal it will not apply.
      suggestion: entry,
    });
    return;
  }
  if (allowances.allowedBy.length === 0 && a.policy.policy.allowAllScripts === null) {
    const configured = a.policy.policy.configured;
    const hit: Parameters<typeof report>[3] = {
      rule: 'script-not-allowed',
      subject: run.lifecycle,
      message: configured
        ? `ran its ${run.lifecycle} script ${command}, which no policy entry allows`
        : `ran its ${run.lifecycle} script ${command} (no policy yet: reported, not judged)`,
      suggestion: pinSuggestion === undefined ? [entry] : [entry, pinSuggestion],
    };
    if (!configured) {
      hit.severity = 'info';
      hit.hint = 'run `safe-install policy learn` to write a policy that allows exactly the scripts of this install';
    }
    report(a, e, run, hit);
    return;
  }
  const pins = allowances.pins;
  if (pins === null) return;
  const forEvent = pins.filter((p) => p.lifecycle === run.lifecycle).flatMap((p) => p.hashes);
  if (hash !== undefined && forEvent.includes(hash)) return;
  const hit: Parameters<typeof report>[3] = {
    rule: 'script-hash-mismatch',
    subject: run.lifecycle,
    message:
      forEvent.length === 0
        ? `ran a ${run.lifecycle} script the policy has no pin for: ${command}`
        : `ran a ${run.lifecycle} script that differs from the pinned one: ${command}`,
  };
  if (pinSuggestion !== undefined) hit.suggestion = pinSuggestion;
  report(a, e, run, hit);
}
