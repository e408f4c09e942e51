/**
 * Script start events: may this package run install scripts at all, and is the script the one
 * the policy pinned?
 *
 * The project's own scripts (root and workspace packages) always may: they are the project's
 * code, and npm and pnpm run them without asking too. Their behaviour is still judged.
 */
import type { ScriptEvent } from '@safe-install/schema';
import type { ScriptRun } from './trace-model.js';
import { packageKey } from './trace-model.js';
import type { Analysis } from './analysis.js';
import { report } from './analysis.js';
import { sanitizeText } from '@safe-install/schema';

export function analyzeScript(a: Analysis, e: ScriptEvent): void {
  if (e.action !== 'start' || e.package === undefined) return;
  const run = a.model.runOf(e);
  if (run !== undefined) judgeIdentity(a, e, run);
  if (run === undefined || run.projectOwn) return;
  // `npm run build` inside a package's own install script is part of that script, allowed (or
  // not) with it; only a script of another package (the project's `npm rebuild`) is judged anew.
  if (run.parent !== undefined && packageKey(run.parent.package) === packageKey(run.package)) return;
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
    } else if (a.policy.policy.unlistedScripts === 'unreviewed' && a.ctx.npmMajor < 12) {
      // npm 11 runs what allowScripts does not list, with a warning: unreviewed, judged by what it does.
      hit.severity = 'info';
      hit.message = `ran its ${run.lifecycle} script ${command}, unreviewed: package.json allowScripts does not list it (npm ${a.ctx.npmMajor || 11} runs it with a warning; judged by what it does)`;
      hit.hint = `approve it with \`npm install-scripts approve ${name}\` (allowScripts entry "${spec}": true), or deny it with \`npm install-scripts deny ${name}\``;
    } else if (a.policy.policy.unlistedScripts === 'unreviewed') {
      hit.message = `ran its ${run.lifecycle} script ${command}, which package.json allowScripts does not list: npm ${a.ctx.npmMajor} skips such scripts, yet it ran`;
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

/**
 * The lockfile says who a package is; its package.json (what the script's environment carries)
 * only claims. A claim that differs is evidence: worth a look on its own, and high when the claimed
 * name is one the policy lets run scripts and the real package is not — a borrowed identity.
 */
function judgeIdentity(a: Analysis, e: ScriptEvent, run: ScriptRun): void {
  const claimed = e.claimed;
  const identity = e.identity;
  if (identity?.source === 'unlocked') {
    report(a, e, run, {
      rule: 'identity-mismatch',
      severity: 'medium',
      subject: 'identity',
      message: `ran its ${run.lifecycle} script in ${sanitizeText(identity.path, 200)}, a folder the lockfile does not list (it claimed ${sanitizeText(claimed?.name ?? e.package?.name ?? '?', 120)})`,
    });
    return;
  }
  if (claimed === undefined || identity === undefined) return;
  // A lockfile that records no version for a local tarball (Bun's bun.lock: the identity's version
  // is its `file:` path) has none to compare a claimed version with: only the name is checked.
  if (claimed.name === identity.name && identity.source === 'file' && identity.version.startsWith('file:')) return;
  const gains = claimed.name !== identity.name && a.policy.forPackage(claimed).allowedBy.length > 0 && a.policy.forPackage(run.package).allowedBy.length === 0;
  const what = claimed.name === identity.name ? `version ${sanitizeText(claimed.version, 60)}` : `to be ${sanitizeText(`${claimed.name}@${claimed.version}`, 160)}`;
  report(a, e, run, {
    rule: 'identity-mismatch',
    ...(gains ? { severity: 'high' as const } : {}),
    subject: 'identity',
    message:
      `claimed ${what}, but the lockfile entry of ${sanitizeText(identity.path || 'the project', 200)} is ${sanitizeText(`${identity.name}@${identity.version}`, 160)}` +
      `${identity.resolved === undefined ? '' : ` (${sanitizeText(identity.resolved, 200)})`}${gains ? `: the policy allows ${sanitizeText(claimed.name, 120)}, not it` : ''}`,
  });
}
