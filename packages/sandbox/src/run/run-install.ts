/**
 * One install in a fresh sandbox container: create, upload, start, follow, wait (with a deadline),
 * collect the trace and the node_modules tree, and always remove the container.
 *
 * The result is staged beside the project; nothing in the project changes here. Whether the staged
 * tree is swapped in is the caller's decision, made on the verdict.
 */
import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type Docker from 'dockerode';
import { SafeInstallError } from '@safe-install/schema';
import type { HostNpmConfig } from '../host/npm-config.js';
import { packFiles, type ArchiveFile } from '../transfer/pack-files.js';
import { extractSafely, type ExtractResult } from '../transfer/extract-safely.js';
import { followOutput, getArchive, putArchive } from '../docker/container-io.js';
import {
  LABEL_OWNER_HOST,
  LABEL_OWNER_PID,
  LABEL_RUN,
  LABEL_STARTED,
  LABEL_TOOL,
  LABEL_VERSION,
  TOOL_VERSION,
} from '../docker/labels.js';
import { readTraceArchive, type TracerOutput } from './read-trace.js';

/** Fixed layout inside the image (see docker/Dockerfile). */
export const SANDBOX_PATHS = {
  home: '/home/node',
  project: '/home/node/project',
  traceDir: '/var/lib/npm-lifecycle',
  caFile: '/etc/ssl/certs/registry-ca.pem',
} as const;
export const INSTALL_UID = 1000;
export const INSTALL_GID = 1000;

export interface ResourceLimits {
  memoryBytes: number;
  pids: number;
  cpus: number;
}

export const DEFAULT_LIMITS: ResourceLimits = { memoryBytes: 4 * 1024 ** 3, pids: 2048, cpus: 2 };

export interface InstallRunOptions {
  docker: Docker;
  image: string;
  /** Files placed in the sandbox's project folder (owned by the install user). */
  upload: readonly ArchiveFile[];
  /** Where to stage the exported node_modules (the project root); null: export nothing. */
  stageIn: string | null;
  npmConfig: HostNpmConfig;
  /** The package-manager command, e.g. `['npm', 'ci']`. */
  command: string[];
  timeoutMs: number;
  limits?: ResourceLimits;
  /** Seconds a process may outlive its lifecycle script before it is killed. */
  lingerGraceMs?: number;
  onProgress?: (message: string) => void;
  onOutput?: (line: string, stream: 'stdout' | 'stderr') => void;
  /** Called with the container as soon as it exists, so the caller can remove it on a signal. */
  onContainer?: (container: Docker.Container) => void;
}

export interface InstallRunResult {
  runId: string;
  /** The package manager's exit code; null when it never finished (timeout, crash). */
  exitCode: number | null;
  timedOut: boolean;
  tracer: TracerOutput;
  /** node_modules as exported, staged in a folder beside the project; null when there was none. */
  staged: { dir: string; nodeModules: string; extract: ExtractResult } | null;
  timings: Record<string, number>;
}

function npmEnv(config: HostNpmConfig): string[] {
  const env = [`npm_config_registry=${config.registry}`];
  for (const [scope, url] of Object.entries(config.scopedRegistries)) env.push(`npm_config_${scope}:registry=${url}`);
  if (config.ca) env.push(`npm_config_cafile=${SANDBOX_PATHS.caFile}`);
  if (config.proxy) env.push(`npm_config_proxy=${config.proxy}`);
  if (config.httpsProxy) env.push(`npm_config_https_proxy=${config.httpsProxy}`);
  if (config.noproxy) env.push(`npm_config_noproxy=${config.noproxy}`);
  if (!config.strictSsl) env.push('npm_config_strict_ssl=false');
  return env;
}

export async function runInstall(options: InstallRunOptions): Promise<InstallRunResult> {
  const { docker } = options;
  const limits = options.limits ?? DEFAULT_LIMITS;
  const runId = `${Date.now().toString(36)}-${randomBytes(4).toString('hex')}`;
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

  const container = await timed('create', () =>
    docker.createContainer({
      Image: options.image,
      name: `safe-install-${runId}`,
      // The entrypoint is the tracer's runner (root, with three capabilities); it drops to
      // INSTALL_UID for the package manager, so no install code ever runs as root.
      User: '0:0',
      Cmd: [
        '--uid', String(INSTALL_UID), '--gid', String(INSTALL_GID),
        '--cwd', SANDBOX_PATHS.project, '--out', SANDBOX_PATHS.traceDir,
        '--linger-grace-ms', String(options.lingerGraceMs ?? 2000),
        '--', ...options.command,
      ],
      WorkingDir: SANDBOX_PATHS.project,
      Env: [
        `HOME=${SANDBOX_PATHS.home}`,
        'USER=node',
        'LOGNAME=node',
        'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
        `npm_config_cache=${SANDBOX_PATHS.home}/.npm`,
        ...npmEnv(options.npmConfig),
      ],
      Labels: {
        [LABEL_TOOL]: 'safe-install',
        [LABEL_VERSION]: TOOL_VERSION,
        [LABEL_RUN]: runId,
        [LABEL_OWNER_PID]: String(process.pid),
        [LABEL_OWNER_HOST]: hostname(),
        [LABEL_STARTED]: new Date().toISOString(),
      },
      HostConfig: {
        // Why these three: strace must seize the install (SYS_PTRACE) and start it as another
        // user (SETUID, SETGID). no-new-privileges keeps them from ever reaching that user.
        CapDrop: ['ALL'],
        CapAdd: ['SYS_PTRACE', 'SETUID', 'SETGID'],
        SecurityOpt: ['no-new-privileges'],
        Memory: limits.memoryBytes,
        MemorySwap: limits.memoryBytes,
        PidsLimit: limits.pids,
        NanoCpus: Math.round(limits.cpus * 1e9),
        NetworkMode: 'bridge',
        Init: false,
      },
    }),
  );
  options.onContainer?.(container);

  try {
    await timed('upload', async () => {
      progress(`uploading ${options.upload.length} project files`);
      await putArchive(container, packFiles(options.upload, { uid: INSTALL_UID, gid: INSTALL_GID }), SANDBOX_PATHS.project);
      if (options.npmConfig.ca) {
        await putArchive(container, packFiles([{ path: 'registry-ca.pem', content: options.npmConfig.ca }], { uid: 0, gid: 0 }), '/etc/ssl/certs');
      }
    });

    let timedOut = false;
    const exitCode = await timed('install', async () => {
      progress(`running \`${options.command.join(' ')}\` in the sandbox`);
      await container.start();
      const logs = await followOutput(docker, container, options.onOutput ?? (() => undefined));
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => {
        timer = setTimeout(() => resolve('timeout'), options.timeoutMs);
      });
      const outcome = await Promise.race([container.wait() as Promise<{ StatusCode: number }>, deadline]);
      clearTimeout(timer);
      if (outcome === 'timeout') {
        timedOut = true;
        progress(`the install did not finish within ${Math.round(options.timeoutMs / 1000)} s; stopping it`);
        await container.kill({ signal: 'SIGKILL' }).catch(() => undefined);
        await container.wait().catch(() => undefined);
      }
      await logs;
      return outcome === 'timeout' ? null : outcome.StatusCode;
    });

    const tracer = await timed('collect-trace', async () => {
      const archive = await getArchive(container, SANDBOX_PATHS.traceDir);
      if (archive === null) throw new SafeInstallError('TRACE_MISSING', 'infrastructure', 'the sandbox wrote no trace');
      return readTraceArchive(archive);
    });

    const stageIn = options.stageIn;
    const staged = await timed('export', async () => {
      if (stageIn === null) return null;
      const archive = await getArchive(container, `${SANDBOX_PATHS.project}/node_modules`);
      if (archive === null) return null;
      progress('exporting node_modules');
      const dir = await mkdtemp(join(stageIn, '.safe-install-staging-'));
      try {
        const extract = await extractSafely(archive, { target: dir, prefix: 'node_modules', symlinkRootLevels: 0 });
        return { dir, nodeModules: join(dir, 'node_modules'), extract };
      } catch (error) {
        await rm(dir, { recursive: true, force: true });
        throw error;
      }
    });

    const status = tracer.status;
    return { runId, exitCode: status?.exitCode ?? exitCode, timedOut, tracer, staged, timings };
  } finally {
    await timed('remove', () => container.remove({ force: true, v: true }).catch(() => undefined));
  }
}
