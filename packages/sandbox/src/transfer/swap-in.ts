/**
 * Put a staged node_modules in place of the project's. Each rename is atomic; between the two, the
 * old tree still exists under a side name, so an interruption never loses it. Staging lives inside
 * the project folder so both renames stay on one filesystem.
 */
import { lstat, rename, rm } from 'node:fs/promises';
import { join } from 'node:path';

export async function swapInNodeModules(projectRoot: string, staged: { dir: string; nodeModules: string }): Promise<void> {
  const live = join(projectRoot, 'node_modules');
  const previous = join(staged.dir, 'previous-node_modules');
  let moved = false;
  try {
    await rename(live, previous);
    moved = true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
  }
  try {
    await rename(staged.nodeModules, live);
  } catch (error) {
    // No node_modules came back: the project has no dependencies, and npm ci leaves none either.
    // The previous one, moved aside, goes with the staging folder, as npm ci would remove it.
    const none = (error as NodeJS.ErrnoException).code === 'ENOENT' && !(await exists(staged.nodeModules));
    if (!none) {
      if (moved) await rename(previous, live);
      throw error;
    }
  }
  await rm(staged.dir, { recursive: true, force: true });
}

/** Throw the staged tree away; the project's own node_modules was never touched. */
export async function discardStaged(staged: { dir: string } | null): Promise<void> {
  if (staged) await rm(staged.dir, { recursive: true, force: true });
}

async function exists(path: string): Promise<boolean> {
  return lstat(path).then(
    () => true,
    () => false,
  );
}
