/**
 * The terminal renderer: a run's result as lines for a person, each with its level. It renders
 * what was decided elsewhere (findings, verdict, review); it never decides. Every untrusted string
 * goes through the one sanitizer.
 */
import type { Finding, Report, ScriptReviewReport } from '@safe-install/schema';
import { allowAdvice, byPackage, clean, count, duration, ruleMap, type RuleText } from './words.js';

export interface TerminalLine {
  /** `plain`: part of the result block, printed as is (also with --quiet). */
  level: 'info' | 'warn' | 'error' | 'plain';
  text: string;
}

const warn = (text: string): TerminalLine => ({ level: 'warn', text });
const info = (text: string): TerminalLine => ({ level: 'info', text });
const plain = (text: string): TerminalLine => ({ level: 'plain', text });

/** Evidence ids, abridged: the report and the trace have them all. */
function evidence(finding: Finding): string {
  const ids = finding.evidence.slice(0, 5).map((id) => clean(id, 40));
  return ids.length === 0 ? '' : ` (evidence: ${ids.join(', ')}${finding.evidence.length > 5 ? ', …' : ''})`;
}

/**
 * Findings grouped by package: one line each (severity, rule, script, what it did), then what would
 * allow it — the exact policy line or command — or a plain note that it should not be allowed.
 */
export function renderFindings(findings: readonly Finding[], rules: readonly RuleText[] = []): TerminalLine[] {
  if (findings.length === 0) return [];
  const catalog = ruleMap(rules);
  const lines: TerminalLine[] = [plain(''), plain(`${count(findings.length, 'finding')}:`)];
  for (const group of byPackage(findings)) {
    lines.push(plain(`  ${group.name}`));
    for (const finding of group.findings) {
      const where = finding.lifecycle ? ` in ${clean(finding.lifecycle, 64)}` : '';
      lines.push(plain(`    ${finding.severity.padEnd(8)} ${clean(finding.ruleId, 64)}${where}: ${clean(finding.message)}${evidence(finding)}`));
      const advice = allowAdvice(finding, catalog);
      if (advice.lines.length === 0) continue;
      const label = advice.kind === 'do-not-allow' ? 'do not allow' : 'to allow';
      advice.lines.forEach((line, index) => lines.push(plain(`             ${index === 0 ? `${label}: ` : ' '.repeat(label.length + 2)}${line}`)));
    }
  }
  return lines;
}

/** npm's allowScripts review: what did not run, what ran unreviewed, and how to approve them. */
export function renderScriptReview(review: ScriptReviewReport | null | undefined): TerminalLine[] {
  if (!review) return [];
  const lines: TerminalLine[] = [];
  const list = (items: ScriptReviewReport['pending']) => items.map((item) => `${item.package.name}@${item.package.version}`).join(', ');
  const pnpm = review.packageManager === 'pnpm';
  const bun = review.packageManager === 'bun';
  const yarn = review.packageManager === 'yarn-berry';
  const manager = yarn ? `Yarn ${clean(review.npmVersion, 40)}` : `${review.packageManager ?? 'npm'} ${clean(review.npmVersion, 40)}`;
  const gate = bun
    ? 'trustedDependencies (package.json) or Bun\'s default list does not trust'
    : pnpm
      ? 'allowBuilds (pnpm-workspace.yaml) does not allow'
      : yarn
        ? 'dependenciesMeta (package.json) and enableScripts (.yarnrc.yml) do not allow'
        : 'allowScripts does not list';
  if (review.pending.length > 0) {
    lines.push(warn(`${manager} skipped the ${yarn ? 'builds' : 'install scripts'} of ${count(review.pending.length, 'package')} that ${gate} (not run): ${clean(list(review.pending))}`));
  }
  if (review.unreviewed.length > 0) {
    const why = pnpm ? 'dangerouslyAllowAllBuilds is on' : 'allowScripts does not list';
    lines.push(warn(`${manager} ran the install scripts of ${count(review.unreviewed.length, 'package')} ${pnpm ? 'because' : 'that'} ${why} (judged by what they did): ${clean(list(review.unreviewed))}`));
  }
  if (review.policyAllowed !== undefined && review.policyAllowed.length > 0) {
    const field = bun ? 'trustedDependencies' : pnpm ? 'allowBuilds' : yarn ? 'dependenciesMeta' : 'allowScripts';
    lines.push(info(`${manager} ran the install scripts of ${count(review.policyAllowed.length, 'package')} allowed by safe-install's policy (not in ${field}; granted in the sandbox's copy only): ${clean(review.policyAllowed.map((p) => `${p.name}@${p.version}`).join(', '))}`));
  }
  for (const item of [...review.pending, ...review.unreviewed]) {
    // Yarn's approval is an edit, not a command: its text is the instruction itself.
    const how = yarn ? clean(item.approve) : `\`${clean(item.approve)}\``;
    lines.push(warn(`    to approve ${clean(item.package.name)}: ${how} (${bun ? 'trustedDependencies' : pnpm ? 'allowBuilds' : yarn ? 'dependenciesMeta' : 'allowScripts'} ${clean(item.entry)})`));
  }
  return lines;
}

/** Past this many project files of one folder and one kind of change, the folder is one line. */
export const PROJECT_FILES_LISTED_PER_FOLDER = 5;

/**
 * The project files that came back, one line each, but a folder with many (Yarn PnP's
 * `.yarn/cache`, a build's `dist/`) as one line with their count: the report lists them all.
 */
function projectFileLines(files: NonNullable<Report['export']>['projectFiles']): TerminalLine[] {
  const groups = new Map<string, { change: string; folder: string; paths: string[] }>();
  for (const file of files) {
    const folder = file.path.includes('/') ? file.path.slice(0, file.path.lastIndexOf('/')) : '';
    const key = `${file.change}\0${folder}`;
    const group = groups.get(key) ?? { change: file.change, folder, paths: [] };
    group.paths.push(file.path);
    groups.set(key, group);
  }
  return [...groups.values()].flatMap(({ change, folder, paths }) =>
    paths.length > PROJECT_FILES_LISTED_PER_FOLDER && folder !== ''
      ? [info(`project files ${change}: ${paths.length} in ${clean(folder)}/ (listed in the report)`)]
      : paths.map((path) => info(`project file ${change}: ${clean(path)}`)),
  );
}

/** What the export did to the project: files put in place, deletions not applied. */
export function renderExport(exported: Report['export'] | undefined): TerminalLine[] {
  if (!exported) return [];
  return [
    ...(exported.applied ? projectFileLines(exported.projectFiles) : []),
    ...exported.deleted.map((path) => warn(`the install deleted ${clean(path)} in the sandbox; not applied to the project`)),
  ];
}

export interface SummaryInput {
  report: Report;
  /** Packages the lockfile installs (absent: not known). */
  lockedPackages?: number;
  lingering: number;
}

/**
 * The closing summary in plain words: packages, scripts run and skipped, network requests let
 * through and refused, findings, time. Internal phase timings stay in the JSON report.
 */
export function renderSummary(input: SummaryInput): TerminalLine[] {
  const { report } = input;
  const failed = report.scripts.filter((run) => (run.code !== undefined && run.code !== 0) || run.signal !== undefined).length;
  const skipped = report.scriptReview?.pending.length ?? 0;
  const installed = input.lockedPackages === undefined ? '' : `${count(input.lockedPackages, 'package')} in the lockfile; `;
  const scripts = `${count(report.summary.scripts, 'install script')} run${failed ? ` (${failed} failed)` : ''} from ${count(report.summary.packages, 'package')}` + (skipped ? `, the scripts of ${count(skipped, 'package')} skipped` : '');
  const net = report.network;
  const network = net ? `; ${count(net.requests, 'network request')} (${net.allowed} allowed, ${net.refused} refused)` : '';
  const severities = (['critical', 'high', 'medium', 'low', 'info'] as const).filter((s) => report.summary.bySeverity[s] > 0).map((s) => `${report.summary.bySeverity[s]} ${s}`);
  const findings = report.summary.findings === 0 ? 'no findings' : `${count(report.summary.findings, 'finding')} (${severities.join(', ')})`;
  const total = report.timings['total'];
  const lines = [
    plain(''),
    plain(`summary: ${installed}${scripts}${network}; ${findings}${total === undefined ? '' : `; took ${duration(total)}`}`),
  ];
  if (input.lingering > 0) lines.push(plain(`         ${count(input.lingering, 'process', 'processes')} outlived ${input.lingering === 1 ? 'its script and was' : 'their scripts and were'} killed`));
  return lines;
}
