/**
 * Pure pieces of an analysis: the events of several jobs made one trace, how a phase ended, what
 * the package wrote outside its folder, what the sink kept of its requests, the risk level, the
 * folder an analysis is written to, and the `PackageAnalysis` itself.
 */
import { createHash } from 'node:crypto';
import {
  ANALYSIS_VERSION,
  SEVERITIES,
  sanitizeText,
  type AnalysisArtefact,
  type AnalysisPhase,
  type AnalysisPhaseName,
  type Finding,
  type HttpEvent,
  type PackageAnalysis,
  type PackageRef,
  type PhaseStatus,
  type RiskLevel,
  type TraceEvent,
} from '@safe-install/schema';
import { isPackageName } from './specs.js';

/** Bounds on what an analysis keeps of a phase's output. */
export const OUTPUT_LIMITS = { chars: 64 * 1024 } as const;

/**
 * Every job's runner numbers its events (`t1`, `t2`, …) and its script runs from 1: in one trace
 * of several jobs, a later job's ids and runs are made unique by a prefix and an offset. The
 * gateway's own ids are unique across jobs already (one gateway per sandbox).
 */
export function jobEventMapper(prefix: string, runOffset: number): { map(event: TraceEvent): TraceEvent; lastRun(): number } {
  let last = runOffset;
  const renamed = (id: string) => (/^t\d+$/.test(id) ? `${prefix}.${id}` : id);
  return {
    map(event) {
      if (event.source === 'gateway') return event;
      const out = { ...event, id: renamed(event.id) } as TraceEvent;
      if (out.run !== undefined) {
        out.run += runOffset;
        last = Math.max(last, out.run);
      }
      if (out.type === 'script' && out.parentRun !== undefined) out.parentRun += runOffset;
      if (out.type === 'decoy-exfiltration' && out.seenIn !== undefined) out.seenIn = renamed(out.seenIn);
      return out;
    },
    lastRun: () => last,
  };
}

/** How a job's run ended, as a phase status. */
export function phaseStatus(run: { timedOut: boolean; exitCode: number | null; runnerError: string | null }): PhaseStatus {
  if (run.timedOut) return 'timeout';
  if (run.runnerError !== null || run.exitCode === null) return 'error';
  return 'completed';
}

/** The risk: the highest severity among the findings, or `none`. */
export function riskOf(findings: readonly Pick<Finding, 'severity'>[]): RiskLevel {
  let best = -1;
  for (const finding of findings) best = Math.max(best, SEVERITIES.indexOf(finding.severity));
  return best < 0 ? 'none' : SEVERITIES[best]!;
}

/** True when `risk` is at or above `threshold` (`none` is below every severity). */
export function riskAtLeast(risk: RiskLevel, threshold: (typeof SEVERITIES)[number]): boolean {
  return risk !== 'none' && SEVERITIES.indexOf(risk) >= SEVERITIES.indexOf(threshold);
}

/** A phase's output: bounded, each line made safe to print (install code wrote it). */
export function boundedOutput(lines: readonly string[]): string {
  const out: string[] = [];
  let size = 0;
  for (const line of lines) {
    const safe = sanitizeText(line, 2000);
    if (size + safe.length + 1 > OUTPUT_LIMITS.chars) {
      out.push(`… ${lines.length - out.length} more line(s) not kept`);
      break;
    }
    out.push(safe);
    size += safe.length + 1;
  }
  return out.join('\n');
}

/**
 * Files the install left outside the package's own folder: created or changed (the filesystem
 * diff), in HOME, /tmp or the project, and inside node_modules only where another package's
 * folder was written. The manager's own bookkeeping (`node_modules/.package-lock.json`, the
 * project's manifest and lockfile) is not the package's doing.
 */
export function writtenOutside(events: readonly TraceEvent[], projectDir: string, subjectFolder: string): string[] {
  const modules = `${projectDir}/node_modules/`;
  const own = `${projectDir}/${subjectFolder}/`;
  const managerFiles = new Set([`${projectDir}/package.json`, `${projectDir}/package-lock.json`, `${modules}.package-lock.json`]);
  const paths = new Set<string>();
  for (const event of events) {
    if (event.type !== 'fsdiff' || event.change === 'deleted') continue;
    const path = event.path;
    if (managerFiles.has(path) || path.startsWith(own)) continue;
    if (path.startsWith(modules)) {
      // Inside node_modules: only what a script wrote into a folder not its own.
      const writer = event.package;
      if (writer === undefined || path.includes(`/node_modules/${writer.name}/`)) continue;
    }
    paths.add(path);
  }
  return [...paths].sort();
}

/** A sinked request whose body the gateway kept, to be saved as an artefact. */
export interface SinkRequest {
  event: HttpEvent;
  body: Buffer;
}

/** The gateway's sinked requests that carried a body, with the body as bytes. */
export function sinkRequests(events: readonly TraceEvent[]): SinkRequest[] {
  const out: SinkRequest[] = [];
  for (const event of events) {
    if (event.type !== 'http' || event.decision !== 'sinked' || event.request?.body === undefined) continue;
    const encoding = (event as HttpEvent & { bodyEncoding?: string }).bodyEncoding ?? (event.request as { bodyEncoding?: string }).bodyEncoding;
    const body = encoding === 'base64' ? Buffer.from(event.request.body, 'base64') : Buffer.from(event.request.body, 'utf8');
    if (body.length > 0) out.push({ event, body });
  }
  return out;
}

/** A plain, safe name for one file: no separators, no dots in front, bounded. */
export function safeFileName(text: string, max = 80): string {
  const plain = text.replace(/[^A-Za-z0-9._-]+/g, '_').replace(/^[._]+/, '').slice(0, max);
  return plain === '' ? 'file' : plain;
}

const VERSION = /^[0-9A-Za-z][0-9A-Za-z.+_-]{0,63}$/;

/**
 * The folder an analysis is written to, relative to `--out`: `<name>@<version>` (a scope is a
 * folder, as in node_modules). The name and version come from the lockfile the sandbox made:
 * untrusted, so anything that is not a plain npm name and version is written under a hash.
 */
export function analysisFolder(ref: PackageRef): string {
  if (isPackageName(ref.name) && VERSION.test(ref.version)) return `${ref.name}@${ref.version}`;
  return `invalid-${createHash('sha256').update(`${ref.name}\0${ref.version}`).digest('hex').slice(0, 16)}`;
}

/** A phase that did not run. */
export function skippedPhase(phase: AnalysisPhaseName, at: string): AnalysisPhase {
  return { phase, status: 'skipped', command: [], exitCode: null, startedAt: at, endedAt: at, stdout: '', stderr: '', events: [] };
}

export function buildAnalysis(input: { spec: string; package: PackageRef; createdAt: string; phases: AnalysisPhase[]; findings: Finding[]; artefacts: AnalysisArtefact[] }): PackageAnalysis {
  return {
    version: ANALYSIS_VERSION,
    spec: input.spec,
    package: { name: input.package.name, version: input.package.version, ecosystem: 'npm' },
    createdAt: input.createdAt,
    risk: riskOf(input.findings),
    phases: input.phases,
    findings: input.findings,
    artefacts: input.artefacts,
  };
}

export const sha256 = (bytes: Buffer | string): string => createHash('sha256').update(bytes).digest('hex');
