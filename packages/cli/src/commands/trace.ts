/**
 * `safe-install trace judge FILE [--policy FILE] [--report FILE] [--html FILE]`, and
 * `safe-install trace report FILE [--html OUT] [--policy FILE]` (the same, for the HTML page): judge a saved trace again,
 * offline — no engine, no project, no network. The trace's header holds what the run's policy
 * engine was given besides the events (the evaluation context, the decoy index, the resolved
 * policy and the package-manager allowances), so without `--policy` the findings are the run's
 * own; with it, they are what that policy would have said of the same behaviour (the incident
 * responder's question: "would our new policy have caught it?"). `now` for ignore expiry is the
 * run's, so an ignore is judged as it stood when the install ran.
 *
 * Exit codes as `ci`: 1 when the policy, in block mode, fails the trace; 2 for an unreadable
 * trace or policy.
 */
import { writeFile } from 'node:fs/promises';
import { SafeInstallError, SEVERITIES, type Report, type Severity, type TraceHeader } from '@safe-install/schema';
import { buildReport } from '@safe-install/report';
import { RULES, atLeast, evaluate, loadPolicy, type ImportedAllowances, type Policy, type PolicyMode } from '@safe-install/policy';
import { TOOL_VERSION } from '@safe-install/sandbox';
import { EXIT } from '../exit-codes.js';
import { printLines, sanitize, type Printer } from '../output.js';
import { readTraceFile } from '@safe-install/core';
import { renderFindings, renderHtml } from '@safe-install/report';
import { explainTraceErrors } from './trace-input.js';

export interface TraceJudgeOptions {
  file: string;
  /** A policy file to judge by instead of the run's. */
  policy?: string | undefined;
  report?: string | undefined;
  /** As on `ci`: block (fail on findings) or audit (report only), over the policy's own mode. */
  mode?: PolicyMode | undefined;
  /** As on `ci`: the lowest severity that fails in block mode, over the policy's own. */
  failOn?: Severity | undefined;
  /** Write the HTML report of the judged trace to FILE. */
  html?: string | undefined;
  /**
   * `trace report`: the page is the point, so the exit code says whether it was written, not the
   * verdict (which the page and the last line show). Default: exit by the verdict, as `ci`.
   */
  verdictExit?: boolean;
  printer: Printer;
}

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);

/**
 * The header's policy, checked as far as the engine relies on its shape: the header is JSON a
 * file handed around may have changed, and a malformed policy must be a clear error, not a crash
 * half-way through the rules.
 */
export function runPolicy(header: TraceHeader): { policy: Policy; interop: ImportedAllowances } {
  const { resolved, interop } = header.policy as { resolved: Record<string, unknown>; interop: Record<string, unknown> };
  const problems: string[] = [];
  if (resolved.mode !== 'block' && resolved.mode !== 'audit') problems.push('mode');
  if (!SEVERITIES.includes(resolved.failOn as Severity)) problems.push('failOn');
  if (!isRecord(resolved.network) || !Array.isArray(resolved.network.allow)) problems.push('network');
  for (const key of ['packages', 'ignore', 'sources'] as const) if (!Array.isArray(resolved[key])) problems.push(key);
  if (Array.isArray(resolved.packages) && !resolved.packages.every((rule) => isRecord(rule) && typeof rule.name === 'string' && Array.isArray(rule.network) && isRecord(rule.origin))) problems.push('packages');
  if (Array.isArray(resolved.ignore) && !resolved.ignore.every((rule) => isRecord(rule) && typeof rule.rule === 'string' && isRecord(rule.origin))) problems.push('ignore');
  if (!Array.isArray(interop.rules) || !Array.isArray(interop.warnings)) problems.push('interop');
  if (problems.length > 0) {
    throw new SafeInstallError('TRACE_INVALID', 'usage', `the trace's policy is malformed (${[...new Set(problems)].join(', ')}); judge it with --policy FILE`);
  }
  return { policy: resolved as unknown as Policy, interop: interop as unknown as ImportedAllowances };
}

function readTrace(file: string) {
  return explainTraceErrors(file, readTraceFile(file));
}

const REPORT_OUTCOMES: ReadonlySet<string> = new Set<Report['outcome']>(['completed', 'install-failed', 'timeout', 'infrastructure-error', 'export-failed']);

export async function traceJudge(options: TraceJudgeOptions): Promise<number> {
  const { printer } = options;
  const trace = await readTrace(options.file);
  const { header } = trace;
  const run = runPolicy(header);
  printer.info(
    `trace of ${sanitize(header.job)} (${sanitize(header.command.join(' '))}) in ${sanitize(header.project)}, run ${sanitize(header.runId ?? 'not started')}, ` +
      `safe-install ${sanitize(header.tool.version)}, ${new Date(header.startedAt).toISOString()}: ${trace.events.length} events`,
  );
  if (!header.complete) printer.warn('the run did not finish writing this trace (it was killed or crashed): what it saw is judged, as far as it goes');
  if (trace.badLines > 0) printer.warn(`${trace.badLines} line(s) of the trace are not events and were not judged`);
  if (header.decoys.values.length > 0) {
    printer.info(`${header.decoys.values.length} decoy value(s) were planted in this run; they are fake, and the header lists them to recognise them later`);
  }

  // --mode and --fail-on apply over either policy, as they do over a project's on `ci`.
  const overrides = { ...(options.mode ? { mode: options.mode } : {}), ...(options.failOn ? { failOn: options.failOn } : {}) };
  let policy: Policy = { ...run.policy, ...overrides };
  if (options.policy !== undefined) {
    // A new policy, with the run's package-manager allowances (its package.json is not here).
    const loaded = await loadPolicy({ projectDir: process.cwd(), overrides: { policyFile: options.policy, ...overrides }, interop: run.interop });
    for (const warning of loaded.warnings) printer.warn(sanitize(warning));
    policy = loaded.policy;
  }
  printer.info(`policy: ${options.policy === undefined ? "the run's" : 'new'}: ${policy.sources.map((source) => sanitize(source)).join(', ') || 'none'} (mode ${policy.mode}, fails on ${policy.failOn} and above)`);

  const evaluation = evaluate({ events: trace.events, policy, decoys: header.decoys, context: header.context });
  for (const warning of evaluation.warnings) printer.warn(sanitize(warning));
  printLines(printer, renderFindings(evaluation.findings, RULES));

  if (options.report !== undefined || options.html !== undefined) {
    const outcome = header.outcome !== undefined && REPORT_OUTCOMES.has(header.outcome) ? (header.outcome as Report['outcome']) : 'infrastructure-error';
    const report = buildReport({
      command: header.job === 'analyze' ? 'analyze' : 'ci',
      project: header.project,
      toolVersion: TOOL_VERSION,
      outcome,
      // As the run decides it: the policy's verdict, and only a completed run can pass.
      verdict: outcome === 'completed' && evaluation.verdict === 'pass' ? 'pass' : 'fail',
      findings: evaluation.findings,
      events: trace.events,
      timings: {},
    });
    if (options.report !== undefined) await writeFile(options.report, `${JSON.stringify(report, null, 2)}\n`);
    if (options.html !== undefined) {
      await writeFile(options.html, renderHtml({ report, events: trace.events, rules: RULES }));
      printer.info(`HTML report written to ${sanitize(options.html)}`);
    }
  }
  const exit = (code: number) => (options.verdictExit === false ? EXIT.pass : code);
  if (evaluation.verdict === 'fail') {
    const failing = evaluation.findings.filter((finding) => atLeast(finding.severity, policy.failOn)).length;
    printer.error(`verdict: fail — ${failing} finding(s) at or above ${policy.failOn}`);
    return exit(EXIT.violation);
  }
  printer.info(`verdict: pass — ${evaluation.findings.length} finding(s), none that fail the policy`);
  return EXIT.pass;
}
