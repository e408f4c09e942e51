/**
 * The terminal summary of one package's analysis (`safe-install analyze`): its risk, how each
 * phase ended, and its top behaviours — commands run, hosts contacted, decoys read, files written
 * outside its folder — then its findings. It renders what the analysis holds; it never decides.
 */
import { SANDBOX_HELPERS, type FileEvent, type Finding, type PackageAnalysis, type ProcessExecEvent, type TraceEvent } from '@safe-install/schema';
import { clean, count, duration } from './words.js';
import type { TerminalLine } from './terminal.js';

/** How many of each kind of behaviour the summary names. */
export const ANALYSIS_TOP = 5;

const plain = (text: string): TerminalLine => ({ level: 'plain', text });

/** Distinct values, most frequent first (ties: first seen), at most `n`; and how many there were. */
function top(values: readonly string[], n = ANALYSIS_TOP): { shown: string[]; total: number } {
  const counts = new Map<string, number>();
  for (const value of values) counts.set(value, (counts.get(value) ?? 0) + 1);
  const sorted = [...counts.entries()].sort((a, b) => b[1] - a[1]).map(([value]) => value);
  return { shown: sorted.slice(0, n), total: sorted.length };
}

function listLine(label: string, values: readonly string[]): TerminalLine | null {
  const { shown, total } = top(values);
  if (total === 0) return null;
  return plain(`    ${label}: ${shown.map((value) => clean(value, 120)).join(', ')}${total > shown.length ? `, … (${total} in all)` : ''}`);
}

/** Events cited by findings of these rules. */
function cited(findings: readonly Finding[], events: ReadonlyMap<string, TraceEvent>, rules: ReadonlySet<string>): TraceEvent[] {
  return findings.filter((finding) => rules.has(finding.ruleId)).flatMap((finding) => finding.evidence.map((id) => events.get(id)).filter((event): event is TraceEvent => event !== undefined));
}

const DECOY_RULES = new Set(['decoy-credential-read', 'credential-store-read']);
const WRITE_RULES = new Set(['write-outside-package', 'persistence-write', 'foreign-package-write', 'destructive-wipe', 'untraced-change']);

export function renderAnalysis(analysis: PackageAnalysis): TerminalLine[] {
  const events = analysis.phases.flatMap((phase) => phase.events);
  const byId = new Map(events.map((event) => [event.id, event]));
  const name = `${clean(analysis.package.name, 214)}@${clean(analysis.package.version, 64)}`;
  const asked = analysis.spec === name ? '' : ` (${clean(analysis.spec, 200)})`;
  const lines: TerminalLine[] = [plain(''), plain(`${name}${asked}: risk ${analysis.risk}${analysis.findings.length > 0 ? ` — ${count(analysis.findings.length, 'finding')}` : ''}`)];
  lines.push(
    plain(
      `    phases: ${analysis.phases
        .map((phase) => {
          if (phase.status === 'skipped') return `${phase.phase} skipped`;
          const took = duration(Math.max(0, Date.parse(phase.endedAt) - Date.parse(phase.startedAt)));
          const exit = phase.status === 'completed' && phase.exitCode !== null && phase.exitCode !== 0 ? `, exit ${phase.exitCode}` : '';
          return `${phase.phase} ${phase.status}${exit} (${took})`;
        })
        .join(', ')}`,
    ),
  );
  // What the package's own code ran: not the manager's processes, not the script shell that
  // starts each script (and its `sh -c`), not the phase's own command (the import program, the bins loop).
  const execs = events.filter((event): event is ProcessExecEvent => event.type === 'process' && event.action === 'exec' && event.package !== undefined && !event.packageManager);
  const shells = new Set(execs.filter((event) => event.path === SANDBOX_HELPERS.scriptShell).map((event) => event.pid));
  const phaseCommands = new Set(analysis.phases.map((phase) => phase.command.join('\0')));
  const commands = execs
    .filter((event) => {
      if (event.path === SANDBOX_HELPERS.scriptShell || phaseCommands.has(event.argv.join('\0'))) return false;
      const scriptShellsSh = /(^|\/)(ba|da)?sh$/.test(event.argv[0] ?? '') && event.argv[1] === '-c' && (shells.has(event.pid) || shells.has(event.ppid));
      return !scriptShellsSh;
    })
    .map((event) => event.argv.join(' '));
  const hosts = events.flatMap((event) => (event.type === 'dns' ? [event.name] : event.type === 'http' && event.decision !== 'registry' ? [event.host] : []));
  const decoys = cited(analysis.findings, byId, DECOY_RULES).flatMap((event) => (event.type === 'file' ? [(event as FileEvent).path] : []));
  const written = [
    ...cited(analysis.findings, byId, WRITE_RULES).flatMap((event) => (event.type === 'fsdiff' || event.type === 'file' ? [event.path] : [])),
    ...analysis.artefacts.filter((artefact) => artefact.kind === 'written-file').map((artefact) => artefact.description ?? artefact.path),
  ];
  for (const line of [listLine('commands run', commands), listLine('hosts contacted', hosts), listLine('decoys read', decoys), listLine('files written outside the package', written)]) {
    if (line) lines.push(line);
  }
  const sinked = analysis.artefacts.filter((artefact) => artefact.kind === 'sink-request').length;
  if (sinked > 0) lines.push(plain(`    sinked request bodies kept: ${sinked}`));
  for (const finding of analysis.findings.slice(0, 10)) {
    const where = finding.lifecycle ? ` in ${clean(finding.lifecycle, 64)}` : '';
    lines.push(plain(`    ${finding.severity.padEnd(8)} ${clean(finding.ruleId, 64)}${where}: ${clean(finding.message, 300)}`));
  }
  if (analysis.findings.length > 10) lines.push(plain(`    … ${analysis.findings.length - 10} more finding(s) in analysis.json`));
  return lines;
}

/** The batch's last line: how many packages, by risk, and what could not be analysed. */
export function renderAnalysisTotals(totals: { analysed: number; failed: number; skipped: number; byRisk: Readonly<Record<string, number>>; ms: number }): TerminalLine[] {
  const risks = Object.entries(totals.byRisk)
    .filter(([, n]) => n > 0)
    .map(([risk, n]) => `${n} ${risk}`)
    .join(', ');
  return [
    plain(''),
    plain(
      `analyze: ${count(totals.analysed, 'package')} analysed${risks ? ` (risk: ${risks})` : ''}${totals.failed > 0 ? `, ${totals.failed} could not be analysed` : ''}${totals.skipped > 0 ? `, ${totals.skipped} skipped (already analysed)` : ''} in ${duration(totals.ms)}`,
    ),
  ];
}
