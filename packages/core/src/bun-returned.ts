/**
 * What a Bun install job (`install`, `update`) brings back: package.json and bun.lock, checked as
 * lockfile-jobs.ts says (hostile input): each at most MAX_MANIFEST_BYTES, a regular file, the
 * manifest a JSON object, and bun.lock parsed by the tracer's bounded reader and checked as a
 * project's own (`checkBunLockfile`: in sync with every workspace's package.json, no folder or
 * tarball outside the project; a bun.lockb never comes back: only bun.lock is read), and the
 * manifest's `packageManager` still a Bun safe-install runs. Bun rewrites no other root file.
 * The check itself is lockfile-jobs.ts's, shared with pnpm and Yarn.
 */
import { BUN_LOCKFILE, type Project } from '@safe-install/sandbox';
import { returnedProjectWith } from './lockfile-jobs.js';
// A cycle with bun.ts, used only at call time.
import { bunVersionOf } from './bun.js';

/** The project as the Bun job left it (its own files where none came back). Throws EXPORT_REJECTED. */
export function returnedBunProject(project: Project, tree: string, options: { maxBytes?: number } = {}): Promise<Project> {
  return returnedProjectWith(project, tree, {
    lockfileName: 'bun.lock',
    // Only bun.lock is read back (BUN_LOCKFILE's check refuses the binary bun.lockb by name).
    reader: BUN_LOCKFILE,
    refuse: (returned) => void bunVersionOf(returned.manifest),
  }, options);
}
