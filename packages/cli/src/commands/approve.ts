/**
 * `safe-install approve [dir]`: run the install scripts that `allowScripts` does not cover yet in
 * the sandbox, show per package what they did, and write the decision — approve (a pinned
 * `"name@version": true`), deny (`"name": false`, as npm's deny) or skip (nothing written) —
 * into package.json's allowScripts (pnpm: pnpm-workspace.yaml's allowBuilds, or pnpm 10's lists;
 * Bun: package.json's trustedDependencies, by name — the version is pinned in the next two),
 * safe-install's policy and `.safe-install/approvals.json`.
 * The engine is @safe-install/core's `startApproval`; this command asks, prints and maps the
 * outcome to an exit code.
 *
 * - on a terminal: one question per package;
 * - `--yes-if-clean`: approve the packages with no finding, leave the others unlisted (printed with
 *   their behaviour and findings), deny nothing; exit 1 when any package with findings was left;
 * - neither: print the behaviours and exit 2 without writing (a prompt is never shown without a TTY).
 */
import type { AllowScriptsDecision } from '@safe-install/policy';
import { RULES } from '@safe-install/policy';
import { dockerEngine, startApproval, type ApprovalReview, type ApproveOptions, type Logger, type SandboxEngine } from '@safe-install/core';
import { renderApprovalSummary, renderApprovalView, renderFindings } from '@safe-install/report';
import { EXIT } from '../exit-codes.js';
import { printLines, runObserver, sanitize, type Printer } from '../output.js';
import { onInterrupt } from '../interrupt.js';
import { npmOutputKeeper } from '../npm-log.js';
import type { Prompter } from '../prompt.js';

export interface ApproveCommandOptions extends ApproveOptions {
  yesIfClean: boolean;
  printer: Printer;
  /** A prompt on the user's terminal; null when there is none (no TTY). */
  prompter: Prompter | null;
  engine?: SandboxEngine;
  log?: Logger;
}

type Answer = AllowScriptsDecision | 'skip';

const CHOICES = [
  { value: 'approve', key: 'a' },
  { value: 'deny', key: 'd' },
  { value: 'skip', key: 's' },
] as const;

const nameOf = (review: ApprovalReview): string => `${review.package.name}@${review.package.version}`;

/** Why a package is not approved under --yes-if-clean; null when it is clean. */
function notClean(review: ApprovalReview): string | null {
  if (review.entry === null) return 'npm has no trusted allowScripts entry for it';
  if (review.findings.length > 0) return `${review.findings.length} finding(s): ${[...new Set(review.findings.map((f) => f.ruleId))].join(', ')}`;
  if (review.scripts.length === 0) return 'none of its install scripts ran in the sandbox, so nothing shows it is clean';
  return null;
}

export async function approve(options: ApproveCommandOptions): Promise<number> {
  const { printer, prompter, yesIfClean, engine, log, ...runOptions } = options;
  const npmOutput = npmOutputKeeper();
  const run = startApproval(
    runOptions,
    runObserver(printer, npmOutput),
    { engine: engine ?? dockerEngine(), ...(log ? { log } : {}) },
  );
  const release = onInterrupt(() => run.abort());
  try {
    const session = await run.session.finally(() => printer.done());
    await npmOutput.close().catch(() => undefined);
    for (const warning of session.warnings) printer.warn(sanitize(warning));
    if (session.reviews.length === 0) {
      printer.plain(`safe-install: every dependency install script is covered by ${session.field}; nothing to approve`);
      return EXIT.pass;
    }
    printer.plain(`safe-install: ${session.reviews.length} package(s) with install scripts ${session.field} does not cover; their scripts ran in the sandbox (nothing came back into the project):`);
    if (session.unattributed.length > 0) printLines(printer, renderFindings(session.unattributed, RULES));

    const decisions = new Map<ApprovalReview, AllowScriptsDecision>();
    const left: Array<{ name: string; why: string }> = [];
    let leftWithFindings = 0;
    if (yesIfClean) {
      for (const review of session.reviews) {
        printLines(printer, renderApprovalView({ ...review, field: session.field, displayVersion: review.candidate.displayVersion }));
        const why = notClean(review);
        if (why === null) decisions.set(review, 'approve');
        else {
          left.push({ name: nameOf(review), why });
          if (review.findings.length > 0) leftWithFindings += 1;
        }
      }
    } else if (prompter !== null) {
      for (const review of session.reviews) {
        printLines(printer, renderApprovalView({ ...review, field: session.field, displayVersion: review.candidate.displayVersion }));
        if (review.entry === null) {
          left.push({ name: nameOf(review), why: 'npm has no trusted allowScripts entry for it' });
          continue;
        }
        const answer: Answer | null = await prompter.choose(`${sanitize(nameOf(review), 300)}: approve its install scripts`, CHOICES);
        if (answer === null) {
          left.push({ name: nameOf(review), why: 'no answer (input ended)' });
          continue;
        }
        if (answer === 'skip') left.push({ name: nameOf(review), why: 'skipped' });
        else decisions.set(review, answer);
      }
      prompter.close();
    } else {
      for (const review of session.reviews) printLines(printer, renderApprovalView({ ...review, field: session.field, displayVersion: review.candidate.displayVersion }));
      printer.error(
        'not a terminal, and --yes-if-clean was not given: nothing was written',
        'run `safe-install approve` on a terminal to decide per package, or `safe-install approve --yes-if-clean` to approve the packages with no finding',
      );
      return EXIT.usage;
    }

    const outcome = await session.apply(decisions);
    printLines(
      printer,
      renderApprovalSummary({
        approved: outcome.packageJson.approved,
        denied: [...decisions].filter(([, d]) => d === 'deny').map(([r]) => nameOf(r)),
        left,
        packageJson: outcome.packageJson,
        field: outcome.packageJson.field ?? session.field,
        manager: session.manager,
        ...(session.gateless ? { gateless: true } : {}),
        policy: outcome.policy,
        approvals: outcome.approvals,
      }),
    );
    if (yesIfClean && leftWithFindings > 0) {
      printer.error(`${leftWithFindings} package(s) with findings were left unapproved`, 'review them above; approve or deny them on a terminal with `safe-install approve`');
      return EXIT.violation;
    }
    return EXIT.pass;
  } finally {
    release();
  }
}
