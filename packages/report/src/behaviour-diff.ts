/**
 * The behaviour diff of two traces (`@safe-install/trace`'s diffBehaviours) in words: terminal
 * lines for `safe-install trace diff`, Markdown for `safe-install diff` (a pull-request comment).
 * One summary line per script — `foo@2.0.1 postinstall: +2 hosts, +1 exec` — then each new
 * behaviour. Every value came from the traced code: sanitized, and in Markdown neutralised.
 */
import { BEHAVIOUR_KINDS, type BehaviourChange, type BehaviourKind } from '@safe-install/trace';
import type { TerminalLine } from './terminal.js';
import { mdCode, mdText } from './markdown.js';
import { clean, count } from './words.js';

const WORDS: Record<BehaviourKind, [one: string, many: string, label: string]> = {
  script: ['script command', 'script commands', 'script'],
  exec: ['exec', 'execs', 'exec'],
  host: ['host', 'hosts', 'host'],
  dns: ['DNS name', 'DNS names', 'dns'],
  file: ['file written outside the package', 'files written outside the package', 'write'],
  finding: ['finding', 'findings', 'finding'],
};

/** Most values listed per kind and script; the rest are counted. */
const MAX_LISTED = 50;

/** `foo@2.0.1 postinstall` (`was 2.0.0`, `new script`), or what ran outside any install script. */
export function changeTitle(change: BehaviourChange): string {
  if (change.package === null) return 'outside any install script (the package manager)';
  const notes = [...(change.newScript ? ['new script'] : []), ...(change.baseVersion !== undefined ? [`was ${change.baseVersion}`] : [])];
  return `${change.package.name}@${change.package.version} ${change.lifecycle ?? '?'}${notes.length > 0 ? ` (${notes.join(', ')})` : ''}`;
}

/** `+2 hosts, +1 exec`. */
export function changeCounts(change: BehaviourChange): string {
  return BEHAVIOUR_KINDS.filter((kind) => change.added[kind].length > 0)
    .map((kind) => `+${count(change.added[kind].length, WORDS[kind][0], WORDS[kind][1])}`)
    .join(', ');
}

function partialNote(change: BehaviourChange): string | null {
  if (change.partial.length === 0) return null;
  return `the base trace had more ${change.partial.map((kind) => WORDS[kind][1]).join(', ')} than are compared: some listed here may not be new`;
}

/** Terminal lines; none when nothing was added. */
export function renderBehaviourDiff(changes: readonly BehaviourChange[]): TerminalLine[] {
  const lines: TerminalLine[] = [];
  for (const change of changes) {
    lines.push({ level: 'plain', text: `${clean(changeTitle(change), 400)}: ${changeCounts(change)}` });
    for (const kind of BEHAVIOUR_KINDS) {
      const values = change.added[kind];
      for (const value of values.slice(0, MAX_LISTED)) lines.push({ level: 'plain', text: `  + ${WORDS[kind][2].padEnd(7)} ${clean(value, 400)}` });
      if (values.length > MAX_LISTED) lines.push({ level: 'plain', text: `  … and ${values.length - MAX_LISTED} more ${WORDS[kind][1]}` });
    }
    const note = partialNote(change);
    if (note !== null) lines.push({ level: 'warn', text: `${clean(changeTitle(change), 400)}: ${note}` });
  }
  return lines;
}

export interface DiffMarkdownInput {
  changes: readonly BehaviourChange[];
  /** What the two traces are (the base branch's run, this run), for the heading. */
  base: string;
  head: string;
  /** Notes on the comparison (an incomplete trace, findings not compared). */
  notes?: readonly string[];
}

/** The diff as Markdown for a pull-request comment: only what changed. */
export function renderBehaviourDiffMarkdown(input: DiffMarkdownInput): string {
  const out: string[] = [];
  const total = input.changes.length;
  out.push(`### safe-install: ${total === 0 ? 'no new install-time behaviour' : `new install-time behaviour in ${count(total, 'script')}`}`, '');
  out.push(`Compared ${mdText(input.head, 300)} with ${mdText(input.base, 300)}.`, '');
  for (const note of input.notes ?? []) out.push(`> ${mdText(note, 600)}`, '');
  if (total > 0) {
    out.push('| package | script | new behaviour |', '| --- | --- | --- |');
    for (const change of input.changes) {
      const who = change.package === null ? 'the package manager' : `${mdText(`${change.package.name}@${change.package.version}`, 300)}${change.baseVersion !== undefined ? ` (was ${mdText(change.baseVersion, 64)})` : ''}`;
      const script = change.package === null ? 'outside any script' : `${mdText(change.lifecycle ?? '?', 64)}${change.newScript ? ' (new)' : ''}`;
      // The counts are our own words (no text of the trace): as they are.
      out.push(`| ${who} | ${script} | ${changeCounts(change)} |`);
    }
    out.push('');
    for (const change of input.changes) {
      out.push(`#### ${mdText(changeTitle(change), 400)}`, '');
      for (const kind of BEHAVIOUR_KINDS) {
        const values = change.added[kind];
        for (const value of values.slice(0, MAX_LISTED)) out.push(`- ${WORDS[kind][2]} ${mdCode(value, 400)}`);
        if (values.length > MAX_LISTED) out.push(`- … and ${values.length - MAX_LISTED} more ${WORDS[kind][1]}`);
      }
      const note = partialNote(change);
      if (note !== null) out.push('', `> ${mdText(note, 400)}`);
      out.push('');
    }
  }
  return `${out.join('\n')}\n`;
}
