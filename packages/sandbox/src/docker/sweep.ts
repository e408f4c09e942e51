/**
 * Leftovers of runs that died without cleaning up (kill -9 of the orchestrator, a power cut) are
 * found by label and removed at the start of the next run. Only runs that are certainly dead are
 * touched: started on this host by a process that no longer exists. A concurrent live run — on
 * this host or another host sharing the engine — is never touched.
 */
import { hostname } from 'node:os';
import type Docker from 'dockerode';
import { LABEL_OWNER_HOST, LABEL_OWNER_PID, LABEL_RUN, LABEL_TOOL } from './labels.js';

export interface SweepResult {
  containers: string[];
  volumes: string[];
}

/** Is a process with this pid alive on this host? EPERM means it exists but is not ours. */
export function processAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Pure: which labelled resources belong to dead runs of this host. */
export function deadRuns(labelSets: ReadonlyArray<Record<string, string> | undefined>, host: string, alive: (pid: number) => boolean): Set<string> {
  const dead = new Set<string>();
  for (const labels of labelSets) {
    if (!labels || labels[LABEL_TOOL] !== 'safe-install') continue;
    const run = labels[LABEL_RUN];
    if (!run || labels[LABEL_OWNER_HOST] !== host) continue;
    if (!alive(Number(labels[LABEL_OWNER_PID]))) dead.add(run);
  }
  return dead;
}

interface Labelled {
  containers: Docker.ContainerInfo[];
  volumes: Docker.VolumeInspectInfo[];
}

async function listLabelled(docker: Docker, labels: string[]): Promise<Labelled> {
  const filters = { label: [`${LABEL_TOOL}=safe-install`, ...labels] };
  return {
    containers: await docker.listContainers({ all: true, filters }),
    volumes: (await docker.listVolumes({ filters })).Volumes ?? [],
  };
}

async function removeAll(docker: Docker, { containers, volumes }: Labelled): Promise<SweepResult> {
  for (const container of containers) await docker.getContainer(container.Id).remove({ force: true, v: true }).catch(() => undefined);
  for (const volume of volumes) await docker.getVolume(volume.Name).remove().catch(() => undefined);
  return { containers: containers.map((c) => c.Id), volumes: volumes.map((v) => v.Name) };
}

export async function sweepStale(docker: Docker, options: { host?: string; alive?: (pid: number) => boolean } = {}): Promise<SweepResult> {
  const { containers, volumes } = await listLabelled(docker, []);
  // Decide over containers and volumes together: a run is dead or alive as a whole.
  const dead = deadRuns([...containers.map((c) => c.Labels), ...volumes.map((v) => v.Labels)], options.host ?? hostname(), options.alive ?? processAlive);
  const ofDeadRun = (labels: Record<string, string> | null | undefined) => dead.has(labels?.[LABEL_RUN] ?? '');
  return removeAll(docker, { containers: containers.filter((c) => ofDeadRun(c.Labels)), volumes: volumes.filter((v) => ofDeadRun(v.Labels)) });
}

/**
 * Remove every container and volume this process created (its runs' label `owner-pid`). For an
 * interrupt: whatever state the run was in, nothing of it stays behind.
 */
export async function removeOwnedBy(docker: Docker, pid: number = process.pid, host: string = hostname()): Promise<SweepResult> {
  return removeAll(docker, await listLabelled(docker, [`${LABEL_OWNER_PID}=${pid}`, `${LABEL_OWNER_HOST}=${host}`]));
}
