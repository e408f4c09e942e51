/**
 * `safe-install trace diff A B` and `safe-install diff --base A --head B [--markdown FILE]`: the
 * behaviours of B's install scripts that A's did not have, per package and lifecycle script (the
 * package by name, so a version bump compares the same script): new processes, hosts, DNS names,
 * files written outside the package, and findings. Nothing is printed for an identical rerun.
 *
 * Both traces are streamed into `@safe-install/trace`'s behaviour collector. The findings are the
 * policy's on each trace, judged with that trace's own policy (its header has it), so a finding
 * is "new" only when B's run would have reported it and A's did not; judging needs the events in
 * memory, so a trace beyond {@link MAX_JUDGED_EVENTS} is compared without its findings, and the
 * output says so.
 *
 * Exit codes: 0 (the diff is information; a policy decides pass or fail), 2 for an unreadable trace.
 */
import { appendFile, writeFile } from 'node:fs/promises';
import type { TraceEvent, TraceHeader } from '@safe-install/schema';
import { scanTraceFile } from '@safe-install/core';
import { evaluate } from '@safe-install/policy';
import { renderBehaviourDiff, renderBehaviourDiffMarkdown } from '@safe-install/report';
import { BehaviourCollector, behaviourContextOf, diffBehaviours, type BehaviourChange, type TraceBehaviours } from '@safe-install/trace';
import { EXIT } from '../exit-codes.js';
import { sanitize, type Printer } from '../output.js';
import { runPolicy } from './trace.js';
import { explainTraceErrors, streamSink, type LineSink } from './trace-input.js';

/** Most events kept in memory to judge a trace for its findings (a CI run has thousands). */
export const MAX_JUDGED_EVENTS = 400_000;

export interface TraceDiffOptions {
  base: string;
  head: string;
  /** Write the diff as Markdown (a pull-request comment) to FILE. */
  markdown?: string | undefined;
  /** Append to the Markdown file instead of replacing it ($GITHUB_STEP_SUMMARY). */
  appendMarkdown?: boolean | undefined;
  printer: Printer;
  out?: LineSink | undefined;
}

interface Side {
  header: TraceHeader;
  behaviours: TraceBehaviours;
  events: number;
  badLines: number;
  /** Why the findings were not compared, when they were not. */
  unjudged?: string;
}

/** Stream one trace into behaviours; judge it too when it is small enough to hold. */
export async function traceBehaviours(file: string): Promise<Side> {
  let collector: BehaviourCollector | null = null;
  let kept: TraceEvent[] | null = [];
  const scan = await explainTraceErrors(
    file,
    scanTraceFile(file, (header) => {
      const c = new BehaviourCollector(behaviourContextOf(header));
      collector = c;
      return (event) => {
        c.observe(event);
        if (kept !== null) {
          if (kept.length < MAX_JUDGED_EVENTS) kept.push(event);
          else kept = null;
        }
      };
    }),
  );
  const side: Side = { header: scan.header, behaviours: { scripts: new Map() }, events: scan.events, badLines: scan.badLines };
  const c = collector as BehaviourCollector | null;
  if (c === null) return side;
  if (kept === null) side.unjudged = `it has more than ${MAX_JUDGED_EVENTS} events`;
  else {
    try {
      const { policy } = runPolicy(scan.header);
      c.addFindings(evaluate({ events: kept, policy, decoys: scan.header.decoys, context: scan.header.context }).findings);
    } catch (error) {
      side.unjudged = (error as Error).message;
    }
  }
  side.behaviours = c.result();
  return side;
}

function describe(file: string, header: TraceHeader): string {
  return `${file} (${header.job} run ${header.runId ?? 'not started'}, ${new Date(header.startedAt).toISOString()})`;
}

/** The notes a reader of the diff needs: traces that are not whole, findings not compared. */
function notesOf(name: string, file: string, side: Side): string[] {
  const notes: string[] = [];
  if (!side.header.complete) notes.push(`the ${name} trace ${file} is incomplete (its run was killed or crashed): what it did not record cannot be compared`);
  if (side.badLines > 0) notes.push(`${side.badLines} line(s) of the ${name} trace ${file} are not events and were skipped`);
  if (side.unjudged !== undefined) notes.push(`findings of the ${name} trace were not compared: ${side.unjudged}`);
  return notes;
}

export async function traceDiff(options: TraceDiffOptions): Promise<{ code: number; changes: BehaviourChange[] }> {
  const { printer } = options;
  const [base, head] = [await traceBehaviours(options.base), await traceBehaviours(options.head)];
  const changes = diffBehaviours(base.behaviours, head.behaviours);
  const notes = [...notesOf('base', options.base, base), ...notesOf('head', options.head, head)];
  for (const note of notes) printer.warn(sanitize(note));
  // The diff is the result: on stdout, nothing at all when nothing was added; warnings and the verdict line on stderr.
  const out = options.out ?? streamSink();
  for (const line of renderBehaviourDiff(changes)) {
    if (line.level === 'plain') await out.line(line.text);
    else printer[line.level](line.text);
  }
  await out.flush();
  printer.info(changes.length === 0 ? 'no new behaviour: the head trace does nothing the base trace did not' : `new behaviour in ${changes.length} script(s)`);
  if (options.markdown !== undefined) {
    const markdown = renderBehaviourDiffMarkdown({ changes, base: describe(options.base, base.header), head: describe(options.head, head.header), notes });
    await (options.appendMarkdown ? appendFile : writeFile)(options.markdown, markdown);
  }
  return { code: EXIT.pass, changes };
}
