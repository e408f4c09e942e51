/** Assemble the JSON report (the `--report FILE` contract) from what a run produced. Pure. */
import {
  REPORT_SCHEMA_VERSION,
  SANDBOX_PATHS,
  SEVERITIES,
  type Finding,
  type NetworkSummary,
  type Report,
  type ReportedScript,
  type ScriptReviewReport,
  type Severity,
  type TraceEvent,
  type UploadSummary,
} from '@safe-install/schema';
import { scriptRunsOf } from '@safe-install/trace';

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

/**
 * Where the sandbox puts the project. The report lists runs only, so their folders (the only use
 * of these paths) do not reach it; the policy engine passes the run's own context.
 */
const SANDBOX_LAYOUT = { projectDir: SANDBOX_PATHS.project, nodeModules: SANDBOX_PATHS.nodeModules };

/** The lifecycle script runs of a trace, as the report states them (the shared trace model's runs). */
export function scriptRuns(events: readonly TraceEvent[]): ReportedScript[] {
  return scriptRunsOf(events, SANDBOX_LAYOUT).map((run) => {
    const entry: ReportedScript = { package: run.package, lifecycle: run.lifecycle, command: run.command };
    if (run.code !== undefined) entry.code = run.code;
    if (run.signal !== undefined) entry.signal = run.signal;
    if (run.exitTs !== null) entry.durationMs = Math.round(run.exitTs - run.startTs);
    return entry;
  });
}

/** Count the gateway's HTTP(S) requests per host: forwarded (allowed, registry) or refused (denied, sinked). */
export function networkSummary(events: readonly TraceEvent[]): NetworkSummary {
  const hosts = new Map<string, { host: string; allowed: number; refused: number }>();
  let allowed = 0;
  let refused = 0;
  for (const event of events) {
    if (event.type !== 'http') continue;
    const entry = hosts.get(event.host) ?? { host: event.host, allowed: 0, refused: 0 };
    hosts.set(event.host, entry);
    if (event.decision === 'allowed' || event.decision === 'registry') {
      entry.allowed += 1;
      allowed += 1;
    } else {
      entry.refused += 1;
      refused += 1;
    }
  }
  return { requests: allowed + refused, allowed, refused, hosts: [...hosts.values()].sort((a, b) => (a.host < b.host ? -1 : a.host > b.host ? 1 : 0)) };
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
    network: networkSummary(input.events),
    timings: input.timings,
    ...(input.export ? { export: input.export } : {}),
    ...(input.upload ? { upload: input.upload } : {}),
  };
}
