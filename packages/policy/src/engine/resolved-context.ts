/** The evaluation context with defaults applied and paths normalized. */
import { normalizePath } from '../match/path-pattern.js';
import type { PathVariables } from '../match/path-pattern.js';
import { SANDBOX_HELPERS, SANDBOX_PATHS, type PackageRef } from '@safe-install/schema';
import type { EvaluationContext } from '../policy-types.js';


/** Where the lifecycle marker lives in the sandbox image (the tracer's default). */
export const DEFAULT_LIFECYCLE_MARKER = SANDBOX_HELPERS.scriptShell;

/** The sandbox's layout, for callers (and learn mode) that have nothing more specific. */
export const SANDBOX_CONTEXT: EvaluationContext = {
  projectDir: SANDBOX_PATHS.project,
  homeDir: SANDBOX_PATHS.home,
  tmpDir: SANDBOX_PATHS.tmp,
  nodeModules: SANDBOX_PATHS.nodeModules,
};

export interface ResolvedContext {
  projectDir: string;
  homeDir: string;
  tmpDir: string;
  /** TMPDIR plus the system's temporary folders: writing there is never a finding. */
  tmpDirs: string[];
  nodeModules: string;
  gateway: Array<{ address: string; port?: number }>;
  resolvers: string[];
  registryHosts: Set<string>;
  /** The lockfile's packages, name → versions; null when the caller gave none (nothing to compare). */
  lockedPackages: Map<string, Set<string>> | null;
  marker: string;
  /** Major version of the sandbox's npm; 0 when unknown. */
  npmMajor: number;
  /** The package manager's own folders (EvaluationContext.toolDirs). */
  toolDirs: string[];
  now: number;
  /** Values for path pattern variables, without `PACKAGE` (which depends on the package). */
  vars: PathVariables;
}

export function resolveContext(context: EvaluationContext): ResolvedContext {
  const projectDir = normalizePath(context.projectDir);
  const homeDir = normalizePath(context.homeDir);
  const tmpDir = normalizePath(context.tmpDir);
  const nodeModules = normalizePath(context.nodeModules);
  return {
    projectDir,
    homeDir,
    tmpDir,
    tmpDirs: [...new Set([tmpDir, '/tmp', '/var/tmp', '/dev/shm'])],
    nodeModules,
    gateway: context.gateway ?? [],
    resolvers: context.resolvers ?? ['127.0.0.1', '::1'],
    registryHosts: new Set((context.registryHosts ?? []).map((h) => h.toLowerCase())),
    lockedPackages: lockedIndex(context.lockedPackages),
    marker: normalizePath(context.lifecycleMarker ?? DEFAULT_LIFECYCLE_MARKER),
    npmMajor: Number(/^(\d+)\./.exec(context.npmVersion ?? '')?.[1] ?? 0),
    toolDirs: (context.toolDirs ?? []).map(normalizePath).filter((dir) => dir !== '/'),
    now: context.now ?? Date.now(),
    vars: { PROJECT: projectDir, HOME: homeDir, TMPDIR: tmpDir, NODE_MODULES: nodeModules },
  };
}

/** The lockfile's packages as name → versions. */
export function lockedIndex(packages: readonly PackageRef[] | undefined): Map<string, Set<string>> | null {
  if (packages === undefined) return null;
  const out = new Map<string, Set<string>>();
  for (const p of packages) out.set(p.name, (out.get(p.name) ?? new Set()).add(p.version));
  return out;
}
