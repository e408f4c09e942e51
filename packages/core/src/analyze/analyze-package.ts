/**
 * One package's analysis: a scratch project, one fresh sandbox, its jobs in order (resolve,
 * install, import, bins; see jobs.ts), the events judged by the analysis policy, and — with an
 * output folder — the analysis and its artefacts written there. Returns a typed outcome; never
 * prints, never throws for what the package did.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { SafeInstallError, mergeByTime, sanitizeText, type AnalysisArtefact, type AnalysisPhase, type AnalysisPhaseName, type PackageAnalysis, type PackageIdentity, type PackageRef, type SandboxJob, type TraceEvent } from '@safe-install/schema';
import { defaultPolicy, evaluate, type Policy } from '@safe-install/policy';
import { SANDBOX_PATHS, TOOL_VERSION, type HostNpmConfig, type JobRunResult, type Project, type ResourceLimits, type SandboxJobRun, type SshKeyMaterial, type StartedSandbox } from '@safe-install/sandbox';
import type { PackageManager } from '../package-manager.js';
import type { SandboxEngine } from '../sandbox-engine.js';
import { sandboxContext } from '../ci-pipeline.js';
import { withSandboxAllowScripts } from '../script-grants.js';
import { planSandbox } from '../sandbox-plan.js';
import { openTrace, type TraceWriter } from '../trace-file.js';
import { analysisFolder, boundedOutput, buildAnalysis, jobEventMapper, phaseStatus, safeFileName, sha256, sinkRequests, skippedPhase, writtenOutside } from './analysis.js';
import { binsJob, importJob, installPhaseJob, resolveJob, subjectBins } from './jobs.js';
import { makeScratch, SCRATCH_TARBALL, type Scratch } from './scratch.js';
import type { AnalysisSpec } from './specs.js';

export interface AnalyzeSettings {
  /** The whole package's limit: every phase and the sandbox's making. */
  timeoutMs: number;
  /** Each of the install and import phases' own limit (within the package's). */
  phaseTimeoutMs: number;
  /** How long each phase watches after its command ended: processes it left may act until then. */
  windowMs: number;
  /** Run each declared bin with `--help`. */
  bins: boolean;
  /** A bin's own limit. */
  binTimeoutMs: number;
  /** Days to move the wall clock forward for a second install (`--time-shift`); 0 or absent: none. */
  timeShiftDays?: number;
  limits: ResourceLimits;
  /** Where analyses are written (`<out>/<name>@<version>/`); none: nothing is written. */
  outDir?: string | undefined;
}

/** What one package's analysis needs that a batch shares. */
export interface AnalyzeContext {
  engine: SandboxEngine;
  image: string;
  pm: PackageManager;
  hostConfig: HostNpmConfig;
  rsaKey: () => Promise<SshKeyMaterial>;
  cwd: string;
  /** The install's output, line by line (untrusted, unsanitized). */
  onOutput?: (line: string) => void;
  onProgress?: (message: string) => void;
}

export interface PackageOutcome {
  spec: string;
  /** Null when no analysis could be made (a bad input, the engine failed): nothing was written. */
  analysis: PackageAnalysis | null;
  /** The analysis' folder under the output folder, when written. */
  folder: string | null;
  /** What kept the analysis from being whole: the input, the package manager, the engine. */
  failure: SafeInstallError | null;
  durationMs: number;
  /** The engine it ran on (its address), when the batch has several. */
  engine?: string;
}

/** Bounds on the evidence copied out of a sandbox. */
export const ARTEFACT_LIMITS = { writtenFiles: 64, fileBytes: 1024 * 1024, totalBytes: 16 * 1024 * 1024, copyTimeoutMs: 15_000, outputLines: 4000 } as const;

/** Every script allowed (that is what analysis is for), nothing reachable but the registry, every built-in rule on. */
export function analysisPolicy(): Policy {
  return {
    ...defaultPolicy(),
    mode: 'audit',
    allowAllScripts: { kind: 'policy', file: 'analyze (every script allowed)' },
    configured: true,
    document: true,
    sources: ['analyze: built-in rules, every script allowed, no host allowed but the registry'],
  };
}

/** One job's run and what the host kept of it: its events (unique ids) and its output. */
interface JobRecord {
  phase: AnalysisPhaseName;
  job: SandboxJob;
  startedAt: string;
  endedAt: string;
  run: JobRunResult | null;
  events: TraceEvent[];
  output: string[];
  error: string | null;
}

const safe = (text: string) => sanitizeText(text, 300);
/** The largest lockfile read back (read-project's bound on manifests). */
const LOCKFILE_BYTES = 64 * 1024 * 1024;

export async function analyzePackage(spec: AnalysisSpec, context: AnalyzeContext, settings: AnalyzeSettings): Promise<PackageOutcome> {
  const started = performance.now();
  const deadline = Date.now() + settings.timeoutMs;
  const left = () => Math.max(1000, deadline - Date.now());
  const outcome = (analysis: PackageAnalysis | null, folder: string | null, failure: SafeInstallError | null): PackageOutcome => ({ spec: spec.spec, analysis, folder, failure, durationMs: Math.round(performance.now() - started) });
  const { pm } = context;
  const createdAt = new Date().toISOString();

  let scratch: Scratch;
  try {
    scratch = await makeScratch(spec, context.cwd);
  } catch (error) {
    return outcome(null, null, asError(error, 'usage'));
  }
  // Written to a folder of its own first, renamed into place when whole: a folder named
  // `<name>@<version>` always holds a whole analysis (what --resume looks for).
  const work = settings.outDir ? join(settings.outDir, `.partial-${randomBytes(6).toString('hex')}`) : null;
  let sandbox: StartedSandbox | null = null;
  let trace: TraceWriter | null = null;
  try {
    if (work) await mkdir(work, { recursive: true });
    const { plan, network } = await planSandbox(pm, scratch.project, context.hostConfig, { global: [], packages: {} }, await context.rsaKey());
    const policy = analysisPolicy();
    const claimed: PackageRef = { name: scratch.dependency, version: spec.kind === 'registry' ? spec.range : 'local' };
    const records: JobRecord[] = [];
    let runOffset = 0;
    let traceOpened = false;
    const openTraceOnce = (locked: readonly PackageRef[]) => {
      if (traceOpened) return;
      traceOpened = true;
      trace = openTrace(work ? join(work, 'trace.jsonl') : undefined, {
        project: `analyze ${spec.spec}`,
        tool: { name: 'safe-install', version: TOOL_VERSION },
        job: 'analyze',
        command: [...pm.command({ kind: 'ci' })],
        packageManager: { name: pm.name },
        phases: ['resolve', 'install', 'import', ...(settings.bins ? ['bins'] : [])],
        context: sandboxContext(registries(context.hostConfig), locked),
        decoys: plan.decoys,
        policy: { resolved: policy, interop: null },
      });
    };
    openTraceOnce([]);

    sandbox = await context.engine.open({ image: context.image, hostname: plan.hostname, network, env: plan.env, limits: settings.limits, timeoutMs: left(), ...(context.onProgress ? { onProgress: context.onProgress } : {}) });
    const opened = sandbox;
    const runJob = async (phase: AnalysisPhaseName, job: SandboxJob, options: { upload: SandboxJobRun['upload']; timeoutMs: number; lingerGraceMs: number; last: boolean; directoryModes?: ReadonlyMap<string, number> }): Promise<JobRecord> => {
      const index = records.length + 1;
      const mapper = jobEventMapper(`j${index}`, runOffset);
      const record: JobRecord = { phase, job, startedAt: new Date().toISOString(), endedAt: '', run: null, events: [], output: [], error: null };
      records.push(record);
      try {
        record.run = await opened.run({
          upload: options.upload,
          ...(options.directoryModes ? { directoryModes: options.directoryModes } : {}),
          stageIn: null,
          job,
          timeoutMs: options.timeoutMs,
          lingerGraceMs: options.lingerGraceMs,
          last: options.last,
          onEvent: (event) => {
            const mapped = mapper.map(event);
            record.events.push(mapped);
            trace?.write(mapped);
          },
          onOutput: (line) => {
            if (record.output.length < ARTEFACT_LIMITS.outputLines) record.output.push(line);
            context.onOutput?.(line);
          },
          ...(context.onProgress ? { onProgress: context.onProgress } : {}),
        });
      } catch (error) {
        record.error = (error as Error).message;
      }
      runOffset = mapper.lastRun();
      record.endedAt = new Date().toISOString();
      return record;
    };

    // 1. The lockfile, made in the sandbox with scripts off, checked on the host like any project's.
    // Lockfiles never come back with an export (a dependency could rewrite one); this one is the
    // manager's alone (no script ran), copied out as the install user and checked like any other.
    const resolved = await runJob('install', resolveJob(pm), { upload: plan.files, directoryModes: plan.directoryModes, timeoutMs: Math.min(left(), settings.phaseTimeoutMs), lingerGraceMs: 2000, last: false });
    // What the manager wrote while it resolved (the lockfile, its cache) is the tool's doing, not the package's.
    resolved.events = resolved.events.filter((event) => event.type !== 'fsdiff');
    let project: Project | null = null;
    let subject: PackageIdentity | null = null;
    let failure: SafeInstallError | null = null;
    if (resolved.run && phaseStatus(resolved.run) === 'completed' && resolved.run.exitCode === 0) {
      try {
        const [lock] = await opened.copyOut([`${SANDBOX_PATHS.project}/package-lock.json`], { maxFiles: 1, maxFileBytes: LOCKFILE_BYTES, maxTotalBytes: LOCKFILE_BYTES, timeoutMs: ARTEFACT_LIMITS.copyTimeoutMs });
        if (lock === undefined || lock.truncated) throw new SafeInstallError('ANALYZE_NOT_RESOLVED', 'package-manager', `npm made no usable lockfile for ${safe(spec.spec)}`);
        await writeFile(join(scratch.dir, 'package-lock.json'), lock.content);
        project = await pm.readProject(scratch.dir);
        subject = project.lockfile.identities.byPath.get(`node_modules/${scratch.dependency}`) ?? null;
        if (subject === null) throw new SafeInstallError('ANALYZE_NOT_RESOLVED', 'package-manager', `the lockfile made for ${safe(spec.spec)} does not install it`);
      } catch (error) {
        failure = asError(error, 'package-manager');
      }
    } else {
      // npm said no (an exit code of its own) is the package manager's failure; a job that never
      // told its exit code (a broken stream, a runner failure) or ran out of time is ours.
      const npmSaidNo = resolved.run !== undefined && resolved.run !== null && !resolved.run.timedOut && resolved.run.exitCode !== null && resolved.run.runnerError === null && !resolved.error;
      failure = new SafeInstallError('ANALYZE_NOT_RESOLVED', npmSaidNo ? 'package-manager' : 'infrastructure', `npm could not resolve ${safe(spec.spec)}${resolved.error ? `: ${safe(resolved.error)}` : resolved.run?.timedOut ? ' in time' : resolved.run?.exitCode == null ? ': the sandbox job ended without an exit code' : ` (exit ${resolved.run.exitCode})`}`);
    }
    const ref: PackageRef = subject ? { name: subject.name, version: subject.version } : claimed;

    // 2. The install, every script allowed and traced; 3. the import; 4. the bins.
    const phases: AnalysisPhase[] = [];
    let installRecord: JobRecord | null = null;
    let importRecord: JobRecord | null = null;
    let binsRecord: JobRecord | null = null;
    let shiftedRecord: JobRecord | null = null;
    const shiftSeconds = Math.round((settings.timeShiftDays ?? 0) * 86_400);
    if (project && subject) {
      openTraceOnce(project.lockfile.locked);
      const allowed = withSandboxAllowScripts(project, Object.fromEntries([...project.lockfile.locked.map((pkg) => [`${pkg.name}@${pkg.version}`, true] as const), ...(spec.kind === 'registry' ? [] : [[`file:${SCRATCH_TARBALL}`, true] as const])]));
      const upload = allowed.files.map((file) => ({ ...file, path: `project/${file.path}` }));
      const bins = settings.bins ? subjectBins(project.lockfile.identities, subject) : [];
      const binJob = settings.bins ? binsJob(subject, bins, settings.binTimeoutMs / 1000, pm.cacheFolders) : null;
      installRecord = await runJob('install', installPhaseJob(pm), { upload, timeoutMs: Math.min(left(), settings.phaseTimeoutMs), lingerGraceMs: settings.windowMs, last: false });
      const installed = installRecord.run !== null && phaseStatus(installRecord.run) === 'completed';
      if (installed && Date.now() < deadline) {
        importRecord = await runJob('import', importJob(subject, settings.windowMs, pm.cacheFolders), { upload: [], timeoutMs: Math.min(left(), settings.phaseTimeoutMs + settings.windowMs), lingerGraceMs: settings.windowMs, last: binJob === null && shiftSeconds === 0 });
      }
      if (installed && binJob && Date.now() < deadline) {
        binsRecord = await runJob('bins', binJob, { upload: [], timeoutMs: Math.min(left(), bins.length * (settings.binTimeoutMs + 2000) + settings.windowMs + 10_000), lingerGraceMs: settings.windowMs, last: shiftSeconds === 0 });
      }
      // The install again, its clock days ahead: what waits for a date acts now. In the same
      // sandbox (npm ci removes node_modules first; what the first install left elsewhere stays,
      // as it would on a machine that installed the package days ago).
      if (installed && shiftSeconds > 0 && Date.now() < deadline) {
        shiftedRecord = await runJob('install-shifted', installPhaseJob(pm, shiftSeconds), { upload: [], timeoutMs: Math.min(left(), settings.phaseTimeoutMs), lingerGraceMs: settings.windowMs, last: true });
      }
    }

    // The events judged as one trace, in time order; each phase keeps its own.
    const all = mergeByTime(records.flatMap((record) => record.events));
    const managerVersion = records.map((record) => record.run?.status?.packageManager?.version).find((version) => version !== undefined);
    const evalContext = { ...sandboxContext(registries(context.hostConfig), project?.lockfile.locked ?? []), ...(managerVersion ? { npmVersion: managerVersion } : {}), now: Date.now() };
    const evaluation = evaluate({ events: all, policy, decoys: plan.decoys, context: evalContext });
    const at = new Date().toISOString();
    const installRecords = records.filter((record) => record.phase === 'install');
    phases.push(phaseOf('install', installRecords, at));
    phases.push(importRecord ? phaseOf('import', [importRecord], at) : skippedPhase('import', at));
    if (settings.bins) phases.push(binsRecord ? phaseOf('bins', [binsRecord], at) : skippedPhase('bins', at));
    if (shiftSeconds > 0) phases.push(shiftedRecord ? phaseOf('install-shifted', [shiftedRecord], at) : skippedPhase('install-shifted', at));

    // The evidence: what the sink kept of requests, files written outside the package's folder.
    const artefacts: AnalysisArtefact[] = [];
    if (work) {
      const keep = async (kind: AnalysisArtefact['kind'], name: string, bytes: Buffer, extra: Partial<AnalysisArtefact>) => {
        await mkdir(dirname(join(work, name)), { recursive: true });
        await writeFile(join(work, name), bytes, { flag: 'wx' });
        artefacts.push({ kind, path: name, sha256: sha256(bytes), bytes: bytes.length, ...extra });
      };
      for (const [index, request] of sinkRequests(all).entries()) {
        const phase = phaseName(request.event.phase);
        await keep('sink-request', `sink/${String(index + 1).padStart(3, '0')}-${safeFileName(request.event.host, 60)}.body`, request.body, { ...(phase ? { phase } : {}), description: safe(`${request.event.method} ${request.event.url} (${request.event.request?.bodyBytes ?? request.body.length} bytes sent)`) });
      }
      const written = writtenOutside(all, SANDBOX_PATHS.project, subject?.path ?? `node_modules/${scratch.dependency}`).slice(0, ARTEFACT_LIMITS.writtenFiles);
      const copied = written.length > 0 ? await sandbox.copyOut(written, { maxFiles: ARTEFACT_LIMITS.writtenFiles, maxFileBytes: ARTEFACT_LIMITS.fileBytes, maxTotalBytes: ARTEFACT_LIMITS.totalBytes, timeoutMs: ARTEFACT_LIMITS.copyTimeoutMs }).catch(() => []) : [];
      for (const [index, file] of copied.entries()) {
        const path = `/${file.name.replace(/^\/+/, '')}`;
        const phase = phaseName(all.find((event) => event.type === 'fsdiff' && event.path === path)?.phase);
        await keep('written-file', `written/${String(index + 1).padStart(3, '0')}-${safeFileName(path.split('/').pop() ?? 'file', 60)}`, file.content, { ...(phase ? { phase } : {}), description: safe(`${path}${file.truncated ? ` (first ${file.content.length} of ${file.size} bytes)` : ''}`) });
      }
    }
    await sandbox.stop();
    sandbox = null;
    const outcomeText = failure ? 'error' : evaluation.findings.length > 0 ? 'findings' : 'clean';
    await trace!.seal({ runId: records[0]?.run?.runId ?? 'unknown', outcome: outcomeText, context: evalContext, packageManagerVersion: managerVersion }, all);
    if (work) {
      const bytes = await readFile(join(work, 'trace.jsonl'));
      artefacts.unshift({ kind: 'trace', path: 'trace.jsonl', sha256: sha256(bytes), bytes: bytes.length, description: `${all.length} events, JSON Lines` });
    }
    const analysis = buildAnalysis({ spec: spec.spec, package: ref, createdAt, phases, findings: evaluation.findings, artefacts });
    let folder: string | null = null;
    if (work && settings.outDir) {
      await writeFile(join(work, 'analysis.json'), `${JSON.stringify(analysis, null, 2)}\n`);
      folder = analysisFolder(ref);
      const final = join(settings.outDir, folder);
      await mkdir(dirname(final), { recursive: true });
      await rm(final, { recursive: true, force: true });
      await rename(work, final);
    }
    return outcome(analysis, folder, failure);
  } catch (error) {
    return outcome(null, null, asError(error, 'infrastructure'));
  } finally {
    await (trace as TraceWriter | null)?.close().catch(() => undefined);
    await (sandbox as StartedSandbox | null)?.stop().catch(() => undefined);
    await scratch.remove().catch(() => undefined);
    if (work) await rm(work, { recursive: true, force: true }).catch(() => undefined);
  }
}

function registries(config: HostNpmConfig): string[] {
  return [config.registry, ...Object.values(config.scopedRegistries)];
}

function phaseName(phase: string | undefined): AnalysisPhaseName | undefined {
  if (phase === 'resolve') return 'install';
  return phase === 'install' || phase === 'import' || phase === 'bins' || phase === 'install-shifted' ? phase : undefined;
}

/** A phase from its jobs' records (install: the resolve job and the install job). */
function phaseOf(phase: AnalysisPhaseName, records: readonly JobRecord[], at: string): AnalysisPhase {
  const last = records.at(-1);
  if (last === undefined) return skippedPhase(phase, at);
  // The phase's status is its worst job's: a timeout anywhere is a timeout, then an error.
  const statuses = records.map((record) => (record.run === null ? 'error' : phaseStatus(record.run)));
  const status = statuses.includes('timeout') ? 'timeout' : statuses.includes('error') ? 'error' : 'completed';
  return {
    phase,
    status,
    command: last.job.steps[0]?.command ?? [],
    exitCode: last.run?.exitCode ?? null,
    startedAt: records[0]!.startedAt,
    endedAt: last.endedAt,
    // The sandbox relays the phase's stdout and stderr as one stream (the runner's stderr): kept in `stdout`.
    stdout: boundedOutput(records.flatMap((record) => record.output)),
    stderr: records.map((record) => record.error).filter((error): error is string => error !== null).map(safe).join('\n'),
    events: records.flatMap((record) => record.events),
  };
}

function asError(error: unknown, kind: 'usage' | 'package-manager' | 'infrastructure'): SafeInstallError {
  if (error instanceof SafeInstallError) return error;
  return new SafeInstallError('ANALYZE_FAILED', kind, safe((error as Error)?.message ?? String(error)));
}

