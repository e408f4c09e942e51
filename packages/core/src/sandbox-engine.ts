/**
 * The sandbox-engine seam: what the pipeline needs from wherever sandboxes run. The real one is
 * Docker (`dockerEngine`); the pipeline's unit tests use a fake that returns a scripted run. The
 * CLI never sees the engine's client: it asks the pipeline, and the pipeline asks this.
 */
import type Docker from 'dockerode';
import {
  DEFAULT_BASE_IMAGE,
  connectEngine,
  removeOwnedBy,
  requireSandboxImage,
  openSandbox,
  runInstall,
  sweepStale,
  type InstallRunOptions,
  type SandboxOptions,
  type StartedSandbox,
  type InstallRunResult,
} from '@safe-install/sandbox';

/** One install in a fresh sandbox: runInstall's options, without the engine's client. */
export type SandboxInstall = Omit<InstallRunOptions, 'docker' | 'onAbortHandle'>;
/** A sandbox for several jobs: openSandbox's options, without the engine's client. */
export type SandboxOpen = Omit<SandboxOptions, 'docker' | 'onAbortHandle'>;

export interface SandboxEngine {
  /** Connect, make sure the sandbox image is there, and sweep what runs that died left behind. */
  prepare(base: string | undefined): Promise<{ image: string; swept: { containers: number; volumes: number } }>;
  /** Run one install (see runInstall: never throws for a failed export; the run is judged first). */
  install(options: SandboxInstall): Promise<InstallRunResult>;
  /** Open a sandbox that runs several jobs in one container (see openSandbox); stop it when done. */
  open(options: SandboxOpen): Promise<StartedSandbox>;
  /**
   * Abort every sandbox this engine opened (also one still opening): each removes its container,
   * gateway and volumes. Idempotent; safe to call at any time, from a signal.
   */
  abort(): Promise<void>;
}

export interface DockerEngineOptions {
  /**
   * The engine's address, as DOCKER_HOST takes it (`unix://…`, `tcp://…`, `ssh://user@host`):
   * Docker's own transports, so a batch can spread over several engines with no agent of ours.
   * Default: the one `connectEngine` finds (DOCKER_HOST, then the usual sockets).
   */
  host?: string;
}

/** The Docker engine: connected on first use. */
export function dockerEngine(options: DockerEngineOptions = {}): SandboxEngine {
  let docker: Docker | null = null;
  // Each sandbox's own abort, handed over before it makes anything.
  const aborts = new Set<() => Promise<void>>();
  let aborted = false;
  let aborting: Promise<void> | null = null;
  const connected = (): Docker => {
    if (docker === null) throw new Error('dockerEngine: prepare() first');
    return docker;
  };
  const onAbortHandle = (abort: () => Promise<void>) => {
    aborts.add(abort);
    // A signal that came before this sandbox began: it ends before it makes anything.
    if (aborted) void abort();
  };
  return {
    async prepare(base) {
      const engine = await connectEngine(options.host === undefined ? process.env : { ...process.env, DOCKER_HOST: options.host });
      docker = engine.docker;
      const image = await requireSandboxImage(docker, base ?? DEFAULT_BASE_IMAGE);
      const swept = await sweepStale(docker);
      return { image, swept: { containers: swept.containers.length, volumes: swept.volumes.length } };
    },
    install: (options) => runInstall({ ...options, docker: connected(), onAbortHandle }),
    open: (options) => openSandbox({ ...options, docker: connected(), onAbortHandle }),
    abort() {
      aborted = true;
      aborting ??= (async () => {
        await Promise.all([...aborts].map((abort) => abort()));
        // Whatever a sandbox made after its abort (an engine call that answered late) is labelled
        // as this process's: remove that too.
        if (docker) await removeOwnedBy(docker).catch(() => undefined);
      })();
      return aborting;
    },
  };
}
