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
  runInstall,
  sweepStale,
  type InstallRunOptions,
  type InstallRunResult,
} from '@safe-install/sandbox';

/** One install in a fresh sandbox: runInstall's options, without the engine's client. */
export type SandboxInstall = Omit<InstallRunOptions, 'docker' | 'onContainer'>;

export interface SandboxEngine {
  /** Connect, make sure the sandbox image is there, and sweep what runs that died left behind. */
  prepare(base: string | undefined): Promise<{ image: string; swept: { containers: number; volumes: number } }>;
  /** Run one install (see runInstall: never throws for a failed export; the run is judged first). */
  install(options: SandboxInstall): Promise<InstallRunResult>;
  /**
   * Remove everything this process's runs created: the sandbox container (even one still being
   * created), the gateway and the volume. Idempotent; safe to call at any time, from a signal.
   */
  abort(): Promise<void>;
}

/** The Docker engine: connected on first use. */
export function dockerEngine(): SandboxEngine {
  let docker: Docker | null = null;
  let container: Docker.Container | null = null;
  let aborted = false;
  let aborting: Promise<void> | null = null;
  const removeContainer = (target: Docker.Container) => target.remove({ force: true, v: true }).then(() => undefined, () => undefined);
  return {
    async prepare(base) {
      const engine = await connectEngine();
      docker = engine.docker;
      const image = await requireSandboxImage(docker, base ?? DEFAULT_BASE_IMAGE);
      const swept = await sweepStale(docker);
      return { image, swept: { containers: swept.containers.length, volumes: swept.volumes.length } };
    },
    async install(options) {
      if (docker === null) throw new Error('dockerEngine: prepare() first');
      return runInstall({
        ...options,
        docker,
        onContainer: (created) => {
          container = created;
          // A signal that came while the container was being created: remove it now.
          if (aborted) void removeContainer(created);
        },
      });
    },
    abort() {
      aborted = true;
      aborting ??= (async () => {
        if (container) await removeContainer(container);
        // The gateway and the run's volume too: everything labelled as this process's.
        if (docker) await removeOwnedBy(docker).catch(() => undefined);
      })();
      return aborting;
    },
  };
}
