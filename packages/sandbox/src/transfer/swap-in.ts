/**
 * Put a staged node_modules in place of the project's. Each rename is atomic; between the two, the
 * old tree still exists under a side name, so an interruption never loses it. Staging lives inside
 * the project folder so both renames stay on one filesystem.
 */
import { rename, rm } from 'node:fs/promises';
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
    if (moved) await rename(previous, live);
    throw error;
  }
  await rm(staged.dir, { recursive: true, force: true });
}

/** Throw the staged tree away; the project's own node_modules was never touched. */
export async function discardStaged(staged: { dir: string } | null): Promise<void> {
  if (staged) await rm(staged.dir, { recursive: true, force: true });
}
