/**
 * The sandbox container's create options, from a pure function: the hardening is unit-tested here
 * (sandbox-container.test.ts) as well as inspected on a live container (test/src/sandbox.e2e.test.ts).
 */
import type Docker from 'dockerode';
import type { SandboxJob } from '@safe-install/schema';
import { GATEWAY_PATHS, INSTALL_GID, INSTALL_UID, RUNNER_COMMAND, SANDBOX_HOLDER_COMMAND, SANDBOX_NETWORK, SANDBOX_PATHS, type ResourceLimits } from '../layout.js';
import { sandboxSeccompOpt } from './seccomp-profile.js';

export interface SandboxContainerSpec {
  image: string;
  runId: string;
  /** A plausible host name (from the decoys). */
  hostname?: string | undefined;
  /** The run's environment on top of the fixed one (the network's, the decoys'). */
  env: readonly string[];
  labels: Record<string, string>;
  limits: ResourceLimits;
  /** The gateway's per-run socket volume, or null for no network at all. */
  gatewayVolume: string | null;
  /** The gateway's per-run trust store volume (a registry known by https), mounted at the trust store. */
  trustVolume?: string | null;
}

/** One job of a started sandbox: the runner, exec'd in the container (see run/sandbox.ts). */
export interface RunnerExecSpec {
  /** What the runner does, step by step (job.ts in the schema): `ci`'s is one `install` step. */
  job: SandboxJob;
  lingerGraceMs: number;
  /** Whether the sandbox has the gateway's socket (its network); without it, no network at all. */
  gateway: boolean;
}

/**
 * The runner's exec: root with the container's five capabilities (it drops to INSTALL_UID for the
 * package manager, so no install code ever runs as root), started by the image's entrypoint
 * command, so the stacked seccomp filter applies to every job as it did to the container's.
 */
export function runnerExecSpec(spec: RunnerExecSpec): Docker.ExecCreateOptions {
  return {
    Cmd: [
      ...RUNNER_COMMAND,
      '--uid', String(INSTALL_UID), '--gid', String(INSTALL_GID),
      '--home', SANDBOX_PATHS.home, '--cwd', SANDBOX_PATHS.project, '--out', SANDBOX_PATHS.traceDir,
      '--linger-grace-ms', String(spec.lingerGraceMs),
      ...(spec.gateway ? ['--gateway', GATEWAY_PATHS.socketDir] : []),
      // On the command line, like every other runner option: set by the host, shown by
      // `docker inspect` of the exec, and out of the install's reach (see docs/architecture.md).
      '--job', JSON.stringify(spec.job),
    ],
    User: '0:0',
    WorkingDir: '/',
    // stdin carries the upload; stdout the runner's frames; stderr the install's output.
    AttachStdin: true,
    AttachStdout: true,
    AttachStderr: true,
    Tty: false,
  };
}

export function sandboxContainerSpec(spec: SandboxContainerSpec): Docker.ContainerCreateOptions {
  return {
    Image: spec.image,
    name: `safe-install-${spec.runId}`,
    ...(spec.hostname ? { Hostname: spec.hostname } : {}),
    // PID 1 only holds the sandbox open between jobs (under the same stacked filter); each job is
    // the runner, exec'd as root (runnerExecSpec).
    User: '0:0',
    Entrypoint: [...SANDBOX_HOLDER_COMMAND],
    Cmd: [],
    WorkingDir: '/',
    Env: [
      `HOME=${SANDBOX_PATHS.home}`,
      'USER=node',
      'LOGNAME=node',
      'PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin',
      `npm_config_cache=${SANDBOX_PATHS.home}/.npm`,
      // The sandbox decides where npm reads its config: the environment outranks every file, so
      // no .npmrc of the project's can move the global one (the script shell) or the user's
      // (the registries, through the gateway) away. See project/npmrc.ts for what is removed.
      `npm_config_globalconfig=${SANDBOX_PATHS.npmGlobalConfig}`,
      `npm_config_userconfig=${SANDBOX_PATHS.home}/.npmrc`,
      ...spec.env,
    ],
    Labels: spec.labels,
    HostConfig: {
      // Why these five: strace must seize the install (SYS_PTRACE), start it as another user
      // (SETUID, SETGID), and resolve its file descriptors to paths and socket inodes through
      // /proc/<pid>/fd, a folder only its owner may read (DAC_READ_SEARCH); each script gets a PID
      // and mount namespace with a /proc of its own, so that it sees neither its tracer nor the
      // runner (SYS_ADMIN: unshare, mount; docs/architecture.md weighs it). no-new-privileges
      // and the install's non-root uid keep all five from ever reaching install code.
      CapDrop: ['ALL'],
      CapAdd: ['SYS_PTRACE', 'SETUID', 'SETGID', 'DAC_READ_SEARCH', 'SYS_ADMIN'],
      // Docker's default seccomp profile with io_uring left to the stacked filter (seccomp-profile.ts):
      // a fixed document shipped with the tool, read once.
      SecurityOpt: ['no-new-privileges', sandboxSeccompOpt()],
      ReadonlyRootfs: true,
      // The only writable places. Sizes cap what the install can write; nosuid and nodev hold
      // even if a setuid file or device node is created there.
      Tmpfs: {
        [SANDBOX_PATHS.home]: `rw,exec,nosuid,nodev,size=${spec.limits.homeBytes},uid=${INSTALL_UID},gid=${INSTALL_GID},mode=0755`,
        [SANDBOX_PATHS.tmp]: `rw,exec,nosuid,nodev,size=${spec.limits.tmpBytes},mode=1777`,
        [SANDBOX_PATHS.traceDir]: 'rw,noexec,nosuid,nodev,size=2g,mode=0700',
      },
      Memory: spec.limits.memoryBytes,
      MemorySwap: spec.limits.memoryBytes,
      PidsLimit: spec.limits.pids,
      NanoCpus: Math.round(spec.limits.cpus * 1e9),
      // No network at all: only loopback, where the forwarder listens. Whatever is not relayed to
      // the gateway has no route anywhere, by construction rather than by firewall rules.
      NetworkMode: 'none',
      ...(spec.gatewayVolume !== null
        ? {
            Mounts: [
              { Type: 'volume' as const, Source: spec.gatewayVolume, Target: GATEWAY_PATHS.socketDir },
              // Read-only. Docker fills it from the image if the sandbox is created before the
              // gateway wrote it (the same folder the gateway copies): the runner's own node, started
              // before the gateway may be up, finds the bundle NODE_EXTRA_CA_CERTS names. The gateway
              // then replaces the bundle (a rename) before it listens, and the install starts only
              // after that (the forwarder waits for the gateway's socket).
              ...(spec.trustVolume ? [{ Type: 'volume' as const, Source: spec.trustVolume, Target: GATEWAY_PATHS.trustStore, ReadOnly: true }] : []),
            ],
            Dns: [SANDBOX_NETWORK.dns.host],
            // The forwarder (root without NET_BIND_SERVICE) binds DNS on 53 and the sink on 80/443.
            Sysctls: { 'net.ipv4.ip_unprivileged_port_start': '0' },
          }
        : {}),
      Init: false,
      // The install's output reaches the host over the attach stream only (capped at both ends);
      // a logging driver would also store all of it on the host's disk.
      LogConfig: { Type: 'none', Config: {} },
    },
  };
}
