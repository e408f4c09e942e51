/**
 * `analyze` over many packages: a bounded pool of sandboxes, each package in its own, results
 * written as each finishes, a rerun skipping what is done (`--resume`). A package that hangs or
 * crashes ends as its own outcome (its time limit, its error); the batch carries on.
 *
 * Where each sandbox runs is the pool's `EngineSlots`: one engine today; several engines (other
 * Docker hosts) plug in behind the same interface.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { SafeInstallError, sanitizeText } from '@safe-install/schema';
import { rsaMaterialAsync } from '@safe-install/sandbox';
import type { PackageManager } from '../package-manager.js';
import type { SandboxEngine } from '../sandbox-engine.js';
import { npm } from '../npm.js';
import { analyzePackage, type AnalyzeSettings, type PackageOutcome } from './analyze-package.js';
import type { AnalysisSpec } from './specs.js';

/** A place a sandbox may run now: an engine, its image, and a release when the package is done. */
export interface EngineSlot {
  engine: SandboxEngine;
  /** The engine's name (its address), for progress and the outcome. */
  name: string;
  image: string;
  release(): void;
}

/** The pool's engine choice: how many sandboxes at once, and on which engine the next one runs. */
export interface EngineSlots {
  readonly capacity: number;
  /** Prepare every engine (connect, image, sweep); the images by engine. */
  prepare(base: string | undefined): Promise<void>;
  acquire(): Promise<EngineSlot>;
  /** Abort every sandbox on every engine. */
  abort(): Promise<void>;
}

export interface NamedEngine {
  name: string;
  engine: SandboxEngine;
}

/**
 * Several engines, `perEngine` sandboxes on each at once: the next package goes to the engine with
 * the most free slots (the first of them on a tie), so a slow engine takes fewer packages. Every
 * engine is prepared before the first package starts: one that cannot be reached fails the batch
 * at once rather than each package sent to it.
 */
export function engineSlots(engines: readonly NamedEngine[], perEngine: number): EngineSlots {
  if (engines.length === 0) throw new Error('engineSlots: no engine');
  const each = Math.max(1, perEngine);
  const pool = engines.map((named) => ({ ...named, image: null as string | null, free: each }));
  const waiting: Array<(slot: (typeof pool)[number]) => void> = [];
  const take = (entry: (typeof pool)[number]): EngineSlot => {
    if (entry.image === null) throw new Error('engineSlots: prepare() first');
    let released = false;
    return {
      engine: entry.engine,
      name: entry.name,
      image: entry.image,
      release: () => {
        if (released) return;
        released = true;
        const next = waiting.shift();
        if (next) next(entry);
        else entry.free += 1;
      },
    };
  };
  return {
    capacity: each * pool.length,
    async prepare(base) {
      await Promise.all(pool.map(async (entry) => (entry.image = (await entry.engine.prepare(base)).image)));
    },
    async acquire() {
      const freest = pool.reduce((best, entry) => (entry.free > best.free ? entry : best));
      if (freest.free > 0) {
        freest.free -= 1;
        return take(freest);
      }
      return take(await new Promise<(typeof pool)[number]>((resolve) => waiting.push(resolve)));
    },
    abort: async () => {
      await Promise.all(pool.map((entry) => entry.engine.abort()));
    },
  };
}

/** One engine, `concurrency` sandboxes on it at once. */
export function singleEngineSlots(engine: SandboxEngine, concurrency: number, name = 'local'): EngineSlots {
  return engineSlots([{ name, engine }], concurrency);
}

export interface BatchOptions {
  specs: readonly AnalysisSpec[];
  cwd: string;
  base?: string | undefined;
  settings: AnalyzeSettings;
  /** Skip specs whose analysis.json is already in the output folder. */
  resume: boolean;
}

export interface BatchObserver {
  info(message: string): void;
  warn(message: string): void;
  /** A package began (n of m, counting from 1). */
  started?(spec: string, index: number, total: number): void;
  /** A package is done, its analysis written: `done` of `total` so far. */
  finished(outcome: PackageOutcome, done: number, total: number): void;
  /** A line of an install's output (untrusted, unsanitized). */
  output?(spec: string, line: string): void;
}

export interface BatchResult {
  outcomes: PackageOutcome[];
  /** Specs skipped because their analysis was already there (--resume). */
  skipped: string[];
}

export interface BatchRun {
  result: Promise<BatchResult>;
  /** Stop: no new package starts, every sandbox is removed. */
  abort(): Promise<void>;
}

/** Longest analysis.json read back for --resume (written ones are far smaller). */
const MAX_ANALYSIS_BYTES = 256 * 1024 * 1024;

/**
 * The specs already analysed in `outDir`: each `<name>@<version>/analysis.json` (a scope one
 * folder deeper), read back for its `spec`. A file that is not an analysis is ignored.
 */
export async function analysedSpecs(outDir: string): Promise<Set<string>> {
  const specs = new Set<string>();
  const read = async (path: string) => {
    const info = await stat(path).catch(() => null);
    if (!info?.isFile() || info.size > MAX_ANALYSIS_BYTES) return;
    try {
      const value = JSON.parse(await readFile(path, 'utf8')) as { spec?: unknown; version?: unknown };
      if (typeof value.spec === 'string') specs.add(value.spec);
    } catch {
      // Not an analysis (or a broken one): analysed again.
    }
  };
  const top = await readdir(outDir, { withFileTypes: true }).catch(() => []);
  for (const entry of top) {
    if (!entry.isDirectory() || entry.name.startsWith('.')) continue;
    if (entry.name.startsWith('@') && !entry.name.includes('@', 1)) {
      for (const inner of await readdir(join(outDir, entry.name), { withFileTypes: true }).catch(() => [])) {
        if (inner.isDirectory()) await read(join(outDir, entry.name, inner.name, 'analysis.json'));
      }
    } else await read(join(outDir, entry.name, 'analysis.json'));
  }
  return specs;
}

export function startAnalyzeBatch(options: BatchOptions, observer: BatchObserver, deps: { slots: EngineSlots; packageManager?: PackageManager }): BatchRun {
  let aborted = false;
  const result = runBatch(options, observer, deps, () => aborted);
  return {
    result,
    abort: async () => {
      aborted = true;
      await deps.slots.abort();
    },
  };
}

async function runBatch(options: BatchOptions, observer: BatchObserver, deps: { slots: EngineSlots; packageManager?: PackageManager }, aborted: () => boolean): Promise<BatchResult> {
  const pm = deps.packageManager ?? npm;
  const done = options.resume && options.settings.outDir ? await analysedSpecs(options.settings.outDir) : new Set<string>();
  const todo = options.specs.filter((spec) => !done.has(spec.spec));
  const skipped = options.specs.filter((spec) => done.has(spec.spec)).map((spec) => spec.spec);
  if (skipped.length > 0) observer.info(`resume: ${skipped.length} package(s) already analysed in ${options.settings.outDir}, skipped`);
  if (todo.length === 0) return { outcomes: [], skipped };
  const [hostConfig] = await Promise.all([pm.hostConfig(options.cwd), deps.slots.prepare(options.base)]);
  const outcomes: PackageOutcome[] = [];
  let next = 0;
  const worker = async () => {
    while (!aborted()) {
      const index = next++;
      const spec = todo[index];
      if (spec === undefined) return;
      const slot = await deps.slots.acquire();
      try {
        if (aborted()) return;
        observer.started?.(spec.spec, index + 1, todo.length);
        const outcome = await analyzePackage(
          spec,
          { engine: slot.engine, image: slot.image, pm, hostConfig, rsaKey: () => rsaMaterialAsync(), cwd: options.cwd, onOutput: (line) => observer.output?.(spec.spec, line) },
          options.settings,
        ).catch((error: unknown): PackageOutcome => ({ spec: spec.spec, analysis: null, folder: null, failure: new SafeInstallError('ANALYZE_CRASHED', 'infrastructure', sanitizeText(String((error as Error)?.message ?? error), 300)), durationMs: 0 }));
        outcome.engine = slot.name;
        outcomes.push(outcome);
        observer.finished(outcome, outcomes.length, todo.length);
      } finally {
        slot.release();
      }
    }
  };
  await Promise.all(Array.from({ length: Math.min(deps.slots.capacity, todo.length) }, () => worker()));
  return { outcomes, skipped };
}

