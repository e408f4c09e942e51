/**
 * The terminal renderer: a run's result as lines for a person, each with its level. It renders
 * what was decided elsewhere (findings, verdict, review); it never decides. Every untrusted string
 * goes through the one sanitizer.
 */
import { sanitizeText, type Finding, type Report, type ScriptReviewReport, type Severity } from '@safe-install/schema';

export interface TerminalLine {
  level: 'info' | 'warn' | 'error';
  text: string;
}

const sanitize = (text: string): string => sanitizeText(text, 2000);
const warn = (text: string): TerminalLine => ({ level: 'warn', text });
const info = (text: string): TerminalLine => ({ level: 'info', text });

const SEVERITY_MARK: Record<Severity, string> = { info: 'i', low: '·', medium: '!', high: '!!', critical: '!!!' };

/** One line per finding (with its fix, when it has one), the evidence ids abridged. */
export function renderFindings(findings: readonly Finding[]): TerminalLine[] {
  const lines: TerminalLine[] = [];
  for (const finding of findings) {
    const who = finding.package ? `${finding.package.name}@${finding.package.version}${finding.lifecycle ? ` (${finding.lifecycle})` : ''}` : 'the package manager';
    lines.push(warn(`${SEVERITY_MARK[finding.severity]} ${finding.severity} ${finding.ruleId}: ${sanitize(who)}: ${sanitize(finding.message)} [events ${finding.evidence.slice(0, 5).join(', ')}${finding.evidence.length > 5 ? ', …' : ''}]`));
    if (finding.hint) lines.push(warn(`    fix: ${sanitize(finding.hint)}`));
  }
  return lines;
}

/** npm's allowScripts review: what did not run, what ran unreviewed, and how to approve them. */
export function renderScriptReview(review: ScriptReviewReport | null | undefined): TerminalLine[] {
  if (!review) return [];
  const lines: TerminalLine[] = [];
  const list = (items: ScriptReviewReport['pending']) => items.map((item) => `${item.package.name}@${item.package.version}`).join(', ');
  if (review.pending.length > 0) {
    lines.push(warn(`npm ${sanitize(review.npmVersion)} skipped the install scripts of ${review.pending.length} package(s) allowScripts does not list (pending, not run): ${sanitize(list(review.pending))}`));
  }
  if (review.unreviewed.length > 0) {
    lines.push(warn(`npm ${sanitize(review.npmVersion)} ran the install scripts of ${review.unreviewed.length} package(s) allowScripts does not list (unreviewed, judged by what they did): ${sanitize(list(review.unreviewed))}`));
  }
  for (const item of [...review.pending, ...review.unreviewed]) {
    lines.push(warn(`    approve ${sanitize(item.package.name)}: \`${sanitize(item.approve)}\` (allowScripts ${sanitize(item.entry)})`));
  }
  return lines;
}

/** What the export did to the project: files put in place, deletions not applied. */
export function renderExport(exported: Report['export'] | undefined): TerminalLine[] {
  if (!exported) return [];
  return [
    ...(exported.applied ? exported.projectFiles.map((file) => info(`project file ${file.change}: ${sanitize(file.path)}`)) : []),
    ...exported.deleted.map((path) => warn(`the install deleted ${sanitize(path)} in the sandbox; not applied to the project`)),
  ];
}

/** The closing summary of a run: scripts, packages, events, lingering processes and timings. */
export function renderSummary(report: Report, lingering: number): TerminalLine {
  return info(
    `${report.summary.scripts} lifecycle scripts from ${report.summary.packages} packages, ${report.summary.events} events` +
      `${lingering ? `, ${lingering} lingering process(es) killed` : ''}; ` +
      `phases ${Object.entries(report.timings).map(([phase, ms]) => `${phase} ${ms}ms`).join(', ')}`,
  );
}
