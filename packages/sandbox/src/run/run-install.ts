/**
 * One install in a fresh sandbox: open it, run the one job, stop it — the job of `ci` and of
 * doctor's probe. A sandbox that runs several jobs is `openSandbox` (sandbox.ts).
 *
 * The exported tree is staged beside the project; nothing in the project changes here. Whether the
 * staged tree is swapped in is the caller's decision, made on the verdict.
 */
import type Docker from 'dockerode';
import { installJob, validateJob, type SandboxJob, type TraceEvent } from '@safe-install/schema';
import type { ArchiveFile } from '../transfer/pack-files.js';
import type { ExportScope } from '../transfer/extract-safely.js';
import type { TraceLimits } from './trace-budget.js';
import type { ResourceLimits } from '../layout.js';
import type { GatewaySettings } from '../docker/gateway-container.js';
import { CLEANUP_GRACE_MS, EngineHungError, engineHungResult, openSandbox, type JobRunResult, type StartedSandbox } from './sandbox.js';

export { SANDBOX_PATHS, INSTALL_UID, INSTALL_GID, DEFAULT_LIMITS, type ResourceLimits } from '../layout.js';
export { CLEANUP_GRACE_MS };

export interface InstallRunOptions {
  docker: Docker;
  image: string;
  /** Files placed in the install user's HOME (paths relative to it: `project/package.json`, `.npmrc`). */
  upload: readonly ArchiveFile[];
  /** Modes of uploaded directories that must not be 0755. */
  directoryModes?: ReadonlyMap<string, number>;
  /** The container's host name (a plausible one, from the decoys). */
  hostname?: string;
  /** Where to stage what comes back (the project root); null: export nothing. */
  stageIn: string | null;
  /** What may come back: the lockfile's package folders' node_modules, and project files. */
  scope?: ExportScope;
  /**
   * The network: through the gateway (the sandbox then has no network of its own), or none at
   * all. `env` is the npm and proxy environment that points the install at the gateway.
   */
  network: { gateway: GatewaySettings; env: string[] } | 'none';
  /** The package-manager command, e.g. `['npm', 'ci']`: the job's one `install` step, unless `job` is given. */
  command: string[];
  /**
   * What the runner does, step by step (job.ts). Default: `installJob(command)`, exporting when
   * `stageIn` is set and tracing unless `trace` is false — the job of `ci`.
   */
  job?: SandboxJob;
  /** The package manager's cache folders under HOME, which the runner's snapshot skips (PackageManager.cacheFolders), for the default job. */
  cacheFolders?: readonly string[];
  timeoutMs: number;
  limits?: ResourceLimits;
  /** How long a process may outlive its lifecycle script before it is killed. */
  lingerGraceMs?: number;
  /** Trace the install (default). Off only to measure the tracer's own cost. */
  trace?: boolean;
  /** Extra environment for the install (decoys, CI variables). */
  env?: Record<string, string>;
  onProgress?: (message: string) => void;
  onOutput?: (line: string) => void;
  /** The run's trace limit (default DEFAULT_TRACE_LIMITS); past it the run is stopped and cannot pass. */
  traceLimits?: TraceLimits;
  /** Every event, as it arrives: write it out now so that a crash loses nothing. */
  onEvent?: (event: TraceEvent) => void;
  /** Called at once with the run's abort, for a signal (see SandboxOptions.onAbortHandle). */
  onAbortHandle?: (abort: () => Promise<void>) => void;
}

export type InstallRunResult = JobRunResult;

export async function runInstall(options: InstallRunOptions): Promise<InstallRunResult> {
  // One deadline for the whole run, engine calls included: an engine that stops answering while
  // the container is made or started is a timeout like a slow install, not a hang.
  const deadlineAt = Date.now() + options.timeoutMs;
  // Checked here too, so that a bad job fails before a container exists (the runner checks it again).
  const job = validateJob(options.job ?? installJob(options.command, { export: options.stageIn !== null, trace: options.trace !== false, ...(options.cacheFolders ? { cacheFolders: options.cacheFolders } : {}) }));
  let sandbox: StartedSandbox;
  try {
    sandbox = await openSandbox({
      docker: options.docker,
      image: options.image,
      ...(options.hostname !== undefined ? { hostname: options.hostname } : {}),
      network: options.network,
      ...(options.env ? { env: options.env } : {}),
      ...(options.limits ? { limits: options.limits } : {}),
      timeoutMs: options.timeoutMs,
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      ...(options.onAbortHandle ? { onAbortHandle: options.onAbortHandle } : {}),
    });
  } catch (error) {
    if (!(error instanceof EngineHungError)) throw error;
    return engineHungResult('', error.what, options.timeoutMs, {}, [], options.onEvent, options.onProgress);
  }
  try {
    const run = await sandbox.run({
      upload: options.upload,
      ...(options.directoryModes ? { directoryModes: options.directoryModes } : {}),
      stageIn: options.stageIn,
      ...(options.scope ? { scope: options.scope } : {}),
      job,
      timeoutMs: Math.max(0, deadlineAt - Date.now()),
      ...(options.lingerGraceMs !== undefined ? { lingerGraceMs: options.lingerGraceMs } : {}),
      ...(options.traceLimits ? { traceLimits: options.traceLimits } : {}),
      ...(options.onEvent ? { onEvent: options.onEvent } : {}),
      ...(options.onOutput ? { onOutput: options.onOutput } : {}),
      ...(options.onProgress ? { onProgress: options.onProgress } : {}),
      last: true,
    });
    await stop();
    return { ...run, timings: { ...sandbox.timings, ...run.timings } };
  } finally {
    await stop();
  }

  // Bounded: a hung engine must not keep the run from its verdict (the label sweep of the next
  // run removes what is left).
  function stop(): Promise<void> {
    return sandbox.stop({ withinMs: Math.min(15_000, Math.max(1000, deadlineAt + CLEANUP_GRACE_MS - Date.now())) });
  }
}
