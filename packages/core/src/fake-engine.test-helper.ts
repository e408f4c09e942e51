/**
 * A fake engine behind the sandbox-engine seam, for the pipeline's unit tests: it records what it
 * was asked and returns a scripted run (events, status, a staged export made on disk as the real
 * one is). With npm's real code for everything but asking the host's npm for its config.
 */
import { mkdtemp, mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TraceEvent } from '@safe-install/schema';
import { STAGING_PREFIX, type HostNpmConfig, type InstallRunResult, type SandboxJobRun, type StartedSandbox } from '@safe-install/sandbox';
import type { RunObserver } from './ci-pipeline.js';
import { npm } from './npm.js';
import type { PackageManager } from './package-manager.js';
import type { SandboxEngine, SandboxInstall } from './sandbox-engine.js';

export const HOST_CONFIG: HostNpmConfig = {
  registry: 'https://registry.example/',
  scopedRegistries: {},
  ca: null,
  cafile: null,
  proxy: null,
  httpsProxy: null,
  noproxy: null,
  strictSsl: true,
  npmrcFiles: [],
  installSettings: [],
  installEnv: [],
};
// npm's real code for everything but asking the host's npm for its config.
export const testNpm: PackageManager = { ...npm, hostConfig: async () => HOST_CONFIG };

export interface Scripted {
  events: TraceEvent[];
  exitCode?: number | null;
  timedOut?: boolean;
  runnerError?: string | null;
  exportError?: string | null;
  /** Files the install put in node_modules (a staged export is made of them). */
  nodeModules?: Record<string, string>;
  /** Files outside node_modules that came back (relative to the project; an install job's package.json and lockfile). */
  projectFiles?: Record<string, string>;
  /** More node_modules roots that came back, each with one file (`packages/a/node_modules`). */
  extraRoots?: string[];
}

/** The scripted run of one job: its events reported, its node_modules staged where asked. */
async function scriptedRun(script: Scripted, stageIn: string | null, onEvent: ((event: TraceEvent) => void) | undefined): Promise<InstallRunResult> {
  for (const event of script.events) onEvent?.(event);
  let staged: InstallRunResult['staged'] = null;
  if (script.nodeModules && stageIn) {
    const dir = await mkdtemp(join(stageIn, STAGING_PREFIX));
    const tree = join(dir, 'tree');
    const put = async (path: string, content: string) => {
      await mkdir(join(tree, path, '..'), { recursive: true });
      await writeFile(join(tree, path), content);
    };
    for (const [path, content] of Object.entries(script.nodeModules)) await put(join('node_modules', path), content);
    for (const root of script.extraRoots ?? []) await put(join(root, 'x/index.js'), '');
    for (const [path, content] of Object.entries(script.projectFiles ?? {})) await put(path, content);
    const projectFiles = Object.entries(script.projectFiles ?? {}).map(([path, content]) => ({ path, type: 'file' as const, bytes: content.length, mode: 0o644, sha256: '' }));
    staged = { dir, tree, extract: { roots: ['node_modules', ...(script.extraRoots ?? [])], projectFiles, files: 1, directories: 1, symlinks: 0, hardlinks: 0, bytes: 1, issues: [] } };
  }
  return {
    runId: 'fake',
    exitCode: script.exitCode === undefined ? 0 : script.exitCode,
    timedOut: script.timedOut ?? false,
    traceLimitReached: false,
    events: script.events,
    status: null,
    staged,
    exportError: script.exportError ?? null,
    runnerError: script.runnerError ?? null,
    timings: { run: 1 },
  };
}

/** A fake engine: records what it was asked, returns the scripted run (for every job of an opened sandbox too). */
export function fakeEngine(script: Scripted): SandboxEngine & { asked: SandboxInstall[]; jobs: SandboxJobRun[]; aborted: number } {
  const engine = {
    asked: [] as SandboxInstall[],
    jobs: [] as SandboxJobRun[],
    aborted: 0,
    prepare: async () => ({ image: 'safe-install-sandbox:fake', swept: { containers: 0, volumes: 0 } }),
    install: async (options: SandboxInstall): Promise<InstallRunResult> => {
      engine.asked.push(options);
      return scriptedRun(script, options.stageIn, options.onEvent);
    },
    open: async (): Promise<StartedSandbox> => {
      const close = async () => undefined;
      return {
        runId: 'fake',
        timings: {},
        run: async (job: SandboxJobRun) => {
          engine.jobs.push(job);
          return scriptedRun(script, job.stageIn, job.onEvent);
        },
        stop: close,
        abort: close,
        copyOut: async () => [],
        [Symbol.asyncDispose]: close,
      };
    },
    abort: async () => void (engine.aborted += 1),
  };
  return engine;
}

export function quietObserver(): RunObserver & { lines: string[] } {
  const lines: string[] = [];
  return { lines, info: (m) => void lines.push(m), warn: (m) => void lines.push(`warn: ${m}`), output: (l) => void lines.push(`| ${l}`) };
}

