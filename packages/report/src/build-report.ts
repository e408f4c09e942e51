/** Assemble the JSON report (the `--report FILE` contract) from what a run produced. Pure. */
import {
  REPORT_SCHEMA_VERSION,
  SEVERITIES,
  type Finding,
  type Report,
  type ScriptEvent,
  type ScriptReviewReport,
  type ScriptRun,
  type Severity,
  type TraceEvent,
  type UploadSummary,
} from '@safe-install/schema';

export interface ReportInput {
  command: Report['command'];
  project: string;
  toolVersion: string;
  outcome: Report['outcome'];
  /** Decided by the policy engine (and the outcome), never here. */
  verdict: Report['verdict'];
  findings: Finding[];
  events: readonly TraceEvent[];
  timings: Record<string, number>;
  export?: Report['export'];
  upload?: UploadSummary;
  /** npm's `allowScripts` review of the run, when npm gates scripts. */
  scriptReview?: ScriptReviewReport;
}

/** Pair each script's start and end events into one record. */
export function scriptRuns(events: readonly TraceEvent[]): ScriptRun[] {
  const runs: ScriptRun[] = [];
  const open = new Map<number, { run: ScriptRun; ts: number }>();
  for (const event of events) {
    if (event.type !== 'script' || !event.package) continue;
    const script = event as ScriptEvent;
    if (script.action === 'start') {
      const run: ScriptRun = { package: script.package!, lifecycle: script.lifecycle ?? '', command: script.command ?? '' };
      runs.push(run);
      open.set(script.pid, { run, ts: script.ts });
    } else {
      const started = open.get(script.pid);
      if (!started) continue;
      open.delete(script.pid);
      if (script.code !== undefined) started.run.code = script.code;
      if (script.signal !== undefined) started.run.signal = script.signal;
      started.run.durationMs = Math.round(script.ts - started.ts);
    }
  }
  return runs;
}

export function buildReport(input: ReportInput): Report {
  const bySeverity = Object.fromEntries(SEVERITIES.map((s) => [s, 0])) as Record<Severity, number>;
  for (const finding of input.findings) bySeverity[finding.severity] += 1;
  const scripts = scriptRuns(input.events);
  const packages = new Set(scripts.map((run) => `${run.package.name}@${run.package.version}`));
  return {
    schemaVersion: REPORT_SCHEMA_VERSION,
    tool: { name: 'safe-install', version: input.toolVersion },
    command: input.command,
    project: input.project,
    verdict: input.verdict,
    outcome: input.outcome,
    findings: input.findings,
    scripts,
    ...(input.scriptReview === undefined ? {} : { scriptReview: input.scriptReview }),
    summary: {
      findings: input.findings.length,
      bySeverity,
      events: input.events.length,
      scripts: scripts.length,
      packages: packages.size,
    },
    timings: input.timings,
    ...(input.export ? { export: input.export } : {}),
    ...(input.upload ? { upload: input.upload } : {}),
  };
}
