/**
 * `safe-install approve` in words: per package, what its install scripts did in the sandbox —
 * the script commands, the programs they ran, the files they wrote outside the package, the hosts
 * and DNS names they reached, the credentials (decoys) they read, and the policy's findings — and,
 * for a new version of a package approved before, what it does that the approved run did not
 * (the behaviour diff). Then what the decisions wrote. Renders only: what is clean, and what is
 * written, is decided by the caller. Every value came from the traced code: sanitized.
 */
import type { Finding, PackageRef } from '@safe-install/schema';
import type { BehaviourChange, BehaviourKind, ScriptBehaviour } from '@safe-install/trace';
import { renderBehaviourDiff } from './behaviour-diff.js';
import type { TerminalLine } from './terminal.js';
import { clean, count } from './words.js';

/** One package waiting for a decision, as approve shows it. */
export interface ApprovalView {
  package: PackageRef;
  /** Its folder in the project. */
  path: string;
  /** The allowScripts entry approving it writes; null when npm has no trusted key for it. */
  entry: string | null;
  scripts: readonly ScriptBehaviour[];
  findings: readonly Finding[];
  /** The version approved before, and what is new since its run (null: that run was not recorded). */
  previous: { version: string; changes: readonly BehaviourChange[] | null } | null;
  /** The manager's field the entry goes into (absent: npm's allowScripts). */
  field?: string;
  /**
   * The version the package's own package.json gives, shown beside a lockfile identity that has
   * none (Bun's local tarball: `name@file:<path>`); display only, the identity stays the lockfile's.
   */
  displayVersion?: string;
}

/** Rules whose findings are reads of credentials: listed as such, before the other findings. */
const CREDENTIAL_RULES = new Set(['decoy-credential-read', 'credential-store-read']);

const SHOWN: Array<[BehaviourKind, string]> = [
  ['exec', 'process'],
  ['file', 'write'],
  ['host', 'host'],
  ['dns', 'dns'],
];

/** Most values listed per kind and script; the rest are counted. */
const MAX_LISTED = 30;

const plain = (text: string): TerminalLine => ({ level: 'plain', text });

/** The block of one package: header, behaviour per script, credentials read, findings, the diff. */
export function renderApprovalView(view: ApprovalView): TerminalLine[] {
  const shownVersion = view.displayVersion !== undefined && view.package.version.startsWith('file:') ? ` (version ${clean(view.displayVersion, 60)} by its package.json)` : '';
  const name = `${clean(`${view.package.name}@${view.package.version}`, 300)}${shownVersion}`;
  const entry = view.entry === null ? 'npm has no trusted allowScripts entry for it' : `${clean(view.field ?? 'allowScripts', 100)} entry ${clean(JSON.stringify(view.entry), 600)}`;
  const lines: TerminalLine[] = [plain(''), plain(`${name} (${clean(view.path, 400)}): ${entry}`)];
  if (view.scripts.length === 0) lines.push(plain('  no install script of it ran in the sandbox: nothing to judge it by'));
  for (const script of view.scripts) {
    const command = [...script.values.script][0];
    lines.push(plain(`  ${clean(script.lifecycle ?? '?', 64)}: ${command === undefined ? '(command not recorded)' : clean(command, 400)}`));
    let any = false;
    for (const [kind, label] of SHOWN) {
      const values = [...script.values[kind]];
      for (const value of values.slice(0, MAX_LISTED)) lines.push(plain(`    ${label.padEnd(8)} ${clean(value, 400)}`));
      if (values.length > MAX_LISTED) lines.push(plain(`    … and ${values.length - MAX_LISTED} more (${label})`));
      if (script.dropped[kind] > 0) lines.push(plain(`    … and ${script.dropped[kind]} more not recorded (${label})`));
      any ||= values.length > 0;
    }
    if (!any) lines.push(plain('    ran no program, wrote nothing outside its folder, reached no host'));
  }
  const credentials = view.findings.filter((f) => CREDENTIAL_RULES.has(f.ruleId));
  const others = view.findings.filter((f) => !CREDENTIAL_RULES.has(f.ruleId));
  if (credentials.length > 0) {
    lines.push(plain(`  credentials read (decoys: the real ones never enter the sandbox):`));
    for (const f of credentials) lines.push(plain(`    ${findingLine(f)}`));
  }
  if (view.findings.length === 0) lines.push(plain('  findings: none'));
  else if (others.length > 0) {
    lines.push(plain(`  ${count(others.length, 'finding')}:`));
    for (const f of others) lines.push(plain(`    ${findingLine(f)}`));
  }
  if (view.previous !== null) {
    const was = clean(`${view.package.name}@${view.previous.version}`, 300);
    if (view.previous.changes === null) lines.push(plain(`  approved before: ${was}, whose run is not in the approvals file: nothing to compare with`));
    else if (view.previous.changes.length === 0) lines.push(plain(`  approved before: ${was}; this version does nothing its approved run did not`));
    else {
      lines.push(plain(`  approved before: ${was}; new since its approved run:`));
      for (const line of renderBehaviourDiff(view.previous.changes)) lines.push({ level: line.level, text: `    ${line.text}` });
    }
  }
  return lines;
}

function findingLine(f: Finding): string {
  return `${f.severity.padEnd(8)} ${clean(f.ruleId, 64)}${f.lifecycle ? ` in ${clean(f.lifecycle, 64)}` : ''}: ${clean(f.message)}`;
}

/** What approve wrote, and what it left. */
export interface ApprovalSummary {
  approved: readonly string[];
  denied: readonly string[];
  /** Packages left without an entry (skipped, or not clean under --yes-if-clean). */
  left: ReadonlyArray<{ name: string; why: string }>;
  packageJson: { path: string; written: boolean; warnings: readonly string[] };
  /** The manager's field written (absent: npm's allowScripts), and who skips a denied package's scripts. */
  field?: string;
  manager?: string;
  /** The manager has no build gate of its own (Yarn 1 runs every script): the decisions are safe-install's policy's only. */
  gateless?: boolean;
  policy: { path: string; written: boolean; applied: number; unresolved: number } | null;
  approvals: { path: string; written: boolean; warning?: string | undefined };
}

export function renderApprovalSummary(summary: ApprovalSummary): TerminalLine[] {
  const lines: TerminalLine[] = [plain('')];
  const list = (names: readonly string[]) => clean(names.join(', '));
  if (summary.approved.length > 0) lines.push(plain(`approved ${count(summary.approved.length, 'package')}: ${list(summary.approved)}`));
  if (summary.denied.length > 0) {
    const manager = clean(summary.manager ?? 'npm', 40);
    const what = summary.gateless === true ? `${manager} still runs their scripts; safe-install's policy does not allow them, so \`safe-install ci\` fails on them` : `${manager} skips their scripts`;
    lines.push(plain(`denied ${count(summary.denied.length, 'package')} (${what}): ${list(summary.denied)}`));
  }
  for (const left of summary.left) lines.push({ level: 'warn', text: `not approved: ${clean(left.name, 300)} — ${clean(left.why, 400)}` });
  for (const warning of summary.packageJson.warnings) lines.push({ level: 'warn', text: clean(warning) });
  const field = clean(summary.field ?? 'allowScripts', 100);
  if (summary.gateless === true) lines.push(plain(`${clean(summary.manager ?? 'the manager', 40)} has no build gate of its own (it runs every package's install scripts): nothing is written to its files; the decisions are kept in safe-install's policy and approvals file only`));
  else lines.push(plain(summary.packageJson.written ? `${field} written to ${clean(summary.packageJson.path)}` : `${clean(summary.packageJson.path)}: ${field} unchanged`));
  if (summary.policy !== null) {
    const p = summary.policy;
    lines.push(plain(p.written ? `policy ${clean(p.path)}: ${count(p.applied, 'change')} applied` : `policy ${clean(p.path)} already allows what they did; not changed`));
    if (p.unresolved > 0) lines.push({ level: 'warn', text: `${count(p.unresolved, 'finding')} of the approved packages no policy entry can allow: ci will still report them` });
  }
  if (summary.approvals.warning !== undefined) lines.push({ level: 'warn', text: `${clean(summary.approvals.warning)}: the approved runs were not recorded` });
  else if (summary.approvals.written) lines.push(plain(`approved runs recorded in ${clean(summary.approvals.path)} (the next version is compared with them)`));
  return lines;
}
