/**
 * The sandbox's layout: where things are inside the image and who the install runs as. One place,
 * so the runner's arguments, the policy's context and the container's mounts cannot disagree.
 */

/** Fixed layout inside the image (see docker/Dockerfile). */
export const SANDBOX_PATHS = {
  home: '/home/node',
  project: '/home/node/project',
  traceDir: '/var/lib/npm-lifecycle',
  /** npm's global config in the image (docker/npmrc: the script shell). */
  npmGlobalConfig: '/usr/local/etc/npmrc',
} as const;
export const INSTALL_UID = 1000;
export const INSTALL_GID = 1000;

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
