/**
 * The sandbox's layout: where things are inside the image, who the install runs as, how the script
 * shell is called and where the way out listens. The host side (sandbox, core, cli), the runner
 * inside the container, the tracer and the policy all read it from here, so the container's mounts,
 * the runner's arguments, the trace's attribution and the policy's context cannot disagree. The
 * image itself (docker/Dockerfile, docker/npmrc, docker/*.c) cannot import it; a unit test in
 * packages/sandbox (sandbox-layout.test) checks that those files say the same.
 *
 * Pure constants: nothing here touches the machine.
 */

/** Fixed paths inside the image (see docker/Dockerfile). */
export const SANDBOX_PATHS = {
  /** The install user's HOME (a fresh tmpfs per run). */
  home: '/home/node',
  /** The project root, in HOME. */
  project: '/home/node/project',
  nodeModules: '/home/node/project/node_modules',
  /** TMPDIR of the install. */
  tmp: '/tmp',
  /** Root-only folder of the trace (the runner's `--out`); hidden from each script's namespace. */
  traceDir: '/var/lib/npm-lifecycle',
  /** npm's global config in the image (docker/npmrc: the script shell). */
  npmGlobalConfig: '/usr/local/etc/npmrc',
  /** The runner, tracer and gateway code (root-only, 0700). */
  libDir: '/usr/local/lib/npm-lifecycle',
  /** Where the gateway's socket appears (a per-run volume); root-only, hidden from scripts like the trace. */
  gatewaySocketDir: '/run/gateway',
  /** The system trust store; a registry known by https gets the gateway's trust store mounted here. */
  trustStore: '/etc/ssl/certs',
} as const;

/** The install user (uid and gid 1000, like CI runners): no install code runs as root. */
export const INSTALL_UID = 1000;
export const INSTALL_GID = 1000;

/** The image's helper programs (compiled from docker/*.c, or docker/absent-tool). */
export const SANDBOX_HELPERS = {
  /**
   * The script shell npm is configured with (docker/npmrc, docker/npm-lifecycle.c). It re-execs
   * itself as `<scriptShell> --run <name> <version> <event> <command>` for each lifecycle script:
   * that exec is the tracer's attribution marker.
   */
  scriptShell: '/usr/local/libexec/npm-lifecycle',
  /** docker/spawn-script-tracer.c, under a name that says nothing to a script listing the folder. */
  spawnScriptTracer: '/usr/local/libexec/npm-lifecycle-start',
  /** docker/syscall-filter.c: the entrypoint, which stacks the sandbox's seccomp filter. */
  syscallFilter: '/usr/local/libexec/syscall-filter',
  /** docker/absent-tool: stands in for programs the image lacks. */
  absentTool: '/usr/local/libexec/absent-tool',
  /**
   * A root-owned folder put first in a Bun step's PATH (docker/Dockerfile): `bash` there is the
   * script shell (Bun runs scripts as `bash -c`), `node-gyp` is npm's.
   */
  bunPathDir: '/opt/bun/bin',
  /** docker/time-shift.c: the wall clock moved forward by CLOCK_SHIFT_SECONDS, preloaded into a shifted step. */
  clockShift: '/usr/local/lib/libclockshift.so',
} as const;

/** The variable the clock shift reads (docker/time-shift.c). */
export const CLOCK_SHIFT_ENV = 'CLOCK_SHIFT_SECONDS';

/**
 * The runner's command: the image's ENTRYPOINT (docker/Dockerfile) — the syscall filter stacks the
 * sandbox's seccomp filter, tini reaps what the job leaves (a subreaper), then the runner. Every job
 * is started with exactly this, so no job runs without the stacked filter.
 */
export const RUNNER_COMMAND = [SANDBOX_HELPERS.syscallFilter, '/usr/bin/tini', '-s', '--', 'node', `${SANDBOX_PATHS.libDir}/runner/main.js`] as const;

/** The pipe the holder waits on: root-only, never written, so the wait never ends by itself. */
export const SANDBOX_HOLD_FIFO = `${SANDBOX_PATHS.traceDir}/hold`;

/**
 * What holds a started sandbox open between jobs: its PID 1, under the same filter; tini reaps
 * whatever a job's tini leaves, and a stop ends it (and so every process in the container). The
 * wait is a shell's read of a pipe no one writes, not a `sleep`: the install's own processes are
 * told apart by name (a root `sleep` would pass for a script's), and a shell is among the few
 * programs that run as root anyway.
 */
export const SANDBOX_HOLDER_COMMAND = [SANDBOX_HELPERS.syscallFilter, '/usr/bin/tini', '--', '/bin/sh', '-c', 'mkfifo -m 0600 "$0" && read -r _ < "$0"', SANDBOX_HOLD_FIFO] as const;

/** Where the running job's runner writes its pid (root-only): a job is stopped by signalling it. */
export const RUNNER_PID_FILE = `${SANDBOX_PATHS.traceDir}/runner.pid`;

/** The script shell's own first arguments (docker/npm-lifecycle.c). */
export const SCRIPT_SHELL_ARGS = {
  /** `--run <name> <version> <event> <command>`: the marker exec, then `sh -c <command>`. */
  run: '--run',
  /** `--enter <uid> <gid> <title> <hide> <name> <version> <event> <command>`: the script's namespace, as root. */
  enter: '--enter',
} as const;

/** The variable that tells the script shell the script broker's loopback port (runner → docker/*.c). */
export const SCRIPT_BROKER_ENV = 'SAFE_INSTALL_SCRIPT_BROKER';

/**
 * The way out, inside the sandbox: the forwarder's HTTP proxy and DNS on loopback, and the sink
 * address every DNS answer points to (ports 80 and 443 only). The forwarder relays all of them to
 * the gateway's socket in {@link SANDBOX_PATHS.gatewaySocketDir}.
 */
const PROXY = { host: '127.0.0.1', port: 3128 } as const;
export const SANDBOX_NETWORK = {
  proxy: PROXY,
  dns: { host: '127.0.0.1', port: 53 },
  sink: { host: '127.10.0.1', ports: [80, 443] },
  /** How the sandbox addresses the proxy (HTTP_PROXY, and rewritten tarball URLs). */
  proxyOrigin: `http://${PROXY.host}:${PROXY.port}`,
} as const;

/**
 * The gateway's container: the same image, run as root in a container of its own. Its socket
 * folder is the one the sandbox mounts at {@link SANDBOX_PATHS.gatewaySocketDir}.
 */
export const GATEWAY_PATHS = {
  socketDir: SANDBOX_PATHS.gatewaySocketDir,
  cacheDir: '/var/cache/safe-install',
  configFile: '/etc/safe-install-gateway.json',
  eventsFile: '/var/lib/gateway-events.jsonl',
  entry: `${SANDBOX_PATHS.libDir}/node_modules/@safe-install/gateway/dist/gateway/main.js`,
  /** Where the gateway writes the sandbox's trust store (a volume), and where the sandbox sees it. */
  trustStoreWrite: '/run/trust',
  trustStore: SANDBOX_PATHS.trustStore,
  trustBundle: 'ca-certificates.crt',
} as const;
