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

/** One engine, `concurrency` sandboxes on it at once. */
export function singleEngineSlots(engine: SandboxEngine, concurrency: number): EngineSlots {
  let image: string | null = null;
  let free = Math.max(1, concurrency);
  const waiting: Array<() => void> = [];
  return {
    capacity: Math.max(1, concurrency),
    async prepare(base) {
      image = (await engine.prepare(base)).image;
    },
    async acquire() {
      if (image === null) throw new Error('singleEngineSlots: prepare() first');
      if (free === 0) await new Promise<void>((resolve) => waiting.push(resolve));
      else free -= 1;
      let released = false;
      return {
        engine,
        image,
        release: () => {
          if (released) return;
          released = true;
          const next = waiting.shift();
          if (next) next();
          else free += 1;
        },
      };
    },
    abort: () => engine.abort(),
  };
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

