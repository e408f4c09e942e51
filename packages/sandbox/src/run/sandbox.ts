/**
 * A sandbox's lifecycle (testcontainers' model): `openSandbox` makes the gateway, its volumes and a
 * hardened container whose PID 1 only holds it open; `run` runs one job in it — the runner, exec'd
 * with the job on its command line and the upload on its stdin — and can be called again for the
 * next job in the same container; `stop` and `abort` remove everything, are idempotent, and
 * `await using` does the same.
 *
 * Every engine call is bounded: an engine that stops answering costs a run at most its deadline
 * plus CLEANUP_GRACE_MS, and whatever it left is labelled and swept by the next run. What a job
 * exports is staged beside the project; nothing in the project changes here.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { PassThrough, type Readable } from 'node:stream';
import type Docker from 'dockerode';
import { SafeInstallError, TRACE_GAP_NOTICE, gapSample, validateJob, type SandboxJob, type TraceEvent } from '@safe-install/schema';
import type { RunnerStatus } from '@safe-install/runner';
import { packFiles, type ArchiveFile } from '../transfer/pack-files.js';
import { readTarFiles, type TarFile } from '../transfer/package-tarball.js';
import { StepClock } from './step-phases.js';
import { DEFAULT_EXTRACT_LIMITS, extractSafely, type ExportScope } from '../transfer/extract-safely.js';
import { STAGING_PREFIX, type StagedExport } from '../transfer/swap-in.js';
import { LABEL_OWNER_HOST, LABEL_OWNER_PID, LABEL_ROLE, LABEL_RUN, LABEL_STARTED, LABEL_TOOL, LABEL_VERSION, TOOL_VERSION } from '../docker/labels.js';
import { RunnerChannel } from './runner-channel.js';
import { outputLines } from './output-lines.js';
import { sandboxNotice, TraceBudget, type TraceLimits } from './trace-budget.js';
import { DEFAULT_LIMITS, INSTALL_GID, INSTALL_UID, RUNNER_PID_FILE, type ResourceLimits } from '../layout.js';
import { runnerExecSpec, sandboxContainerSpec } from '../docker/sandbox-container.js';
import { startGateway, type GatewaySettings, type RunningGateway } from '../docker/gateway-container.js';

/**
 * After a deadline, the engine calls that end a job or a sandbox (stop, the last output, the
 * gateway's events, removal) share this much time; then the run ends with what it has.
 */
export const CLEANUP_GRACE_MS = 10_000;

export interface SandboxOptions {
  docker: Docker;
  image: string;
  /** The container's host name (a plausible one, from the decoys). */
  hostname?: string;
  /**
   * The network: through the gateway (the sandbox then has no network of its own), or none at
   * all. `env` is the npm and proxy environment that points the install at the gateway.
   */
  network: { gateway: GatewaySettings; env: string[] } | 'none';
  /** Extra environment for every job (decoys, CI variables). */
  env?: Record<string, string>;
  limits?: ResourceLimits;
  /** How long opening may take: the engine calls that make and start the container. */
  timeoutMs: number;
  onProgress?: (message: string) => void;
  /**
   * Called at once, before anything is made, with this sandbox's abort: for a signal that comes
   * while it opens (the returned sandbox's `abort` is the same function).
   */
  onAbortHandle?: (abort: () => Promise<void>) => void;
}

export interface SandboxJobRun {
  /** Files placed in the install user's HOME (paths relative to it: `project/package.json`, `.npmrc`). */
  upload: readonly ArchiveFile[];
  /** Modes of uploaded directories that must not be 0755. */
  directoryModes?: ReadonlyMap<string, number>;
  /** Where to stage what comes back (the project root); null: export nothing. */
  stageIn: string | null;
  /** What may come back: the lockfile's package folders' node_modules, and project files. */
  scope?: ExportScope;
  /** What the runner does, step by step (job.ts in the schema). */
  job: SandboxJob;
  timeoutMs: number;
  /** How long a process may outlive its lifecycle script before it is killed. */
  lingerGraceMs?: number;
  /** The job's trace limit (default DEFAULT_TRACE_LIMITS); past it the job is stopped and cannot pass. */
  traceLimits?: TraceLimits;
  /** Every event, as it arrives: write it out now so that a crash loses nothing. */
  onEvent?: (event: TraceEvent) => void;
  onOutput?: (line: string) => void;
  onProgress?: (message: string) => void;
  /**
   * The sandbox's last job: the gateway is stopped before its events are taken, so that none still
   * being written is missed. The sandbox takes no job after it.
   */
  last?: boolean;
}

export interface JobRunResult {
  runId: string;
  /** The job's exit code (its first failed step's); null when it never finished (timeout, crash). */
  exitCode: number | null;
  timedOut: boolean;
  /** The trace passed its limit: the job was stopped and the trace ends there. */
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

export interface StartedSandbox extends AsyncDisposable {
  readonly runId: string;
  /** What opening and (after stop) removing cost, by phase. */
  readonly timings: Record<string, number>;
  /** Run one job in the container; the next job sees what this one left. One job at a time. */
  run(job: SandboxJobRun): Promise<JobRunResult>;
  /** Remove the container, the gateway and the volumes, each bounded (by `withinMs`, default CLEANUP_GRACE_MS). Idempotent. */
  stop(options?: { withinMs?: number }): Promise<void>;
  /** The same, for a signal: safe at any time, also while a job runs. Idempotent. */
  abort(): Promise<void>;
  /**
   * Copy files out of the sandbox (absolute paths, regular files only), read as the install user
   * between jobs: what install code wrote outside its folder, kept as evidence. Bounded in count,
   * bytes and time; a path that is gone or unreadable is left out. Not after `stop`.
   */
  copyOut(paths: readonly string[], limits: CopyOutLimits): Promise<TarFile[]>;
}

export interface CopyOutLimits {
  maxFiles: number;
  maxFileBytes: number;
  maxTotalBytes: number;
  timeoutMs: number;
}

/** The sandbox was aborted (a signal) while it opened; what it had made is removed. */
export class SandboxAbortedError extends Error {
  constructor() {
    super('the sandbox was aborted while it opened');
    this.name = 'SandboxAbortedError';
  }
}

/** Opening did not finish before its deadline: the engine stopped answering at `what`. */
export class EngineHungError extends Error {
  constructor(readonly what: string) {
    super(`the engine did not answer (${what})`);
    this.name = 'EngineHungError';
  }
}

/** Wait for `work` at most `ms`; never rejects (a failure reads as not settled). */
export async function within<T>(ms: number, work: Promise<T>): Promise<{ settled: true; value: T } | { settled: false }> {
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

/** A function that runs work and records how long it took, by phase, in `into` (milliseconds). */
function timer(into: Record<string, number>): <T>(phase: string, work: () => Promise<T>) => Promise<T> {
  return async (phase, work) => {
    const start = performance.now();
    try {
      return await work();
    } finally {
      into[phase] = Math.round(performance.now() - start);
    }
  };
}

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

/** The run when the engine did not answer before the deadline: a timeout, with a gap notice. */
export function engineHungResult(runId: string, what: string, timeoutMs: number, timings: Record<string, number>, events: TraceEvent[] = [], onEvent?: (event: TraceEvent) => void, progress?: (message: string) => void): JobRunResult {
  progress?.(`the engine did not answer (${what}) within ${Math.round(timeoutMs / 1000)} s; giving up`);
  const notice = sandboxNotice('gap-engine', Date.now(), `${TRACE_GAP_NOTICE} the engine did not answer (${what}) before the deadline`);
  events.push(notice);
  onEvent?.(notice);
  return { runId, exitCode: null, timedOut: true, traceLimitReached: false, events, status: null, staged: null, exportError: null, runnerError: null, timings };
}

/** Run a short command of the host's own in the container, as root; its exit code, or null. */
async function execQuietly(container: Docker.Container, cmd: string[]): Promise<number | null> {
  const exec = await container.exec({ Cmd: cmd, User: '0:0', AttachStdout: true, AttachStderr: true });
  const stream = (await exec.start({ hijack: true, stdin: false })) as unknown as Readable;
  await new Promise<void>((resolve) => {
    stream.on('end', resolve).on('close', resolve).on('error', () => resolve());
    stream.resume();
  });
  return (await exec.inspect()).ExitCode ?? null;
}

export async function openSandbox(options: SandboxOptions): Promise<StartedSandbox> {
  const { docker } = options;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const runId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
  const deadlineAt = Date.now() + options.timeoutMs;
  const untilEnd = () => Math.max(0, deadlineAt - Date.now());
  // What opening may still spend on cleaning up after a failure: the grace past its deadline.
  const openGrace = () => Math.min(15_000, Math.max(1000, deadlineAt + CLEANUP_GRACE_MS - Date.now()));
  const timings: Record<string, number> = {};
  const timed = timer(timings);
  const labels = {
    [LABEL_TOOL]: 'safe-install',
    [LABEL_VERSION]: TOOL_VERSION,
    [LABEL_RUN]: runId,
    [LABEL_OWNER_PID]: String(process.pid),
    [LABEL_OWNER_HOST]: hostname(),
    [LABEL_STARTED]: new Date().toISOString(),
  };
  const network = options.network;
  let gateway: RunningGateway | null = null;
  let container: Docker.Container | null = null;
  let closing: Promise<void> | null = null;
  let closed = false;
  let aborted = false;
  /** Everything this sandbox made, each removal bounded; the first call does it, later ones wait for it. */
  const close = (graceMs: number): Promise<void> =>
    (closing ??= (async () => {
      closed = true;
      await timed('remove', async () => {
        // The sandbox first: it mounts the gateway's volumes, which cannot go while it is there.
        if (container) await within(graceMs, container.remove({ force: true, v: true }));
        if (gateway) await within(graceMs + 5000, gateway.remove());
      });
    })());

  const abort = (): Promise<void> => {
    aborted = true;
    return close(CLEANUP_GRACE_MS);
  };
  options.onAbortHandle?.(abort);
  /**
   * After each engine call of opening: an abort that came meanwhile removed what existed then;
   * remove what this call made too, and stop opening.
   */
  const stopIfAborted = async (): Promise<void> => {
    if (!aborted) return;
    closing = null;
    await close(openGrace());
    throw new SandboxAbortedError();
  };

  if (network !== 'none') {
    // Only the volume is made before the sandbox starts; the gateway container starts alongside it.
    gateway = await timed('gateway-volume', () => startGateway(docker, { image: options.image, runId, labels: { ...labels, [LABEL_ROLE]: 'gateway' }, settings: network.gateway }));
    await stopIfAborted();
    const startedAt = performance.now();
    void gateway.ready.then(
      () => (timings['gateway-start'] = Math.round(performance.now() - startedAt)),
      () => undefined,
    );
  }
  const creating = docker.createContainer(
    sandboxContainerSpec({
      image: options.image,
      runId,
      hostname: options.hostname,
      env: [...(network === 'none' ? [] : network.env), ...Object.entries(options.env ?? {}).map(([key, value]) => `${key}=${value}`)],
      labels: { ...labels, [LABEL_ROLE]: 'sandbox' },
      limits,
      gatewayVolume: gateway?.volume ?? null,
      trustVolume: gateway?.trustVolume ?? null,
    }),
  );
  const created = await timed('create', () => untilDeadline(untilEnd(), creating)).catch(async (error: unknown) => {
    await close(openGrace());
    throw error;
  });
  if (created === LATE) {
    // It may still appear: remove it then (or the next run's sweep will).
    void creating.then((late) => late.remove({ force: true, v: true })).catch(() => undefined);
    await close(openGrace());
    throw new EngineHungError('creating the sandbox container');
  }
  container = created;
  await stopIfAborted();
  const startAt = performance.now();
  const started = await untilDeadline(untilEnd(), created.start()).catch(async (error: unknown) => {
    await close(openGrace());
    throw error;
  });
  if (started === LATE) {
    await close(openGrace());
    throw new EngineHungError('starting the sandbox container');
  }
  timings['container-start'] = Math.round(performance.now() - startAt);
  await stopIfAborted();
  let busy = false;

  return {
    runId,
    timings,
    run: async (jobRun) => {
      if (closed || aborted) throw new Error('this sandbox was stopped; open a new one');
      if (busy) throw new Error('a sandbox runs one job at a time');
      busy = true;
      try {
        return await runJob(jobRun);
      } finally {
        busy = false;
      }
    },
    stop: (stopOptions) => close(stopOptions?.withinMs ?? CLEANUP_GRACE_MS),
    abort,
    copyOut: async (paths, copyLimits) => {
      if (closing || aborted) throw new Error('this sandbox was stopped');
      if (busy) throw new Error('a sandbox runs one job at a time');
      const wanted = paths.filter((path) => path.startsWith('/')).slice(0, copyLimits.maxFiles);
      if (wanted.length === 0) return [];
      busy = true;
      try {
        // As the install user: it reads what install code could read, nothing of root's.
        const exec = await created.exec({ Cmd: ['tar', '-c', '-f', '-', '--no-recursion', '--', ...wanted], User: `${INSTALL_UID}:${INSTALL_GID}`, AttachStdout: true, AttachStderr: true });
        const stream = (await exec.start({ hijack: true, stdin: false })) as unknown as Readable;
        const stdout = new PassThrough();
        const stderr = new PassThrough();
        docker.modem.demuxStream(stream, stdout, stderr);
        stderr.resume();
        stream.on('end', () => stdout.end()).on('close', () => stdout.end()).on('error', () => stdout.end());
        const read = await within(copyLimits.timeoutMs, readTarFiles(stdout, copyLimits));
        if (!read.settled) stream.destroy();
        return read.settled ? read.value : [];
      } finally {
        busy = false;
      }
    },
    [Symbol.asyncDispose]: () => close(CLEANUP_GRACE_MS),
  };

  async function runJob(options: SandboxJobRun): Promise<JobRunResult> {
    const sandbox = created as Docker.Container;
    const jobTimings: Record<string, number> = {};
    const jobTimed = timer(jobTimings);
    const progress = options.onProgress ?? (() => undefined);
    // Checked here too, so that a bad job fails before anything runs (the runner checks it again).
    const job = validateJob(options.job);
    const jobDeadline = Date.now() + options.timeoutMs;
    const jobLeft = () => Math.max(0, jobDeadline - Date.now());
    const graceLeft = () => Math.max(1000, jobDeadline + CLEANUP_GRACE_MS - Date.now());
    const hung = (what: string, events: TraceEvent[] = []) => engineHungResult(runId, what, options.timeoutMs, jobTimings, events, options.onEvent, progress);

    const events: TraceEvent[] = [];
    const budget = new TraceBudget(options.traceLimits);
    let stoppedForLimit = false;
    // When each step began, from the runner's events: the gateway's events are put in theirs.
    const steps = new StepClock();
    let jobStartWall: number | null = null;
    const keep = (event: TraceEvent) => {
      events.push(event);
      if (event.source !== 'gateway') steps.observe(event);
      // Sandbox latency: from asking the engine to start the job to the first script.
      if (event.type === 'script' && event.action === 'start' && jobStartWall !== null && jobTimings['start-to-first-script'] === undefined) {
        jobTimings['start-to-first-script'] = Math.max(0, Math.round(event.ts - jobStartWall));
      }
      options.onEvent?.(event);
    };
    /**
     * End the job early, keeping what it saw: SIGTERM to its runner, which ends the install and
     * sends what it has; if that cannot be asked (an engine or a container out of pids), the
     * container is stopped, and the sandbox with it.
     */
    let stopping: Promise<void> | null = null;
    const stopJob = () =>
      (stopping ??= (async () => {
        const asked = await within(Math.min(3000, graceLeft()), execQuietly(sandbox, ['/bin/sh', '-c', `kill -TERM "$(cat ${RUNNER_PID_FILE})"`]));
        if (asked.settled && asked.value === 0) return;
        await within(graceLeft(), sandbox.stop({ t: 5 }));
      })());

    let status: RunnerStatus | null = null;
    let runnerError: string | null = null;
    let badLines = 0;
    let badLineSample: string | null = null;
    let exportJob: Promise<StagedExport> | null = null;
    let exportResult: { ok: boolean; error?: string } | null = null;
    let statusAt: number | null = null;
    const stageIn = options.stageIn;

    jobStartWall = Date.now();
    const exec = await untilDeadline(jobLeft(), sandbox.exec(runnerExecSpec({ job, lingerGraceMs: options.lingerGraceMs ?? 2000, gateway: gateway !== null })));
    if (exec === LATE) return hung('starting the job in the sandbox');
    const attached = await untilDeadline(jobLeft(), exec.start({ hijack: true, stdin: true }));
    if (attached === LATE) return hung('attaching to the job in the sandbox', events);
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
          void stopJob();
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
        if (statusAt !== null) jobTimings['export-stream'] = Math.round(performance.now() - statusAt);
      },
      onRunnerError: (message) => {
        runnerError = message;
      },
      onBadLine: (line) => {
        badLines += 1;
        badLineSample ??= line;
      },
    });
    let ended = false;
    const streamEnded = new Promise<void>((resolve) => {
      const done = () => {
        ended = true;
        stdout.end();
        resolve();
      };
      stdout.on('data', (chunk: Buffer) => {
        if (!channel.push(chunk)) {
          stream.pause();
          void channel.drained().then(() => stream.resume());
        }
      });
      stream.on('end', done);
      stream.on('close', done);
      stream.on('error', done);
    });

    let timedOut = false;
    const exitCode = await jobTimed('run', async () => {
      progress(`uploading ${options.upload.length} files`);
      packFiles(options.upload, { uid: INSTALL_UID, gid: INSTALL_GID }, options.directoryModes).pipe(stream as unknown as NodeJS.WritableStream);
      progress(job.steps.length === 1 ? `running \`${job.steps[0]!.command.join(' ')}\` in the sandbox` : `running ${job.steps.map((step) => `${step.phase} (\`${step.command.join(' ')}\`)`).join(', ')} in the sandbox`);
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), jobLeft());
      });
      // The gateway must come up; if it cannot, the run is over (the sandbox would wait for it).
      // The deadline covers that wait too: a gateway that never answers is a timeout, not a hang.
      if (gateway && (await Promise.race([gateway.ready.then(() => 'ready' as const), deadline])) === 'timeout') {
        clearTimeout(timer);
        throw new SafeInstallError('GATEWAY_TIMEOUT', 'infrastructure', `the gateway did not start within ${Math.round(options.timeoutMs / 1000)} s`);
      }
      // The job ends when its runner does: the exec's stream ends with it.
      const outcome = await Promise.race([streamEnded.then(() => 'ended' as const), deadline]);
      clearTimeout(timer);
      const endedAt = performance.now();
      if (outcome === 'timeout') {
        timedOut = true;
        progress(`the install did not finish within ${Math.round(options.timeoutMs / 1000)} s; stopping it`);
        await stopJob();
        // The runner sends what it has, then ends; never wait for it forever.
        await Promise.race([streamEnded, new Promise((resolve) => setTimeout(resolve, Math.min(5000, graceLeft())).unref())]);
      }
      jobTimings['output-drain'] = Math.round(performance.now() - endedAt);
      channel.end();
      if (timedOut || !ended) return null;
      const inspected = await within(Math.min(5000, graceLeft()), exec.inspect());
      return inspected.settled ? (inspected.value.ExitCode ?? null) : null;
    });
    if (status) jobTimings['runner'] = Object.values((status as RunnerStatus).timings).reduce((a, b) => a + b, 0);

    // The export's last files land while the gateway hands over its events. A gateway that does
    // not hand them over in time leaves a hole in the trace, and says so. A failed export is kept
    // as a reason, never thrown: the run is judged first.
    let exportError: string | null = null;
    const [staged, gatewayEvents] = await Promise.all([
      exportJob
        ? jobTimed('export', () => exportJob!).catch((error: unknown) => {
            exportError = (error as Error).message;
            return null;
          })
        : null,
      gateway
        ? jobTimed(options.last ? 'gateway-stop' : 'gateway-collect', async () => {
            const handed = await within(timedOut ? graceLeft() : 30_000, options.last ? gateway!.stop() : gateway!.collect());
            if (handed.settled) return handed.value;
            return [sandboxNotice('gap-gateway', Date.now(), `${TRACE_GAP_NOTICE} the gateway did not hand over its events within 30 s`)];
          })
        : [],
    ]);
    if (options.last) closed = true;
    if (gateway) {
      // The gateway's events count against the same limit (a DNS flood is events too).
      // Each gateway event in the step that was running when it came (a job of one step: that step).
      const phaseOf = (ts: number) => (job.steps.length === 1 ? job.steps[0]!.phase : (steps.phaseAt(ts) ?? job.steps[0]!.phase));
      for (const event of gatewayEvents) for (const admitted of budget.admit(event, JSON.stringify(event).length)) keep(admitted.source !== 'gateway' ? admitted : { ...admitted, phase: phaseOf(admitted.ts) });
    }
    const exportEnd = exportResult as { ok: boolean; error?: string } | null;
    const wanted = stageIn !== null && !timedOut && (status as RunnerStatus | null)?.exitCode === 0;
    let kept: StagedExport | null = staged;
    if (exportError === null && wanted && !exportEnd?.ok) {
      exportError = exportEnd ? `the sandbox could not send it: ${exportEnd.error ?? 'unknown error'}` : 'the stream from the sandbox ended before the export did';
    }
    if (exportError !== null) {
      if (kept) await rm(kept.dir, { recursive: true, force: true });
      kept = null;
    }
    if (badLines > 0) {
      // Lines of the event stream that were not events: whatever they held is not judged.
      keep(sandboxNotice('gap-1', Date.now(), `${TRACE_GAP_NOTICE} ${badLines} line(s) of the event stream could not be read${gapSample(badLineSample)}`, undefined, badLines));
    }
    const finalStatus = status as RunnerStatus | null;
    return {
      runId,
      exitCode: timedOut ? null : (finalStatus?.exitCode ?? exitCode),
      timedOut,
      traceLimitReached: budget.exceeded,
      events,
      status: finalStatus,
      staged: kept,
      exportError,
      runnerError: timedOut ? null : runnerError,
      timings: jobTimings,
    };
  }
}
