/**
 * `safe-install ci [dir]`: `npm ci` in the sandbox, then — only on a passing verdict — what came
 * back (every node_modules folder npm wrote, and the files scripts wrote into the project) put in
 * place. On any other outcome the project is left as it was. The run is always judged and the
 * report written before anything about the export can end it: a failed export is exit 4 after
 * the verdict, never instead of it.
 */
import { createWriteStream } from 'node:fs';
import { writeFile } from 'node:fs/promises';
import { constants } from 'node:os';
import { join, resolve } from 'node:path';
import type Docker from 'dockerode';
import { SafeInstallError, type Finding, type PackageRef, type Report, type Severity, type TraceEvent, type UploadSummary } from '@safe-install/schema';
import { buildReport } from '@safe-install/report';
import { evaluate, learnPolicy, loadPolicy, type EvaluationContext, type Policy, type PolicyMode } from '@safe-install/policy';
import {
  DEFAULT_BASE_IMAGE,
  DEFAULT_LIMITS,
  TOOL_VERSION,
  connectEngine,
  applySwap,
  discardStaged,
  exportScope,
  gatewayNetwork,
  planSwap,
  recoverStaging,
  scanExported,
  planUpload,
  SANDBOX_PATHS,
  readHostNpmConfig,
  readProject,
  removeOwnedBy,
  requireSandboxImage,
  rsaMaterialAsync,
  runInstall,
  sweepStale,
  type InstallRunResult,
  type Project,
  type RemovedReason,
  type ResourceLimits,
  type SwapPlan,
} from '@safe-install/sandbox';
import { EXIT } from '../exit-codes.js';
import { sanitize, type Printer } from '../output.js';
import { onInterrupt } from '../interrupt.js';
import { printScriptReview, scriptReviewOf, strictRefusal, strictRefusalWatch } from '../script-review.js';

export interface CiOptions {
  dir: string;
  report?: string | undefined;
  trace?: string | undefined;
  base?: string | undefined;
  timeoutSeconds: number;
  limits?: Partial<ResourceLimits>;
  lingerGraceMs?: number;
  /** Overrides of the policy (CLI flags win over environment and file). */
  mode?: PolicyMode | undefined;
  failOn?: Severity | undefined;
  /** After the run, write the least-privilege policy that passes it (learn mode). */
  writePolicy?: boolean;
  printer: Printer;
}

/** Where things are inside the sandbox, for the policy engine. */
function sandboxContext(registries: readonly string[], lockedPackages: readonly PackageRef[]): EvaluationContext {
  return {
    projectDir: SANDBOX_PATHS.project,
    homeDir: SANDBOX_PATHS.home,
    tmpDir: '/tmp',
    nodeModules: `${SANDBOX_PATHS.project}/node_modules`,
    // The forwarder's proxy on loopback, and the sink where every DNS answer points (80/443 only).
    gateway: [{ address: '127.0.0.1' }, { address: '127.10.0.1', port: 80 }, { address: '127.10.0.1', port: 443 }],
    resolvers: ['127.0.0.1'],
    registryHosts: registries.map((url) => new URL(url).hostname),
    lockedPackages,
  };
}

/** The policy's network allowances, in the gateway's terms: global, and per package name. */
function egressAllow(policy: Policy): { global: string[]; packages: Record<string, string[]> } {
  const packages: Record<string, string[]> = {};
  for (const rule of policy.packages) {
    if (rule.allow && rule.network.length > 0) packages[rule.name] = [...(packages[rule.name] ?? []), ...rule.network];
  }
  return { global: [...policy.network.allow], packages };
}

/** The trace file is written as events arrive: a crash or a kill keeps everything seen so far. */
function traceWriter(path: string | undefined) {
  if (!path) return { write: (_event: TraceEvent) => undefined, close: async () => undefined };
  const out = createWriteStream(path);
  return {
    write: (event: TraceEvent) => void out.write(`${JSON.stringify(event)}\n`),
    close: () => new Promise<void>((resolve, reject) => out.end((error?: Error | null) => (error ? reject(error) : resolve()))),
  };
}

/** Project files the install deleted (outside node_modules): reported, never applied to the host. */
function deletedProjectFiles(events: readonly TraceEvent[]): string[] {
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
function failureDetail(run: InstallRunResult, limits: ResourceLimits): string {
  const failed = run.events.filter((event) => event.type === 'script' && event.action === 'end' && (event.code !== 0 || event.signal));
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

export async function ci(options: CiOptions): Promise<number> {
  const { printer } = options;
  const started = performance.now();
  const limits: ResourceLimits = { ...DEFAULT_LIMITS, ...options.limits };
  // A swap a killed run left half-made: put the old trees back before anything else (before the
  // project is read, so a leftover staging folder is never uploaded as a source).
  const undone = await recoverStaging(resolve(options.dir));
  if (undone > 0) printer.warn(`restored the project's previous node_modules from ${undone} interrupted run(s)`);
  const project = await readProject(options.dir);
  const loaded = await loadPolicy({
    projectDir: project.root,
    overrides: { ...(options.mode ? { mode: options.mode } : {}), ...(options.failOn ? { failOn: options.failOn } : {}) },
  });
  // The decoy RSA key takes OpenSSL about half a second: make it on the thread pool while the
  // engine is checked. Only now, once the input is known good: a usage error exits at once.
  const rsaKey = rsaMaterialAsync();
  rsaKey.catch(() => undefined);
  for (const warning of loaded.warnings) printer.warn(sanitize(warning));
  const policy = loaded.policy;
  printer.info(`policy: ${policy.sources.join(', ') || 'none'} (mode ${policy.mode}, fails on ${policy.failOn} and above)`);
  const upload = uploadSummary(project);
  if (upload.decoyCredentials.length > 0) {
    printer.info(`.npmrc credentials kept out of the sandbox (decoys instead): ${upload.decoyCredentials.map(({ file, key }) => sanitize(`${file} ${key}`)).join(', ')}`);
  }
  for (const { file, key, reason } of upload.removedNpmConfig) {
    // A setting that would change how scripts are traced is what an attack on the tracer looks like.
    const line = `${sanitize(file)}: ${sanitize(key)} removed, the sandbox decides it (${REMOVED_WHY[reason as RemovedReason]})`;
    if (reason === 'scripts' || reason === 'expansion') printer.warn(line);
    else printer.info(line);
  }
  // npm's configuration (a spawn of npm) and the engine checks do not depend on each other.
  const [npmConfig, { engine, image, swept }] = await Promise.all([
    readHostNpmConfig(project.root),
    (async () => {
      const engine = await connectEngine();
      const image = await requireSandboxImage(engine.docker, options.base ?? DEFAULT_BASE_IMAGE);
      return { engine, image, swept: await sweepStale(engine.docker) };
    })(),
  ]);
  if (swept.containers.length + swept.volumes.length > 0) {
    printer.info(`removed ${swept.containers.length} container(s) and ${swept.volumes.length} volume(s) left by runs that died`);
  }
  printer.info(`project ${project.root}: ${project.lockfile.packages} locked packages; sandbox image ${image}`);

  const network = await gatewayNetwork(npmConfig, { projectRoot: project.root, allow: egressAllow(policy) });
  const plan = planUpload(project, { home: SANDBOX_PATHS.home, projectDir: 'project', registry: npmConfig.registry, npmrc: [...network.npmrc, ...npmConfig.installSettings], rsaKey: await rsaKey });
  if (project.envFiles.length > 0) printer.info(`${project.envFiles.length} .env file(s) replaced by decoys with the same keys`);
  const trace = traceWriter(options.trace);
  const strict = strictRefusalWatch();
  let container: Docker.Container | undefined;
  let interrupted = false;
  let swapping: Promise<void> | null = null;
  const release = onInterrupt(async () => {
    interrupted = true;
    // A swap under way finishes (or rolls back) first: stopping it half-way would mix two trees.
    if (swapping) await (swapping as Promise<void>).catch(() => undefined);
    else printer.warn('interrupted: removing the sandbox container; node_modules was not changed');
    await container?.remove({ force: true, v: true }).catch(() => undefined);
    // The gateway and the run's volume too: everything labelled as this process's.
    await removeOwnedBy(engine.docker).catch(() => undefined);
    await recoverStaging(project.root).catch(() => undefined);
    await trace.close().catch(() => undefined);
  });
  try {
    const run = await runInstall({
      docker: engine.docker,
      image,
      upload: plan.files,
      directoryModes: plan.directoryModes,
      env: plan.env,
      hostname: plan.hostname,
      stageIn: project.root,
      // Every package folder the lockfile knows (workspaces, `file:` folders) may bring its node_modules back.
      scope: exportScope(project.lockfile.workspaces, { projectFiles: true }),
      network: { gateway: { ...network.gateway, decoys: plan.decoys }, env: network.env },
      command: ['npm', 'ci'],
      timeoutMs: options.timeoutSeconds * 1000,
      limits,
      ...(options.lingerGraceMs !== undefined ? { lingerGraceMs: options.lingerGraceMs } : {}),
      onProgress: (message) => printer.info(message),
      onOutput: (line) => {
        strict.line(line);
        printer.sandbox(line);
      },
      onEvent: (event) => trace.write(event),
      onContainer: (created) => {
        container = created;
        // A signal that came while the container was being created: remove it now.
        if (interrupted) void created.remove({ force: true, v: true }).catch(() => undefined);
      },
    });
    // A decoy value in a file that would cross to the host is a sighting like any other.
    const sightings = run.staged ? await scanExported(run.staged.tree, SANDBOX_PATHS.project, run.events, plan.decoys) : [];
    for (const event of sightings) trace.write(event);
    const events = sightings.length > 0 ? [...run.events, ...sightings] : run.events;

    for (const issue of run.staged?.extract.issues ?? []) {
      printer.warn(`export: ${issue.action} ${sanitize(issue.path)}: ${issue.reason}`);
    }
    const npmVersion = run.status?.packageManager?.version;
    const context = { ...sandboxContext([npmConfig.registry, ...Object.values(npmConfig.scopedRegistries)], project.lockfile.locked), ...(npmVersion ? { npmVersion } : {}) };
    const scriptReview = scriptReviewOf(project, npmVersion);
    const evaluation = evaluate({ events, policy, decoys: plan.decoys, context });
    for (const warning of evaluation.warnings) printer.warn(sanitize(warning));
    const findings: Finding[] = evaluation.findings;
    // Whether what came back can be put in place is known (the host only read) before the report.
    let swapPlan: SwapPlan | null = null;
    let exportError = run.exportError;
    if (run.staged) {
      try {
        swapPlan = await planSwap(project.root, run.staged, project.lockfile.workspaces);
      } catch (error) {
        exportError = (error as Error).message;
      }
    }
    const outcome: Report['outcome'] = run.timedOut ? 'timeout' : run.exitCode !== 0 ? 'install-failed' : exportError !== null ? 'export-failed' : 'completed';
    const verdict: Report['verdict'] = outcome === 'completed' && evaluation.verdict === 'pass' ? 'pass' : 'fail';
    printFindings(printer, findings);
    const timings = { ...run.timings, ...prefixed('sandbox.', run.status?.timings ?? {}), total: Math.round(performance.now() - started) };
    const exported = run.staged || exportError !== null ? exportSummary(run, swapPlan, exportError, verdict === 'pass' && swapPlan !== null) : undefined;
    const report = buildReport({
      command: 'ci', project: project.root, toolVersion: TOOL_VERSION, outcome, verdict, findings, events, timings,
      ...(exported ? { export: exported } : {}),
      ...(scriptReview ? { scriptReview } : {}),
      ...(upload.removedNpmConfig.length + upload.decoyCredentials.length + upload.decoyEnvFiles.length > 0 ? { upload } : {}),
    });
    printScriptReview(printer, scriptReview);
    if (options.report) await writeFile(options.report, `${JSON.stringify(report, null, 2)}\n`);

    if (verdict === 'pass' && swapPlan) {
      swapping = applySwap(swapPlan);
      await swapping;
      for (const file of exported?.projectFiles ?? []) printer.info(`project file ${file.change}: ${sanitize(file.path)}`);
    } else {
      await discardStaged(run.staged);
    }
    for (const path of exported?.deleted ?? []) printer.warn(`the install deleted ${sanitize(path)} in the sandbox; not applied to the project`);
    printer.info(
      `${report.summary.scripts} lifecycle scripts from ${report.summary.packages} packages, ${report.summary.events} events` +
        `${run.status?.lingering ? `, ${run.status.lingering} lingering process(es) killed` : ''}; ` +
        `phases ${Object.entries(timings).map(([phase, ms]) => `${phase} ${ms}ms`).join(', ')}`,
    );

    // A violation outranks the package manager's failure: a script that breaks the install on
    // purpose must not pass for a broken build.
    const violated = policy.mode === 'block' && evaluation.verdict === 'fail';
    if (run.traceLimitReached && !violated) {
      throw new SafeInstallError('TRACE_LIMIT', 'infrastructure', 'the trace passed its limit, so the install was stopped; node_modules was not changed', {
        hint: 'a script made millions of traced calls; the trace shows which one',
      });
    }
    if (run.timedOut) {
      throw new SafeInstallError('INSTALL_TIMEOUT', 'infrastructure', `the install did not finish within ${options.timeoutSeconds} s; node_modules was not changed`, {
        hint: 'raise --timeout if the install is just slow; the trace shows what was running',
      });
    }
    if (run.exitCode !== 0 && !violated && strict.seen(events)) throw strictRefusal(scriptReview, run.exitCode);
    if (run.exitCode !== 0 && !violated) {
      throw new SafeInstallError(
        'PACKAGE_MANAGER_FAILED',
        'package-manager',
        `npm ci failed in the sandbox (exit ${run.exitCode})${failureDetail(run, limits)}; node_modules was not changed`,
      );
    }
    if (exportError !== null && !violated) {
      throw new SafeInstallError('EXPORT_FAILED', 'infrastructure', `the install passed, but what it wrote could not come back from the sandbox: ${sanitize(exportError)}; the project was not changed`, {
        hint: 'the report has the verdict and the findings; the files named here are what the install left that cannot be exported safely',
      });
    }
    if (options.writePolicy) {
      const learned = learnPolicy(events, loaded.document, { context, decoys: plan.decoys, ...(loaded.source.kind === 'file' ? { existingFile: loaded.source.file } : {}) });
      const target = loaded.source.kind === 'file' ? loaded.source.file : join(project.root, 'safe-install.config.yaml');
      await writeFile(target, learned.yamlText);
      printer.info(`learned policy written to ${target} (${learned.changes.length - learned.proposed.length} change(s) applied)`);
      for (const change of learned.proposed) printer.warn(`not applied (would widen an existing rule): ${sanitize(JSON.stringify(change))}`);
    }
    if (violated) {
      const failing = findings.filter((finding) => SEVERITY_RANK[finding.severity] >= SEVERITY_RANK[policy.failOn]).length;
      printer.error(`verdict: fail — ${failing} finding(s) at or above ${policy.failOn}; node_modules was not changed`);
      return EXIT.violation;
    }
    printer.info(`verdict: pass — node_modules installed in ${project.root}`);
    return EXIT.pass;
  } finally {
    await trace.close();
    release();
  }
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

const SEVERITY_RANK: Record<Severity, number> = { info: 0, low: 1, medium: 2, high: 3, critical: 4 };

const SEVERITY_MARK: Record<Severity, string> = { info: 'i', low: '·', medium: '!', high: '!!', critical: '!!!' };

function printFindings(printer: Printer, findings: readonly Finding[]): void {
  for (const finding of findings) {
    const who = finding.package ? `${finding.package.name}@${finding.package.version}${finding.lifecycle ? ` (${finding.lifecycle})` : ''}` : 'the package manager';
    printer.warn(`${SEVERITY_MARK[finding.severity]} ${finding.severity} ${finding.ruleId}: ${sanitize(who)}: ${sanitize(finding.message)} [events ${finding.evidence.slice(0, 5).join(', ')}${finding.evidence.length > 5 ? ', …' : ''}]`);
    if (finding.hint) printer.warn(`    fix: ${sanitize(finding.hint)}`);
  }
}

function signalName(number: number): string | undefined {
  return Object.entries(constants.signals).find(([, value]) => value === number)?.[0];
}

function prefixed(prefix: string, values: Record<string, number>): Record<string, number> {
  return Object.fromEntries(Object.entries(values).map(([key, value]) => [`${prefix}${key}`, value]));
}
