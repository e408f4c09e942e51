/**
 * The sandbox's layout (where things are inside the image, who the install runs as) and its
 * resource limits, for the host side.
 */

// The layout itself lives in @safe-install/schema, which the runner, tracer and policy depend on
// too; the host side imports it from here.
export { SANDBOX_PATHS, INSTALL_UID, INSTALL_GID, SANDBOX_HELPERS, SCRIPT_SHELL_ARGS, SCRIPT_BROKER_ENV, SANDBOX_NETWORK, GATEWAY_PATHS, RUNNER_COMMAND, SANDBOX_HOLDER_COMMAND, RUNNER_PID_FILE } from '@safe-install/schema';

/** What a run may use (the container's limits). */
export interface ResourceLimits {
  memoryBytes: number;
  pids: number;
  cpus: number;
  /** Size of the writable HOME (project, node_modules, caches): the disk-write limit. */
  homeBytes: number;
  tmpBytes: number;
}

export const DEFAULT_LIMITS: ResourceLimits = {
  memoryBytes: 6 * 1024 ** 3,
  pids: 2048,
  cpus: 2,
  homeBytes: 4 * 1024 ** 3,
  tmpBytes: 1024 ** 3,
};
