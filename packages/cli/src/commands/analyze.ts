/**
 * `safe-install analyze <spec...>`: dynamic analysis of packages, each in a scratch project and a
 * fresh sandbox (core's analyze pipeline). This command reads the specs (arguments, `--from`),
 * maps flags in, prints progress and each package's summary (report's renderer), and maps the
 * batch to an exit code: findings are data, not failures, unless `--fail-on` says otherwise.
 */
import { readFile, stat, writeFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { SafeInstallError, sanitizeText, type Severity } from '@safe-install/schema';
import { K8sJobError, SPEC_LIMITS, collectSpecs, dockerEngine, engineSlots, k8sJobManifest, parseSpecList, riskAtLeast, singleEngineSlots, startAnalyzeBatch, type AnalysisSpec, type AnalyzeSettings, type EngineSlots, type PackageOutcome } from '@safe-install/core';
import { DEFAULT_LIMITS, parseEngineAddress, type ResourceLimits } from '@safe-install/sandbox';
import { renderAnalysis, renderAnalysisTotals, renderOssf } from '@safe-install/report';
import { EXIT } from '../exit-codes.js';
import { printLines, type Printer } from '../output.js';
import { onInterrupt } from '../interrupt.js';

export const ANALYZE_FORMATS = ['terminal', 'json', 'ossf'] as const;
export type AnalyzeFormat = (typeof ANALYZE_FORMATS)[number];

export interface AnalyzeCommandOptions {
  specs: readonly string[];
  from?: string | undefined;
  out?: string | undefined;
  concurrency: number;
  timeoutSeconds: number;
  phaseTimeoutSeconds: number;
  windowSeconds: number;
  bins: boolean;
  binTimeoutSeconds: number;
  resume: boolean;
  failOn?: Severity | undefined;
  format: AnalyzeFormat;
  base?: string | undefined;
  limits: Partial<ResourceLimits>;
  printer: Printer;
  /** Install again with the wall clock this many days ahead (`--time-shift`). */
  timeShiftDays?: number | undefined;
  /** The engines' addresses (`--docker-host`, DOCKER_HOST form); none: the one connectEngine finds. */
  dockerHosts?: readonly string[];
  /** Write the batch as a Kubernetes Job instead of running it. */
  emitK8s?: { file: string; image?: string | undefined; resultsClaim: string; parallelism: number; shardSize: number };
  /** Where the sandboxes run (default: from dockerHosts). */
  slots?: EngineSlots;
  stdout?: Pick<NodeJS.WriteStream, 'write'>;
  cwd?: string;
}

/** The most sandboxes at once: each holds a gateway and a container, and a 2-core machine is busy at 2. */
export const MAX_CONCURRENCY = 32;

function usage(message: string): SafeInstallError {
  return new SafeInstallError('ANALYZE_USAGE', 'usage', message);
}

async function readSpecFile(path: string): Promise<AnalysisSpec[]> {
  const info = await stat(path).catch(() => null);
  if (!info?.isFile()) throw usage(`--from ${path}: not a file`);
  if (info.size > SPEC_LIMITS.fileBytes) throw usage(`--from ${path}: larger than ${SPEC_LIMITS.fileBytes} bytes`);
  return parseSpecList(await readFile(path, 'utf8'), path);
}

/** Local specs must exist before anything starts: a typo is a usage error, not a failed analysis. */
async function checkLocal(specs: readonly AnalysisSpec[], cwd: string): Promise<void> {
  for (const spec of specs) {
    if (spec.kind === 'registry') continue;
    const info = await stat(resolve(cwd, spec.path)).catch(() => null);
    const ok = spec.kind === 'tarball' ? info?.isFile() : info?.isDirectory();
    if (!ok) throw usage(`${sanitizeText(spec.spec, 200)}: no such ${spec.kind === 'tarball' ? 'file' : 'folder'}`);
  }
}

function whole(value: number, flag: string, min: number, max: number): number {
  if (!Number.isFinite(value) || value < min || value > max) throw usage(`--${flag} must be between ${min} and ${max}`);
  return value;
}

/**
 * The exit code of a batch: an infrastructure failure (4) first, then a package-manager one (3:
 * a spec npm cannot resolve), then a bad input (2), then `--fail-on` (1: some package's risk at
 * or above it); else 0, whatever was found.
 */
export function analyzeExitCode(outcomes: readonly PackageOutcome[], failOn: Severity | undefined): number {
  const kinds = new Set(outcomes.map((outcome) => outcome.failure?.kind).filter((kind) => kind !== undefined));
  if (kinds.has('infrastructure')) return EXIT.infrastructure;
  if (kinds.has('package-manager')) return EXIT.packageManager;
  if (kinds.has('usage')) return EXIT.usage;
  if (failOn !== undefined && outcomes.some((outcome) => outcome.analysis !== null && riskAtLeast(outcome.analysis.risk, failOn))) return EXIT.violation;
  return EXIT.pass;
}

/** The pool's engines: each `--docker-host`, or the one connectEngine finds; `concurrency` sandboxes on each. */
export function slotsFor(hosts: readonly string[], concurrency: number): EngineSlots {
  if (hosts.length === 0) return singleEngineSlots(dockerEngine(), concurrency);
  const unique = [...new Set(hosts)];
  if (unique.length !== hosts.length) throw usage('--docker-host: the same engine is given twice');
  for (const host of unique) parseEngineAddress(host, '--docker-host');
  return engineSlots(unique.map((host) => ({ name: host, engine: dockerEngine({ host }) })), concurrency);
}

/** `--emit-k8s`: the batch as a Kubernetes Indexed Job; only registry specs travel to a cluster. */
async function emitK8s(options: NonNullable<AnalyzeCommandOptions['emitK8s']>, specs: readonly AnalysisSpec[], concurrency: number, timeoutSeconds: number, cwd: string, printer: Printer): Promise<number> {
  if (!options.image) throw usage('--emit-k8s needs --image: the image holding the safe-install CLI (docs/scaling.md)');
  const local = specs.filter((spec) => spec.kind !== 'registry');
  if (local.length > 0) throw usage(`--emit-k8s: ${sanitizeText(local[0]!.spec, 200)} is a local file or folder; a cluster's pods can only fetch registry packages`);
  let manifest: string;
  try {
    manifest = k8sJobManifest({ specs: specs.map((spec) => spec.spec), image: options.image, parallelism: options.parallelism, shardSize: options.shardSize, concurrency, timeoutSeconds: Math.round(timeoutSeconds), resultsClaim: options.resultsClaim });
  } catch (error) {
    if (error instanceof K8sJobError) throw usage(`--emit-k8s: ${error.message}`);
    throw error;
  }
  const file = resolve(cwd, options.file);
  await writeFile(file, manifest);
  printer.info(`wrote a Kubernetes Job for ${specs.length} package(s) in ${Math.ceil(specs.length / options.shardSize)} shard(s) to ${file}; apply it with kubectl apply -f`);
  return EXIT.pass;
}

export async function analyze(options: AnalyzeCommandOptions): Promise<number> {
  const { printer } = options;
  const cwd = options.cwd ?? process.cwd();
  const stdout = options.stdout ?? process.stdout;
  const listed = options.from ? await readSpecFile(resolve(cwd, options.from)) : [];
  const specs = collectSpecs(options.specs, listed);
  await checkLocal(specs, cwd);
  const concurrency = Math.round(whole(options.concurrency, 'concurrency', 1, MAX_CONCURRENCY));
  if (options.resume && !options.out) throw usage('--resume needs --out: it skips the packages whose analysis is there');
  const settings: AnalyzeSettings = {
    timeoutMs: whole(options.timeoutSeconds, 'timeout-seconds', 10, 24 * 3600) * 1000,
    phaseTimeoutMs: whole(options.phaseTimeoutSeconds, 'phase-timeout-seconds', 5, 24 * 3600) * 1000,
    windowMs: whole(options.windowSeconds, 'window-seconds', 0, 600) * 1000,
    bins: options.bins,
    binTimeoutMs: whole(options.binTimeoutSeconds, 'bin-timeout-seconds', 1, 600) * 1000,
    // At most 60 days: the gateway's certificates for the registry are valid for 90 (time-shift.c).
    ...(options.timeShiftDays !== undefined ? { timeShiftDays: Math.round(whole(options.timeShiftDays, 'time-shift', 1, 60)) } : {}),
    limits: { ...DEFAULT_LIMITS, ...options.limits },
    outDir: options.out ? resolve(cwd, options.out) : undefined,
  };
  if (options.emitK8s) return emitK8s(options.emitK8s, specs, concurrency, settings.timeoutMs / 1000, cwd, printer);
  const slots = options.slots ?? slotsFor(options.dockerHosts ?? [], concurrency);
  const started = performance.now();
  const run = startAnalyzeBatch(
    { specs, cwd, base: options.base, settings, resume: options.resume },
    {
      info: printer.info,
      warn: printer.warn,
      started: (spec, index, total) => printer.info(`[${index}/${total}] analysing ${sanitizeText(spec, 200)}`),
      finished: (outcome, done, total) => {
        const analysis = outcome.analysis;
        const seconds = `${(outcome.durationMs / 1000).toFixed(1)} s`;
        if (analysis === null) {
          printer.error(`[${done}/${total}] ${sanitizeText(outcome.spec, 200)}: not analysed (${seconds}): ${outcome.failure?.message ?? 'unknown error'}`, outcome.failure?.hint);
          return;
        }
        const where = (options.dockerHosts?.length ?? 0) > 1 && outcome.engine ? ` on ${sanitizeText(outcome.engine, 200)}` : '';
        printer.info(`[${done}/${total}] ${sanitizeText(outcome.spec, 200)}: risk ${analysis.risk} (${seconds})${where}${outcome.folder ? ` -> ${sanitizeText(outcome.folder, 300)}` : ''}`);
        if (outcome.failure) printer.warn(`${sanitizeText(outcome.spec, 200)}: ${outcome.failure.message}`);
        if (options.format === 'json') stdout.write(`${JSON.stringify(analysis)}\n`);
        else if (options.format === 'ossf') stdout.write(`${JSON.stringify(renderOssf(analysis))}\n`);
        else printLines(printer, renderAnalysis(analysis));
      },
    },
    { slots },
  );
  const release = onInterrupt(() => run.abort());
  try {
    const result = await run.result;
    const byRisk: Record<string, number> = {};
    for (const outcome of result.outcomes) if (outcome.analysis) byRisk[outcome.analysis.risk] = (byRisk[outcome.analysis.risk] ?? 0) + 1;
    printLines(
      printer,
      renderAnalysisTotals({
        analysed: result.outcomes.filter((outcome) => outcome.analysis !== null).length,
        failed: result.outcomes.filter((outcome) => outcome.analysis === null).length,
        skipped: result.skipped.length,
        byRisk,
        ms: performance.now() - started,
      }),
    );
    return analyzeExitCode(result.outcomes, options.failOn);
  } finally {
    release();
  }
}
