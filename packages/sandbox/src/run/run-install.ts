/**
 * One install in a fresh sandbox container: create it hardened, attach, start, send the upload on
 * stdin, receive events as they happen and node_modules at the end, enforce the deadline, and
 * always remove the container.
 *
 * The exported tree is staged beside the project; nothing in the project changes here. Whether the
 * staged tree is swapped in is the caller's decision, made on the verdict.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { installJob, SafeInstallError, TRACE_GAP_NOTICE, validateJob, type SandboxJob, type TraceEvent } from '@safe-install/schema';
import type { RunnerStatus } from '@safe-install/runner';
import { packFiles, type ArchiveFile } from '../transfer/pack-files.js';
import { StepClock } from './step-phases.js';
import { DEFAULT_EXTRACT_LIMITS, extractSafely, type ExportScope } from '../transfer/extract-safely.js';
import { STAGING_PREFIX, type StagedExport } from '../transfer/swap-in.js';
import { LABEL_OWNER_HOST, LABEL_OWNER_PID, LABEL_ROLE, LABEL_RUN, LABEL_STARTED, LABEL_TOOL, LABEL_VERSION, TOOL_VERSION } from '../docker/labels.js';
import { RunnerChannel } from './runner-channel.js';
import { outputLines } from './output-lines.js';
import { sandboxNotice, TraceBudget, type TraceLimits } from './trace-budget.js';
import { DEFAULT_LIMITS, INSTALL_GID, INSTALL_UID, type ResourceLimits } from '../layout.js';
import { sandboxContainerSpec } from '../docker/sandbox-container.js';
import { startGateway, type GatewaySettings, type RunningGateway } from '../docker/gateway-container.js';

export { SANDBOX_PATHS, INSTALL_UID, INSTALL_GID, DEFAULT_LIMITS, type ResourceLimits } from '../layout.js';

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
  /** Called with the container as soon as it exists, so the caller can remove it on a signal. */
  onContainer?: (container: Docker.Container) => void;
}

export interface InstallRunResult {
  runId: string;
  /** The package manager's exit code; null when it never finished (timeout, crash). */
  exitCode: number | null;
  timedOut: boolean;
  /** The trace passed its limit: the install was stopped and the trace ends there. */
  traceLimitReached: boolean;
  events: TraceEvent[];
  status: RunnerStatus | null;
  /** What came back, staged in a folder inside the project; null when nothing did (or it failed). */
  staged: StagedExport | null;
  /**
   * Why the export failed (a file tar could not read, a sparse file, a limit, a stream cut short),
   * or null. A failed export never throws: the caller judges the run first, then reports this.
   */
  exportError: string | null;
  /**
   * The runner's own failure (not the install's), or null. Like a failed export it never throws:
   * the trace up to it is judged, and the run cannot pass.
   */
  runnerError: string | null;
  timings: Record<string, number>;
}


/** Wait for `work` at most `ms`; never rejects (a failure reads as not settled). */
async function within<T>(ms: number, work: Promise<T>): Promise<{ settled: true; value: T } | { settled: false }> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<{ settled: false }>((resolve) => {
    timer = setTimeout(() => resolve({ settled: false }), ms);
  });
  try {
    return await Promise.race([work.then((value) => ({ settled: true as const, value })), late]);
  } catch {
    return { settled: false };
  } finally {
    clearTimeout(timer);
  }
}

/** What `untilDeadline` answers when the deadline came first. */
const LATE = Symbol('late');

/** Wait for `work` until `ms` have passed: its value, its rejection, or LATE. */
async function untilDeadline<T>(ms: number, work: Promise<T>): Promise<T | typeof LATE> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<typeof LATE>((resolve) => {
    timer = setTimeout(() => resolve(LATE), ms);
  });
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/**
 * After the deadline, the engine calls that end the run (stop, the last output, the gateway's
 * events, removal) share this much time; then the run ends with what it has. A hung engine costs
 * at most this past `--timeout`, and whatever it left is labelled and swept by the next run.
 */
export const CLEANUP_GRACE_MS = 10_000;

/** Split a stream into bounded lines for `onLine` (see output-lines.ts). */
function lines(stream: Readable, onLine: (line: string) => void): void {
  const split = outputLines(onLine);
  const decoder = new TextDecoder('utf-8', { fatal: false });
  stream.on('data', (chunk: Buffer) => split.push(decoder.decode(chunk, { stream: true })));
  stream.on('end', () => {
    split.push(decoder.decode());
    split.end();
  });
}

export async function runInstall(options: InstallRunOptions): Promise<InstallRunResult> {
  const { docker } = options;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const runId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  // One deadline for the whole run, engine calls included: an engine that stops answering while
  // the container is made or started is a timeout like a slow install, not a hang.
  const deadlineAt = Date.now() + options.timeoutMs;
  const untilEnd = () => Math.max(0, deadlineAt - Date.now());
  const graceLeft = () => Math.max(1000, deadlineAt + CLEANUP_GRACE_MS - Date.now());
  const timings: Record<string, number> = {};
  const timed = async <T>(phase: string, work: () => Promise<T>): Promise<T> => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      timings[phase] = Math.round(performance.now() - start);
    }
  };
  const progress = options.onProgress ?? (() => undefined);
  const labels = {
    [LABEL_TOOL]: 'safe-install',
    [LABEL_VERSION]: TOOL_VERSION,
    [LABEL_RUN]: runId,
    [LABEL_OWNER_PID]: String(process.pid),
    [LABEL_OWNER_HOST]: hostname(),
    [LABEL_STARTED]: new Date().toISOString(),
  };
  const network = options.network;
  // Checked here too, so that a bad job fails before a container exists (the runner checks it again).
  const job = validateJob(options.job ?? installJob(options.command, { export: options.stageIn !== null, trace: options.trace !== false, ...(options.cacheFolders ? { cacheFolders: options.cacheFolders } : {}) }));
  let gateway: RunningGateway | null = null;
  if (network !== 'none') {
    // Only the volume is made before the sandbox starts; the gateway container starts alongside it.
    gateway = await timed('gateway-volume', () => startGateway(docker, { image: options.image, runId, labels: { ...labels, [LABEL_ROLE]: 'gateway' }, settings: network.gateway }));
    const pending = gateway.ready;
    const startedAt = performance.now();
    void pending.then(
      () => (timings['gateway-start'] = Math.round(performance.now() - startedAt)),
      () => undefined,
    );
  }
  try {
    return await runSandbox();
  } finally {
    if (gateway) await within(graceLeft() + 5000, gateway.remove());
  }

  /** The run when the engine did not answer before the deadline: a timeout, with a gap notice. */
  function engineHung(what: string, events: TraceEvent[] = []): InstallRunResult {
    progress(`the engine did not answer (${what}) within ${Math.round(options.timeoutMs / 1000)} s; giving up`);
    const notice = sandboxNotice('gap-engine', Date.now(), `${TRACE_GAP_NOTICE} the engine did not answer (${what}) before the deadline`);
    events.push(notice);
    options.onEvent?.(notice);
    return { runId, exitCode: null, timedOut: true, traceLimitReached: false, events, status: null, staged: null, exportError: null, runnerError: null, timings };
  }

  async function runSandbox(): Promise<InstallRunResult> {
  const creating = docker.createContainer(
      sandboxContainerSpec({
        image: options.image,
        runId,
        hostname: options.hostname,
        lingerGraceMs: options.lingerGraceMs ?? 2000,
        job,
        env: [...(network === 'none' ? [] : network.env), ...Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`)],
        labels: { ...labels, [LABEL_ROLE]: 'sandbox' },
        limits,
        gatewayVolume: gateway?.volume ?? null,
        trustVolume: gateway?.trustVolume ?? null,
      }),
    );
  const created = await timed('create', () => untilDeadline(untilEnd(), creating));
  if (created === LATE) {
    // It may still appear: remove it then (or the next run's sweep will).
    void creating.then((late) => late.remove({ force: true, v: true })).catch(() => undefined);
    return engineHung('creating the sandbox container');
  }
  const container = created;
  options.onContainer?.(container);

  const events: TraceEvent[] = [];
  const budget = new TraceBudget(options.traceLimits);
  let stoppedForLimit = false;
  // When each step began, from the runner's events: the gateway's events are put in theirs.
  const steps = new StepClock();
  const keep = (event: TraceEvent) => {
    events.push(event);
    if (event.source !== 'gateway') steps.observe(event);
    // Sandbox latency: from asking the engine to start the container to the first script.
    if (event.type === 'script' && event.action === 'start' && containerStartWall !== null && timings['start-to-first-script'] === undefined) {
      timings['start-to-first-script'] = Math.max(0, Math.round(event.ts - containerStartWall));
    }
    options.onEvent?.(event);
  };
  let status: RunnerStatus | null = null;
  let runnerError: string | null = null;
  let badLines = 0;
  let exportJob: Promise<StagedExport> | null = null;
  let exportResult: { ok: boolean; error?: string } | null = null;
  let statusAt: number | null = null;
  let containerStartWall: number | null = null;
  const stageIn = options.stageIn;

  try {
    const attached = await untilDeadline(untilEnd(), container.attach({ stream: true, stdin: true, stdout: true, stderr: true, hijack: true }));
    if (attached === LATE) return engineHung('attaching to the sandbox container', events);
    const stream = attached as unknown as NodeJS.ReadWriteStream & Readable;
    const stdout = new PassThrough();
    const stderr = new PassThrough();
    docker.modem.demuxStream(stream, stdout, stderr);
    lines(stderr, options.onOutput ?? (() => undefined));

    const channel = new RunnerChannel({
      onEvent: (incoming, bytes) => {
        const kept = budget.admit(incoming, bytes);
        if (budget.exceeded && !stoppedForLimit) {
          // The verdict is already fail: end the flood now rather than at the deadline.
          stoppedForLimit = true;
          progress('the trace limit was reached; stopping the install');
          void container.stop({ t: 5 }).catch(() => undefined);
        }
        for (const event of kept) keep(event);
      },
      onStatus: (value) => {
        status = value;
        statusAt = performance.now();
      },
      onExport: (tar) => {
        if (stageIn === null) {
          tar.resume();
          return;
        }
        progress('exporting node_modules');
        exportJob = (async () => {
          const dir = await mkdtemp(join(stageIn, STAGING_PREFIX));
          const tree = join(dir, 'tree');
          try {
            await mkdir(tree);
            // Everything in the export was on the sandbox's HOME, a tmpfs of `homeBytes`: a stream
            // claiming more (a sparse file read at its apparent size) would be amplified onto the host.
            const bound = Math.min(limits.homeBytes, DEFAULT_EXTRACT_LIMITS.maxTotalBytes);
            const extract = await extractSafely(tar, {
              target: tree,
              scope: options.scope ?? { folders: new Set(['']), projectFiles: false },
              symlinkRootLevels: 0,
              limits: { maxTotalBytes: bound, maxFileBytes: Math.min(bound, DEFAULT_EXTRACT_LIMITS.maxFileBytes) },
            });
            return { dir, tree, extract };
          } catch (error) {
            tar.resume();
            await rm(dir, { recursive: true, force: true });
            throw error;
          }
        })();
        exportJob.catch(() => undefined);
      },
      onExportEnd: (result) => {
        exportResult = result;
        // From the install's end (its status) to the last byte of node_modules out of the sandbox.
        if (statusAt !== null) timings['export-stream'] = Math.round(performance.now() - statusAt);
      },
      onRunnerError: (message) => {
        runnerError = message;
      },
      onBadLine: () => {
        badLines += 1;
      },
    });
    const streamEnded = new Promise<void>((resolve) => {
      stdout.on('data', (chunk: Buffer) => {
        if (!channel.push(chunk)) {
          stream.pause();
          void channel.drained().then(() => stream.resume());
        }
      });
      stdout.on('end', resolve);
      stream.on('end', () => stdout.end());
      stream.on('close', () => stdout.end());
    });

    let timedOut = false;
    let startHung = false;
    const exited = await timed('run', async () => {
      const startAt = performance.now();
      containerStartWall = Date.now();
      if ((await untilDeadline(untilEnd(), container.start())) === LATE) {
        startHung = true;
        return null;
      }
      timings['container-start'] = Math.round(performance.now() - startAt);
      progress(`uploading ${options.upload.length} files`);
      packFiles(options.upload, { uid: INSTALL_UID, gid: INSTALL_GID }, options.directoryModes).pipe(stream as unknown as NodeJS.WritableStream);
      progress(job.steps.length === 1 ? `running \`${job.steps[0]!.command.join(' ')}\` in the sandbox` : `running ${job.steps.map((step) => `${step.phase} (\`${step.command.join(' ')}\`)`).join(', ')} in the sandbox`);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), untilEnd());
      });
      // The gateway must come up; if it cannot, the run is over (the sandbox would wait for it).
      // The deadline covers that wait too: a gateway that never answers is a timeout, not a hang.
      if (gateway && (await Promise.race([gateway.ready.then(() => 'ready' as const), deadline])) === 'timeout') {
        clearTimeout(timer);
        throw new SafeInstallError('GATEWAY_TIMEOUT', 'infrastructure', `the gateway did not start within ${Math.round(options.timeoutMs / 1000)} s`);
      }
      const waited = container.wait() as Promise<{ StatusCode: number }>;
      const outcome = await Promise.race([waited, deadline]);
      clearTimeout(timer);
      const exitedAt = performance.now();
      if (outcome === 'timeout') {
        timedOut = true;
        progress(`the install did not finish within ${Math.round(options.timeoutMs / 1000)} s; stopping it`);
        // SIGTERM lets the runner end the install and send what it has; SIGKILL if it cannot. An
        // engine call that hangs must not hold the run past the deadline: the container is removed
        // (force) in the finally below either way.
        await within(graceLeft(), container.stop({ t: 5 }).then(() => waited));
      }
      // The output can end a little after the exit is reported; never wait for it forever.
      await Promise.race([streamEnded, new Promise((resolve) => setTimeout(resolve, timedOut ? Math.min(5000, graceLeft()) : 5000).unref())]);
      timings['output-drain'] = Math.round(performance.now() - exitedAt);
      channel.end();
      return outcome === 'timeout' ? null : outcome.StatusCode;
    });
    if (startHung) {
      channel.end();
      return engineHung('starting the sandbox container', events);
    }
    if (status) timings['runner'] = Object.values((status as RunnerStatus).timings).reduce((a, b) => a + b, 0);

    // The export's last files land while the gateway stops and hands over its events. A gateway
    // that does not hand them over in time leaves a hole in the trace, and says so. A failed
    // export is kept as a reason, never thrown: the run is judged first.
    let exportError: string | null = null;
    const [staged, stoppedEvents] = await Promise.all([
      exportJob
        ? timed('export', () => exportJob!).catch((error: unknown) => {
            exportError = (error as Error).message;
            return null;
          })
        : null,
      gateway
        ? timed('gateway-stop', async () => {
            const handed = await within(timedOut ? graceLeft() : 30_000, gateway!.stop());
            if (handed.settled) return handed.value;
            return [sandboxNotice('gap-gateway', Date.now(), `${TRACE_GAP_NOTICE} the gateway did not hand over its events within 30 s`)];
          })
        : [],
    ]);
    if (gateway) {
      // The gateway's events count against the same limit (a DNS flood is events too).
      // Each gateway event in the step that was running when it came (a job of one step: that step).
      const phaseOf = (ts: number) => (job.steps.length === 1 ? job.steps[0]!.phase : (steps.phaseAt(ts) ?? job.steps[0]!.phase));
      for (const event of stoppedEvents) for (const admitted of budget.admit(event, JSON.stringify(event).length)) keep(admitted.source !== 'gateway' ? admitted : { ...admitted, phase: phaseOf(admitted.ts) });
    }
    const ended = exportResult as { ok: boolean; error?: string } | null;
    const wanted = stageIn !== null && !timedOut && (status as RunnerStatus | null)?.exitCode === 0;
    let kept: StagedExport | null = staged;
    if (exportError === null && wanted && !ended?.ok) {
      exportError = ended ? `the sandbox could not send it: ${ended.error ?? 'unknown error'}` : 'the stream from the sandbox ended before the export did';
    }
    if (exportError !== null) {
      if (kept) await rm(kept.dir, { recursive: true, force: true });
      kept = null;
    }
    if (badLines > 0) {
      // Lines of the event stream that were not events: whatever they held is not judged.
      keep(sandboxNotice('gap-1', Date.now(), `${TRACE_GAP_NOTICE} ${badLines} line(s) of the event stream could not be read`, undefined, badLines));
    }
    const finalStatus = status as RunnerStatus | null;
    return {
      runId,
      exitCode: timedOut ? null : (finalStatus?.exitCode ?? exited),
      timedOut,
      traceLimitReached: budget.exceeded,
      events,
      status: finalStatus,
      staged: kept,
      exportError,
      runnerError: timedOut ? null : runnerError,
      timings,
    };
  } finally {
    // Bounded: a hung engine must not keep the run from its verdict (the label sweep of the next
    // run removes what is left).
    await timed('remove', () => within(Math.min(15_000, graceLeft()), container.remove({ force: true, v: true })));
  }
  }
}
