/**
 * The gateway's container: the sandbox's only way out. It runs the gateway from the sandbox image
 * on the default bridge (it must reach the registry), holds the real registry credentials, and
 * listens on a unix socket in a per-run volume that only root in the sandbox (the runner's
 * forwarder) can reach. Its events are collected when it stops.
 *
 * When a registry is known by https, a second per-run volume carries the sandbox's trust store: the
 * gateway writes the image's /etc/ssl/certs into it with the run's CA appended to the bundle (the
 * CA's key stays in the gateway), and the sandbox mounts it read-only at /etc/ssl/certs.
 */
import { randomBytes } from 'node:crypto';
import type { Readable } from 'node:stream';
import type Docker from 'dockerode';
import { extract } from 'tar-stream';
import { SafeInstallError, type TraceEvent } from '@safe-install/schema';
import type { GatewayConfig } from '@safe-install/gateway';
import { GATEWAY_PATHS, SANDBOX_NETWORK } from '../layout.js';
import { packFiles } from '../transfer/pack-files.js';
import { parseEventLines } from '../run/event-lines.js';
import { getArchive, putArchive } from './container-io.js';
import { LABEL_RUN, LABEL_TOOL, LABEL_VERSION, TOOL_VERSION } from './labels.js';

export { GATEWAY_PATHS };

/** Mount the volume as it is (dockerode's type wants the fields of a volume made on the fly too). */
const NO_COPY = { NoCopy: true } as NonNullable<Docker.MountSettings['VolumeOptions']>;

/** Persistent across runs: tarballs by integrity, packuments by URL. */
export const REGISTRY_CACHE_VOLUME = 'safe-install-registry-cache';

export type GatewaySettings = Omit<GatewayConfig, 'socketDir' | 'eventsFile' | 'cacheDir' | 'limits' | 'sinkAddress' | 'advertisedOrigin' | 'trustStore'>;

export interface RunningGateway {
  /** The per-run volume holding the socket; mount it at GATEWAY_PATHS.socketDir in the sandbox. */
  volume: string;
  /** The trust store's volume when a registry is known by https (mount it read-only at GATEWAY_PATHS.trustStore), else null. */
  trustVolume: string | null;
  /**
   * Resolves once the gateway listens. The sandbox need not wait for it: the forwarder waits for
   * the gateway's socket, so the two containers start side by side.
   */
  ready: Promise<void>;
  /**
   * The events written since the last collect, while the gateway runs: complete lines only (a
   * line being written is taken by the next collect, or by stop). For a sandbox running several jobs.
   */
  collect(): Promise<TraceEvent[]>;
  /** Stop the gateway and return the events not collected yet. */
  stop(): Promise<TraceEvent[]>;
  /** Remove the container and the per-run volume (idempotent). */
  remove(): Promise<void>;
}

async function ensureCacheVolume(docker: Docker): Promise<void> {
  try {
    await docker.getVolume(REGISTRY_CACHE_VOLUME).inspect();
  } catch {
    await docker.createVolume({ Name: REGISTRY_CACHE_VOLUME, Labels: { [LABEL_TOOL]: 'safe-install', [LABEL_VERSION]: TOOL_VERSION } });
  }
}

async function readEventBytes(archive: Readable): Promise<Buffer> {
  const extractor = extract();
  archive.pipe(extractor as unknown as NodeJS.WritableStream);
  const chunks: Buffer[] = [];
  for await (const entry of extractor) for await (const chunk of entry as AsyncIterable<Buffer>) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Wait for the gateway's `{"ready":true}` line; fail with its output if it exits first. */
async function waitReady(container: Docker.Container, timeoutMs: number): Promise<void> {
  const started = Date.now();
  for (;;) {
    const logs = (await container.logs({ stdout: true, stderr: true })) as unknown as Buffer;
    const text = logs.toString('utf8');
    if (text.includes('"ready":true')) return;
    const state = (await container.inspect()).State;
    if (!state.Running || Date.now() - started > timeoutMs) {
      throw new SafeInstallError('GATEWAY_FAILED', 'infrastructure', `the network gateway did not start: ${text.replace(/[\x00-\x08]/g, '').trim().slice(-500) || `state ${state.Status}`}`);
    }
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

export async function startGateway(
  docker: Docker,
  options: { image: string; runId: string; labels: Record<string, string>; settings: GatewaySettings },
): Promise<RunningGateway> {
  await ensureCacheVolume(docker);
  const volume = `safe-install-gw-${options.runId}`;
  await docker.createVolume({ Name: volume, Labels: options.labels });
  // The sandbox sees the trust store's mount source in /proc/self/mountinfo: a name like Docker's
  // own for an anonymous volume, not the tool's. The labels (not visible inside) mark it as the run's.
  const https = options.settings.registries.some((registry) => registry.advertised?.startsWith('https:'));
  const trustVolume = https ? randomBytes(32).toString('hex') : null;
  if (trustVolume) await docker.createVolume({ Name: trustVolume, Labels: options.labels });
  const config: Partial<GatewayConfig> = {
    ...options.settings,
    socketDir: GATEWAY_PATHS.socketDir,
    eventsFile: GATEWAY_PATHS.eventsFile,
    cacheDir: GATEWAY_PATHS.cacheDir,
    // Every DNS answer points here, where the forwarder's sink listens (see the forwarder).
    sinkAddress: SANDBOX_NETWORK.sink.host,
    advertisedOrigin: SANDBOX_NETWORK.proxyOrigin,
    ...(trustVolume ? { trustStore: { from: GATEWAY_PATHS.trustStore, into: GATEWAY_PATHS.trustStoreWrite, bundle: GATEWAY_PATHS.trustBundle } } : {}),
  };
  let container: Docker.Container | null = null;
  const ready = (async () => {
    container = await docker.createContainer({
      Image: options.image,
      name: `safe-install-gw-${options.runId}`,
      Entrypoint: ['node', GATEWAY_PATHS.entry],
      Cmd: [],
      User: '0:0',
      Env: [`SAFE_INSTALL_GATEWAY_CONFIG_FILE=${GATEWAY_PATHS.configFile}`],
      Labels: options.labels,
      HostConfig: {
        // Root only to own the socket the sandbox's root forwarder connects to; no capabilities.
        CapDrop: ['ALL'],
        SecurityOpt: ['no-new-privileges'],
        NetworkMode: 'bridge',
        Memory: 1024 ** 3,
        PidsLimit: 256,
        Mounts: [
          { Type: 'volume', Source: volume, Target: GATEWAY_PATHS.socketDir },
          { Type: 'volume', Source: REGISTRY_CACHE_VOLUME, Target: GATEWAY_PATHS.cacheDir },
          // Empty until the gateway writes it: Docker must not fill it from the image on its own.
          ...(trustVolume ? [{ Type: 'volume' as const, Source: trustVolume, Target: GATEWAY_PATHS.trustStoreWrite, VolumeOptions: NO_COPY }] : []),
        ],
      },
    });
    await putArchive(container, packFiles([{ path: GATEWAY_PATHS.configFile.slice(1), content: JSON.stringify(config), mode: 0o600 }], { uid: 0, gid: 0 }), '/');
    await container.start();
    await waitReady(container, 30_000);
  })();
  ready.catch(() => undefined);
  const remove = async () => {
    // A container still being created would escape a removal that did not wait for it.
    await ready.catch(() => undefined);
    await container?.remove({ force: true, v: true }).catch(() => undefined);
    await docker.getVolume(volume).remove().catch(() => undefined);
    if (trustVolume) await docker.getVolume(trustVolume).remove().catch(() => undefined);
  };
  // Bytes of the events file already handed over (collect, then stop, read on from there).
  let handed = 0;
  const take = async (started: Docker.Container, whole: boolean): Promise<TraceEvent[]> => {
    const archive = await getArchive(started, GATEWAY_PATHS.eventsFile);
    if (!archive) return [];
    const bytes = await readEventBytes(archive);
    const end = whole ? bytes.length : bytes.lastIndexOf(0x0a) + 1;
    if (end <= handed) return [];
    const fresh = bytes.subarray(handed, end);
    handed = end;
    return parseEventLines(fresh.toString('utf8'));
  };
  return {
    volume,
    trustVolume,
    ready,
    collect: async () => {
      await ready.catch(() => undefined);
      return container === null ? [] : take(container, false);
    },
    stop: async () => {
      await ready.catch(() => undefined);
      if (container === null) return [];
      const started: Docker.Container = container;
      await started.stop({ t: 5 }).catch(() => undefined);
      return take(started, true);
    },
    remove,
  };
}
