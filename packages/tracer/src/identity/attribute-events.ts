/**
 * Lockfile attribution: every event of a lifecycle script is given the package the
 * lockfile says sits in the script's folder, not the name and version the script's environment
 * claimed (those come from the package's own package.json, which the package wrote).
 *
 * The tracer numbers each script run and tags every event with its run; a script's start event
 * carries its folder and, for a script started by a package manager running inside another
 * script (`npm run build` in a `prepare`), the enclosing run. Who a run is:
 *
 * - a script the install's own package manager started: the lockfile entry of its folder;
 * - a nested script: the lockfile entry of its folder when it is the enclosing script's own folder
 *   or the enclosing script is the project's own (root or workspace: the project may run its
 *   dependencies' scripts, `npm rebuild`); otherwise — a dependency's script running another
 *   package's scripts, or a folder the lockfile does not list (`npm run --prefix /tmp/x`) — the
 *   enclosing script's package: blame stays with the package that started it.
 *
 * A claim that differs is kept on the start event as `claimed` (evidence; the policy reports it).
 * An exec of a `node_modules/.bin` entry is tagged with the package whose `bin` it is.
 */
import { posix } from 'node:path';
import type { PackageIdentity, PackageRef, RawEvent, TraceEvent } from '@safe-install/schema';
import type { LockedPackages } from './locked-packages.js';

export interface EventAttribution {
  /** The event with its attribution from the lockfile (the same object, changed in place). */
  apply<E extends RawEvent | TraceEvent>(event: E): E;
  /** The package of a run already started (by its start event through `apply`). */
  packageOf(run: number): PackageRef | undefined;
}

/** `path` relative to `projectDir`, or null when outside it. */
function relativeTo(projectDir: string, path: string): string | null {
  const normal = posix.normalize(path).replace(/\/+$/, '');
  if (normal === projectDir) return '';
  return normal.startsWith(`${projectDir}/`) ? normal.slice(projectDir.length + 1) : null;
}

function sameRef(a: PackageRef, b: PackageRef): boolean {
  return a.name === b.name && a.version === b.version;
}

function ref(identity: PackageIdentity): PackageRef {
  return { name: identity.name, version: identity.version };
}

const isProjectCode = (identity: PackageIdentity): boolean => identity.source === 'project' || identity.source === 'workspace';

/** Attribution by `locked` for events of a run whose project sits at `projectDir` (inside the sandbox). */
export function lockfileAttribution(locked: LockedPackages, projectDir: string): EventAttribution {
  const project = posix.normalize(projectDir).replace(/\/+$/, '');
  const runs = new Map<number, PackageIdentity>();

  const folderIdentity = (cwd: string | undefined): PackageIdentity | undefined => {
    if (cwd === undefined) return undefined;
    const rel = relativeTo(project, cwd);
    return rel === null ? undefined : (locked.byPath.get(rel) ?? locked.lookup?.(rel));
  };

  const startRun = (event: Extract<RawEvent, { type: 'script' }>, run: number): void => {
    // An empty name is no claim (a run the tracer started itself: a traced tree, a process-tree child).
    const claimed = event.package?.name === '' ? undefined : event.package;
    const folder = folderIdentity(event.cwd);
    const enclosing = event.parentRun === undefined ? undefined : runs.get(event.parentRun);
    let identity: PackageIdentity;
    if (event.parentRun === undefined) {
      identity = folder ?? unlocked(event.cwd, claimed);
    } else if (enclosing === undefined) {
      // Its enclosing run is unknown (a partial trace): the folder, or nobody the lockfile knows.
      identity = folder ?? unlocked(event.cwd, claimed);
    } else if (folder !== undefined && (folder.path === enclosing.path || isProjectCode(enclosing))) {
      identity = folder;
    } else {
      identity = enclosing;
    }
    runs.set(run, identity);
    event.identity = identity;
    if (claimed !== undefined && !sameRef(claimed, identity)) event.claimed = { name: claimed.name, version: claimed.version };
  };

  return {
    packageOf(run) {
      const identity = runs.get(run);
      return identity === undefined ? undefined : ref(identity);
    },
    apply(event) {
      const run = event.run;
      if (run === undefined) return event;
      if (event.type === 'script' && event.action === 'start' && !runs.has(run)) startRun(event, run);
      const identity = runs.get(run);
      if (identity !== undefined) event.package = ref(identity);
      if (event.type === 'process' && event.action === 'exec') {
        const rel = relativeTo(project, event.path);
        const owner = rel === null ? undefined : locked.bins.get(rel);
        if (owner !== undefined) event.binOf = owner;
      }
      return event;
    },
  };
}

/**
 * A script in a folder the lockfile does not list: known only by its claim, under a name no policy
 * entry can match (no package name has a space), so the claim gains nothing.
 */
function unlocked(cwd: string | undefined, claimed: PackageRef | undefined): PackageIdentity {
  return { name: `(unlocked) ${claimed?.name ?? '?'}`, version: claimed?.version ?? '', path: cwd ?? '', installedAs: '', source: 'unlocked' };
}
