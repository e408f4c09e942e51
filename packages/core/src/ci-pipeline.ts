/**
 * The pipeline of a `ci` run: read the project, plan the sandbox, run, collect, judge, export.
 * It returns a typed result and leaves printing and exit codes to its caller; what it says while
 * it runs goes to an observer. The project is changed only on a passing verdict, and the run is
 * always judged (and the report written) before anything about the export can end it.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { constants, tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { JOB_VERSION, RESOLVE_PHASE, SANDBOX_NETWORK, SafeInstallError, isSafeInstallError, lockfileJob, mergeByTime, sanitizeText, type DecoyIndex, type EvaluationContext as RunContext, type Finding, type PackageRef, type Report, type SandboxJob, type ScriptReviewReport, type Severity, type TraceEvent, type UploadSummary } from '@safe-install/schema';
import { buildReport, type RunPhase } from '@safe-install/report';
import { evaluate, learnIntoPolicy, loadPolicy, type EvaluationContext, type LoadedPolicy, type Policy, type PolicyMode } from '@safe-install/policy';
import {
  DEFAULT_LIMITS,
  TOOL_VERSION,
  applySwap,
  discardStaged,
  narrowStaged,
  planSwap,
  recoverStaging,
  scanExported,
  SANDBOX_PATHS,
  rsaMaterialAsync,
  type InstallRunResult,
  type Project,
  type RemovedReason,
  type ResourceLimits,
  type SwapPlan,
} from '@safe-install/sandbox';
import type { LockfileChange, PackageManager, RefusalWatch } from './package-manager.js';
import { planSpecs } from './install-specs.js';
import type { SandboxEngine } from './sandbox-engine.js';
import { detectPackageManager } from './managers.js';
import { npm } from './npm.js';
import { strictRefusal, strictRefusalWatch } from './npm-script-review.js';
import { decide, type Decision } from './verdict.js';
import { silentLog, type Logger } from './log.js';
import { openTrace } from './trace-file.js';
import { planSandbox } from './sandbox-plan.js';
import { policyScriptPackages } from './script-grants.js';
import { packageId } from './approve/select.js';

export interface CiOptions {
  dir: string;
  /** Write the JSON report here (before anything is put in place). */
  report?: string | undefined;
  /** Write the trace here: its header, then events as they arrive; rewritten in time order once judged. */
  trace?: string | undefined;
  base?: string | undefined;
  timeoutSeconds: number;
  limits?: Partial<ResourceLimits>;
  lingerGraceMs?: number;
  /** Overrides of the policy (CLI flags win over environment and file). */
  mode?: PolicyMode | undefined;
  failOn?: Severity | undefined;
  /** `--policy`: the policy file to use instead of looking in the project (absolute, or relative to `dir`). */
  policy?: string | undefined;
  /** After the run, write the least-privilege policy that passes it (learn mode). */
  writePolicy?: boolean;
  /** The sandbox's copy of the project, changed before upload (`approve`: the pending packages granted in the manager's gate). */
  sandboxEdit?: (project: Project) => Project;
  /**
   * False: nothing comes back into the project whatever the verdict (`approve`): what the install
   * wrote is staged outside the project, scanned for decoys, and removed. Default true.
   */
  exportToProject?: boolean;
  /**
   * What to run (default `ci`). `add` (`install`) and `update` rewrite package.json and the
   * lockfile: on a pass, those that came back are swapped in with node_modules, in one journaled swap.
   */
  job?: { kind: 'ci' } | LockfileChange;
  /** Where relative paths among the job's package specs start (default: the current folder). */
  cwd?: string;
  /** `--pm`: the package manager to use instead of the one the project's lockfile names. */
  pm?: string | undefined;
}

/** What the pipeline says while it runs. Untrusted parts of every message are already sanitized. */
export interface RunObserver {
  info(message: string): void;
  warn(message: string): void;
  /** A line of the package manager's output from inside the sandbox (untrusted, unsanitized). */
  output(line: string): void;
  /** The run entered a phase (for progress displays). */
  phase?(phase: RunPhase): void;
  /** What the run expects before it starts: packages that may run install scripts (progress's `m`). */
  plan?(plan: { scriptPackages: number }): void;
  /** A trace event, as it arrives (untrusted, unsanitized; for progress displays). */
  event?(event: TraceEvent): void;
}

export interface CiDeps {
  engine: SandboxEngine;
  packageManager?: PackageManager;
  /** The diagnostic log (default: none); the run logs to a child of it. */
  log?: Logger;
}

export interface CiResult {
  decision: Decision;
  report: Report;
  findings: Finding[];
  scriptReview: ScriptReviewReport | null;
  /** When the run ended in an error of its own (not a verdict): that error, message and hint. */
  failure: SafeInstallError | null;
  projectRoot: string;
  lingering: number;
  policy: { mode: PolicyMode; failOn: Severity };
  /** The project's lockfile (absolute path) and how many packages it installs: where reports point. */
  lockfile: { path: string; packages: number };
  /** The run's events in trace order (the gateway's merged in by time): what the HTML report draws. */
  events: readonly TraceEvent[];
  /** The learned policy, when learning ran: where it lives, and whether it changed (`written`). */
  learned?: { target: string; written: boolean; applied: number; proposed: string[] };
  /** The policy as loaded for the run (what learning after the run writes into). */
  loadedPolicy: LoadedPolicy;
  /** What judging the events again needs: where things were in the sandbox, its decoys, the run id. */
  judged: { context: RunContext; decoys: DecoyIndex; runId: string | null };
}

export interface CiRun {
  result: Promise<CiResult>;
  /** Stop the run (a signal): finish or roll back a swap under way, remove what the run created. */
  abort(): Promise<void>;
}

const sanitize = (text: string): string => sanitizeText(text, 2000);

/** Where things are inside the sandbox, for the policy engine. */
export function sandboxContext(registries: readonly string[], lockedPackages: readonly PackageRef[]): EvaluationContext {
  return {
    projectDir: SANDBOX_PATHS.project,
    homeDir: SANDBOX_PATHS.home,
    tmpDir: SANDBOX_PATHS.tmp,
    nodeModules: SANDBOX_PATHS.nodeModules,
    // The forwarder's proxy on loopback, and the sink where every DNS answer points (80/443 only).
    gateway: [{ address: SANDBOX_NETWORK.proxy.host }, ...SANDBOX_NETWORK.sink.ports.map((port) => ({ address: SANDBOX_NETWORK.sink.host, port }))],
    resolvers: [SANDBOX_NETWORK.dns.host],
    registryHosts: registries.map((url) => new URL(url).hostname),
    lockedPackages,
  };
}

/** The policy's network allowances, in the gateway's terms: global, and per package name. */
export function egressAllow(policy: Policy): { global: string[]; packages: Record<string, string[]> } {
  const packages: Record<string, string[]> = {};
  for (const rule of policy.packages) {
    if (rule.allow && rule.network.length > 0) packages[rule.name] = [...(packages[rule.name] ?? []), ...rule.network];
  }
  return { global: [...policy.network.allow], packages };
}

/** Project files the install deleted (outside node_modules): reported, never applied to the host. */
export function deletedProjectFiles(events: readonly TraceEvent[]): string[] {
  const prefix = `${SANDBOX_PATHS.project}/`;
  const deleted: string[] = [];
  for (const event of events) {
    if (event.type !== 'fsdiff' || event.change !== 'deleted' || !event.path.startsWith(prefix)) continue;
    const relative = event.path.slice(prefix.length);
    if (!relative.split('/').includes('node_modules')) deleted.push(relative);
  }
  return deleted;
}

/** The report's account of the export: what came back, what it does to the project, what failed. */
function exportSummary(run: InstallRunResult, plan: SwapPlan | null, error: string | null, applied: boolean): Report['export'] {
  const changes = new Map(plan?.projectFiles.map((file) => [file.path, file.change]));
  return {
    applied,
    nodeModules: run.staged?.extract.roots ?? [],
    projectFiles: (run.staged?.extract.projectFiles ?? []).map((file) => ({ ...file, change: changes.get(file.path) ?? 'created' })),
    deleted: deletedProjectFiles(run.events),
    issues: run.staged?.extract.issues ?? [],
    ...(error !== null ? { error } : {}),
  };
}

/** Why the package manager failed, in one line: the scripts that failed or were killed. */
export function failureDetail(events: readonly TraceEvent[], limits: ResourceLimits): string {
  const failed = events.filter((event) => event.type === 'script' && event.action === 'end' && (event.code !== 0 || event.signal));
  const parts = failed.map((event) => {
    if (event.type !== 'script') return '';
    const who = `${event.lifecycle ?? 'script'} of ${event.package?.name ?? '?'}@${event.package?.version ?? '?'}`;
    // A shell reports a child killed by signal N as exit 128+N.
    const signal = event.signal ?? (event.code !== undefined && event.code > 128 ? signalName(event.code - 128) : undefined);
    if (signal === 'SIGKILL') return `${who} was killed (SIGKILL; the memory limit is ${Math.round(limits.memoryBytes / 1024 ** 2)} MiB)`;
    return signal ? `${who} was killed by ${signal}` : `${who} exited with ${event.code}`;
  });
  return parts.length ? `: ${parts.map((part) => sanitize(part)).join('; ')}` : '';
}

const REMOVED_WHY: Record<RemovedReason, string> = {
  network: 'the gateway connects to registries',
  scripts: 'it changes how or whether lifecycle scripts run and are traced',
  sandbox: 'the sandbox image provides it',
  expansion: 'a key spelled with ${…} could name any setting',
};

/** What the upload changed, names only: for the terminal and the report. */
function uploadSummary(project: Project): UploadSummary {
  return {
    removedNpmConfig: project.npmrcFiles.flatMap((npmrc) => npmrc.removed.map(({ key, reason }) => ({ file: npmrc.path, key, reason }))),
    decoyCredentials: project.npmrcFiles.flatMap((npmrc) => npmrc.credentials.map((key) => ({ file: npmrc.path, key }))),
    decoyEnvFiles: project.envFiles.map((file) => file.path),
  };
}

/** The review with the granted packages whose scripts ran (the policy, not the manager's field, let them). */
function withPolicyAllowed(review: ScriptReviewReport, granted: readonly PackageRef[], events: readonly TraceEvent[]): ScriptReviewReport {
  const ran = new Set(events.flatMap((e) => (e.type === 'script' && e.package !== undefined ? [packageId(e.package)] : [])));
  const allowed = granted.filter((pkg) => ran.has(packageId(pkg))).map((pkg) => ({ name: pkg.name, version: pkg.version }));
  return allowed.length === 0 ? review : { ...review, policyAllowed: allowed };
}

export function startCi(options: CiOptions, observer: RunObserver, deps: CiDeps): CiRun {
  const state: { interrupted: boolean; swapping: Promise<void> | null; cleanup: (() => Promise<void>) | null } = { interrupted: false, swapping: null, cleanup: null };
  let aborting: Promise<void> | null = null;
  const result = runCi(options, observer, deps, state);
  return {
    result,
    abort: () =>
      (aborting ??= (async () => {
        state.interrupted = true;
        // A swap under way finishes (or rolls back) first: stopping it half-way would mix two trees.
        if (state.swapping) await state.swapping.catch(() => undefined);
        else observer.warn('interrupted: removing the sandbox container; node_modules was not changed');
        await deps.engine.abort();
        await state.cleanup?.().catch(() => undefined);
      })()),
  };
}

async function runCi(
  options: CiOptions,
  observer: RunObserver,
  deps: CiDeps,
  state: { interrupted: boolean; swapping: Promise<void> | null; cleanup: (() => Promise<void>) | null },
): Promise<CiResult> {
  const started = performance.now();
  const pm = deps.packageManager ?? (await managerOf(options));
  observer.phase?.('preparing');
  let log = (deps.log ?? silentLog).child({ job: 'ci', packageManager: pm.name });
  const limits: ResourceLimits = { ...DEFAULT_LIMITS, ...options.limits };
  // A swap a killed run left half-made: put the old trees back before anything else (before the
  // project is read, so a leftover staging folder is never uploaded as a source).
  const undone = await recoverStaging(resolve(options.dir));
  if (undone > 0) observer.warn(`restored the project's previous node_modules from ${undone} interrupted run(s)`);
  const job = options.job ?? { kind: 'ci' };
  const change = job.kind === 'ci' ? null : job;
  const lockfileJobs = change ? pm.lockfileJobs : undefined;
  if (change && !lockfileJobs) throw new SafeInstallError('JOB_UNSUPPORTED', 'usage', `safe-install ${reportCommand(job)} is not supported for ${pm.name} projects yet`);
  const own = await pm.readProject(options.dir, change ? { lockfileInSync: false, lockfileOptional: true } : undefined);
  // The policy is read from the project on disk: what the manager's own fields say there, unchanged.
  const loaded = await loadPolicy({
    projectDir: own.root,
    overrides: { ...(options.mode ? { mode: options.mode } : {}), ...(options.failOn ? { failOn: options.failOn } : {}), ...(options.policy ? { policyFile: options.policy } : {}) },
  });
  // One source of truth: what the policy allows to build is granted in the sandbox copy's gate. Not
  // for install jobs, whose resolve may send the manager's config file (pnpm-workspace.yaml) back.
  const grant = change === null && pm.grantScripts ? pm.grantScripts(own, policyScriptPackages(loaded.policy, pm.lockedPackages(own))) : { project: own, granted: [] };
  const read = options.sandboxEdit ? options.sandboxEdit(grant.project) : grant.project;
  // Local tarballs the job names are uploaded with the project, at their place in it.
  const specs = change ? await planSpecs(change.packages, { cwd: options.cwd ?? process.cwd(), projectRoot: read.root }) : null;
  const uploaded = new Set(read.files.map((file) => file.path));
  const project: Project = specs ? { ...read, files: [...read.files, ...specs.tarballs.filter((file) => !uploaded.has(file.path))] } : read;
  // The decoy RSA key takes OpenSSL about half a second: make it on the thread pool while the
  // engine is checked. Only now, once the input is known good: a usage error exits at once.
  const rsaKey = rsaMaterialAsync();
  rsaKey.catch(() => undefined);
  for (const warning of loaded.warnings) observer.warn(sanitize(warning));
  const policy = loaded.policy;
  observer.info(`policy: ${policy.sources.join(', ') || 'none'} (mode ${policy.mode}, fails on ${policy.failOn} and above)`);
  const upload = uploadSummary(project);
  if (upload.decoyCredentials.length > 0) {
    observer.info(`.npmrc credentials kept out of the sandbox (decoys instead): ${upload.decoyCredentials.map(({ file, key }) => sanitize(`${file} ${key}`)).join(', ')}`);
  }
  for (const { file, key, reason } of upload.removedNpmConfig) {
    // A setting that would change how scripts are traced is what an attack on the tracer looks like.
    const line = `${sanitize(file)}: ${sanitize(key)} removed, the sandbox decides it (${REMOVED_WHY[reason as RemovedReason]})`;
    if (reason === 'scripts' || reason === 'expansion') observer.warn(line);
    else observer.info(line);
  }
  // The manager's configuration (a spawn of npm) and the engine checks do not depend on each other.
  const [hostConfig, { image, swept }] = await Promise.all([pm.hostConfig(project.root), deps.engine.prepare(options.base)]);
  if (swept.containers + swept.volumes > 0) {
    observer.info(`removed ${swept.containers} container(s) and ${swept.volumes} volume(s) left by runs that died`);
  }
  observer.info(`project ${project.root}: ${project.lockfile.packages} locked packages; sandbox image ${image}`);
  log.info({ project: project.root, packages: project.lockfile.packages, image, swept }, 'engine ready');

  const { plan, network } = await planSandbox(pm, project, hostConfig, egressAllow(policy), await rsaKey);
  if (project.envFiles.length > 0) observer.info(`${project.envFiles.length} .env file(s) replaced by decoys with the same keys`);
  const sandbox = sandboxContext([hostConfig.registry, ...Object.values(hostConfig.scopedRegistries)], pm.lockedPackages(project));
  const command = pm.command({ kind: 'ci' });
  // `install`/`update`: resolve into the manifest and lockfile first (no install code runs), then
  // install from that lockfile, each script attributed by it.
  const resolveCommand = change && lockfileJobs ? lockfileJobs.resolve({ ...change, packages: specs?.args ?? [] } as LockfileChange) : null;
  const exportToProject = options.exportToProject !== false;
  // A manager the image lacks brings its own steps (pnpm: fetch pnpm, then install).
  const steps = pm.jobSteps?.(change && resolveCommand ? ({ ...change, packages: specs?.args ?? [] } as LockfileChange) : { kind: 'ci' }, project, { export: true, trace: true });
  // The job the sandbox runs: an install job's two steps, a manager's own, or (none) ci's one step.
  const sandboxJob: SandboxJob | undefined = resolveCommand && steps === undefined
    ? lockfileJob(resolveCommand, command, { cacheFolders: pm.cacheFolders })
    : steps === undefined
      ? undefined
      : { version: JOB_VERSION, steps: steps.steps, cacheFolders: [...pm.cacheFolders], ...(steps.lockfile ? { lockfile: steps.lockfile } : {}) };
  // The trace's header holds what judging it again needs (`safe-install trace judge`).
  const trace = openTrace(options.trace, {
    project: project.root, tool: { name: 'safe-install', version: TOOL_VERSION }, job: reportCommand(job), command: resolveCommand ?? command, packageManager: { name: pm.name }, phases: resolveCommand ? ['resolve', 'install'] : ['install'],
    context: sandbox, decoys: plan.decoys, policy: { resolved: policy, interop: loaded.interop },
  });
  const strict: RefusalWatch = pm.refusalWatch?.(project) ?? { ...strictRefusalWatch(), error: strictRefusal };
  // Not exporting: what comes back is staged (and scanned) outside the project, then removed.
  const stageIn = exportToProject ? project.root : await mkdtemp(join(tmpdir(), 'safe-install-stage-'));
  const removeStage = () => (exportToProject ? Promise.resolve() : rm(stageIn, { recursive: true, force: true }));
  state.cleanup = async () => {
    await recoverStaging(project.root).catch(() => undefined);
    await removeStage().catch(() => undefined);
    await trace.close().catch(() => undefined);
  };
  try {
    observer.plan?.({ scriptPackages: pm.scriptPackages(project) });
    observer.phase?.('installing');
    const ran = await deps.engine.install({
      image,
      upload: plan.files,
      directoryModes: plan.directoryModes,
      env: plan.env,
      hostname: plan.hostname,
      stageIn,
      // An install job's folders are known from the lockfile that comes back: narrowed to it after.
      scope: resolveCommand ? { ...pm.exportScope(project), anyFolder: true, manifests: ['package.json', project.lockfileName, ...(lockfileJobs?.files ?? [])] } : pm.exportScope(project),
      network,
      command,
      ...(sandboxJob ? { job: sandboxJob } : {}),
      cacheFolders: pm.cacheFolders,
      timeoutMs: options.timeoutSeconds * 1000,
      limits,
      ...(options.lingerGraceMs !== undefined ? { lingerGraceMs: options.lingerGraceMs } : {}),
      onProgress: (message) => observer.info(message),
      onOutput: (line) => {
        strict.line(line);
        observer.output(line);
      },
      onEvent: (event) => {
        trace.write(event);
        observer.event?.(event);
      },
    });
    observer.phase?.('judging');
    // What an install job brought back is judged against the manifest and lockfile that came back.
    const { run, returned } = lockfileJobs ? await acceptReturned(lockfileJobs, pm, project, ran) : { run: ran, returned: null };
    const judgedProject = returned ?? project;
    log = log.child({ run: run.runId });
    log.info({ exitCode: run.exitCode, timedOut: run.timedOut, traceLimitReached: run.traceLimitReached, events: run.events.length, exported: run.staged !== null, exportError: run.exportError !== null, runnerError: run.runnerError !== null, timings: run.timings }, 'install finished');
    // A decoy value in a file that would cross to the host is a sighting like any other.
    const sightings = run.staged ? await scanExported(run.staged.tree, SANDBOX_PATHS.project, run.events, plan.decoys) : [];
    for (const event of sightings) trace.write(event);
    // Judged, reported and saved in time order: the gateway hands its events over only when it stops.
    const events = mergeByTime(sightings.length > 0 ? [...run.events, ...sightings] : run.events);

    for (const issue of run.staged?.extract.issues ?? []) {
      observer.warn(`export: ${issue.action} ${sanitize(issue.path)}: ${issue.reason}`);
    }
    const managerVersion = run.status?.packageManager?.version;
    const managerContext = pm.evaluationContext ? pm.evaluationContext(managerVersion, judgedProject) : managerVersion ? { npmVersion: managerVersion } : {};
    const context = { ...sandbox, ...(returned ? { lockedPackages: pm.lockedPackages(returned) } : {}), ...managerContext, now: Date.now() };
    const reviewed = await pm.scriptReview(judgedProject, managerVersion, { tree: run.staged?.tree ?? null });
    const scriptReview = reviewed ? withPolicyAllowed(reviewed, grant.granted, events) : reviewed;
    const evaluation = evaluate({ events, policy, decoys: plan.decoys, context });
    for (const warning of evaluation.warnings) observer.warn(sanitize(warning));
    const findings: Finding[] = evaluation.findings;
    // Whether what came back can be put in place is known (the host only read) before the report.
    let swapPlan: SwapPlan | null = null;
    let exportError = run.exportError;
    if (run.staged && exportToProject) {
      try {
        swapPlan = await planSwap(project.root, run.staged, judgedProject.lockfile.workspaces);
      } catch (error) {
        exportError = (error as Error).message;
      }
    }
    const decision = decide({
      timedOut: run.timedOut,
      traceLimitReached: run.traceLimitReached,
      exitCode: run.exitCode,
      runnerError: run.runnerError,
      exportError,
      strictRefused: strict.seen(events),
      policyVerdict: evaluation.verdict,
      mode: policy.mode,
      failOn: policy.failOn,
      findings,
    });
    log.info({ ...decision, findings: findings.length }, 'judged');
    // The swap comes before the report, so the report says what happened to the project: a signal
    // between the verdict and the swap leaves node_modules as it was, and `export.applied` false.
    let applied = false;
    if (decision.verdict === 'pass' && swapPlan && exportToProject && !state.interrupted) {
      observer.phase?.('exporting');
      state.swapping = applySwap(swapPlan);
      await state.swapping;
      applied = true;
    } else {
      await discardStaged(run.staged);
    }
    log.info({ applied }, 'export settled');
    const timings = { ...run.timings, ...prefixed('sandbox.', run.status?.timings ?? {}), total: Math.round(performance.now() - started) };
    const exported = run.staged || exportError !== null ? exportSummary(run, swapPlan, exportError, applied) : undefined;
    const report = buildReport({
      command: reportCommand(job), project: project.root, toolVersion: TOOL_VERSION, outcome: decision.outcome, verdict: decision.verdict, findings, events, timings,
      ...(exported ? { export: exported } : {}),
      ...(scriptReview ? { scriptReview } : {}),
      ...(upload.removedNpmConfig.length + upload.decoyCredentials.length + upload.decoyEnvFiles.length > 0 ? { upload } : {}),
    });
    if (options.report) await writeFile(options.report, `${JSON.stringify(report, null, 2)}\n`);
    await trace.seal({ runId: run.runId, outcome: decision.outcome, context, packageManagerVersion: managerVersion }, events);

    const failure = failureOf(decision, { run, exportError, scriptReview, options, limits, events, what: resolveCommand ? `\`${resolveCommand.slice(0, 2).join(' ')}\` (then \`${command.join(' ')}\`)` : command.join(' '), refusal: strict });
    let learned: CiResult['learned'];
    if (options.writePolicy && failure === null) {
      // Into the file the policy was loaded from (an absolute path), in its own format.
      const saved = await learnIntoPolicy(loaded, events, { context, decoys: plan.decoys });
      const learnt = saved.learned;
      learned = { target: saved.path, written: saved.written, applied: learnt.changes.length - learnt.proposed.length, proposed: learnt.proposed.map((change) => sanitize(JSON.stringify(change))) };
    }
    return {
      decision,
      report,
      findings,
      scriptReview,
      failure,
      projectRoot: project.root,
      lingering: run.status?.lingering ?? 0,
      policy: { mode: policy.mode, failOn: policy.failOn },
      lockfile: { path: join(project.root, project.lockfileName), packages: judgedProject.lockfile.packages },
      events,
      ...(learned ? { learned } : {}),
      loadedPolicy: loaded,
      judged: { context, decoys: plan.decoys, runId: run.runId },
    };
  } finally {
    await trace.close();
    await removeStage().catch(() => undefined);
  }
}

/** The error a run ended in, when it did not end in a verdict: what happened and what to do. */
function failureOf(
  decision: Decision,
  run: { run: InstallRunResult; exportError: string | null; scriptReview: ScriptReviewReport | null; options: CiOptions; limits: ResourceLimits; events: readonly TraceEvent[]; what: string; refusal: RefusalWatch },
): SafeInstallError | null {
  switch (decision.end) {
    case 'pass':
    case 'violation':
      return null;
    case 'trace-limit':
      return new SafeInstallError('TRACE_LIMIT', 'infrastructure', 'the trace passed its limit, so the install was stopped; node_modules was not changed', {
        hint: 'a script made millions of traced calls; the trace shows which one',
      });
    case 'timeout':
      return new SafeInstallError('INSTALL_TIMEOUT', 'infrastructure', `the install did not finish within ${run.options.timeoutSeconds} s; node_modules was not changed`, {
        hint: 'raise --timeout if the install is just slow; the trace shows what was running',
      });
    case 'runner-failed':
      return new SafeInstallError('RUNNER_FAILED', 'infrastructure', `the sandbox runner failed: ${sanitize(run.run.runnerError ?? 'unknown error')}; node_modules was not changed`, {
        hint: 'the report has the verdict and what was traced until then; `safe-install doctor` checks the engine and the image',
      });
    case 'strict-refusal':
      return run.refusal.error(run.scriptReview, run.run.exitCode);
    case 'package-manager-failed':
      return new SafeInstallError(
        'PACKAGE_MANAGER_FAILED',
        'package-manager',
        `${run.what} failed in the sandbox (exit ${run.run.exitCode})${failureDetail(run.events, run.limits)}; node_modules was not changed`,
      );
    case 'export-failed':
      return new SafeInstallError('EXPORT_FAILED', 'infrastructure', `the install passed, but what it wrote could not come back from the sandbox: ${sanitize(run.exportError ?? '')}; the project was not changed`, {
        hint: 'the report has the verdict and the findings; the files named here are what the install left that cannot be exported safely',
      });
  }
}

/**
 * The manager that installs the project: the one its lockfile (or `--pm`) names. `install` and
 * `update` may start a project that has no lockfile yet: npm then writes the first one.
 */
async function managerOf(options: CiOptions): Promise<PackageManager> {
  try {
    return (await detectPackageManager(resolve(options.dir), options.pm)).manager;
  } catch (error) {
    const change = options.job !== undefined && options.job.kind !== 'ci';
    if (change && options.pm === undefined && isSafeInstallError(error) && error.code === 'LOCKFILE_MISSING') return npm;
    throw error;
  }
}

/** The job's name in reports and trace headers. */
function reportCommand(job: { kind: 'ci' } | LockfileChange): Report['command'] {
  return job.kind === 'ci' ? 'ci' : job.kind === 'add' ? 'install' : 'update';
}

/**
 * An install job's export, checked against what came back: the manifest and lockfile that came
 * back (hostile input: the manager's `returned` checks them), and only the node_modules folders that
 * lockfile expects. Refused: the staged tree is removed and the run has an export error (it cannot pass).
 */
async function acceptReturned(
  jobs: NonNullable<PackageManager['lockfileJobs']>,
  pm: PackageManager,
  project: Project,
  run: InstallRunResult,
): Promise<{ run: InstallRunResult; returned: Project | null }> {
  if (run.staged === null) return { run, returned: null };
  try {
    // Only the resolve step (no install code) may write them: a later change is install code's.
    const root = `${SANDBOX_PATHS.project}/`;
    const late = run.events.find((event) => event.type === 'fsdiff' && event.phase !== RESOLVE_PHASE && ['package.json', project.lockfileName, ...(jobs.files ?? [])].includes(event.path.startsWith(root) ? event.path.slice(root.length) : ''));
    if (late?.type === 'fsdiff') throw new SafeInstallError('EXPORT_REJECTED', 'infrastructure', `the sandbox's export was refused: the install changed ${late.path.slice(root.length)} after it was resolved (install code wrote it; see the findings)`);
    const returned = await jobs.returned(project, run.staged.tree);
    return { run: { ...run, staged: await narrowStaged(run.staged, pm.exportScope(returned)) }, returned };
  } catch (error) {
    await discardStaged(run.staged);
    return { run: { ...run, staged: null, exportError: (error as Error).message }, returned: null };
  }
}

function signalName(number: number): string | undefined {
  return Object.entries(constants.signals).find(([, value]) => value === number)?.[0];
}

function prefixed(prefix: string, values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`${prefix}${key}`, value]));
}
