/**
 * Compare two folder trees the way a user would notice a difference: the same paths, each of the
 * same type, the same permission bits, the same content (sha256) and the same link targets.
 * Timestamps and owners are left out (an install never reproduces them). Used to check that
 * `safe-install ci` leaves the tree host `npm ci` leaves.
 */
import { createHash } from 'node:crypto';
import { lstat, readdir, readFile, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export interface TreeEntry {
  type: 'file' | 'dir' | 'symlink' | 'other';
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
  sha256?: string;
  target?: string;
}

export type Tree = Map<string, TreeEntry>;

export interface ReadTreeOptions {
  /** Leave out a path (relative, `/`-separated) and everything below it. */
  ignore?: (path: string) => boolean;
}

/** Every entry under `root` (not `root` itself), by relative path; symlinks are not followed. */
export async function readTree(root: string, options: ReadTreeOptions = {}): Promise<Tree> {
  const tree: Tree = new Map();
  const walk = async (relative: string): Promise<void> => {
    for (const name of (await readdir(join(root, relative))).sort()) {
      const path = relative ? `${relative}/${name}` : name;
      if (options.ignore?.(path)) continue;
      const abs = join(root, path);
      const info = await lstat(abs);
      const mode = info.mode & 0o7777;
      if (info.isDirectory()) {
        tree.set(path, { type: 'dir', mode });
        await walk(path);
      } else if (info.isSymbolicLink()) {
        tree.set(path, { type: 'symlink', mode: 0o777, target: await readlink(abs) });
      } else if (info.isFile()) {
        tree.set(path, { type: 'file', mode, sha256: createHash('sha256').update(await readFile(abs)).digest('hex') });
      } else {
        tree.set(path, { type: 'other', mode });
      }
    }
  };
  await walk('');
  return tree;
}

export interface TreeDifference {
  path: string;
  kind: 'only-left' | 'only-right' | 'type' | 'mode' | 'content' | 'target';
  left?: TreeEntry;
  right?: TreeEntry;
}

/** Every difference between two trees, sorted by path. Empty when they match. */
export function compareTrees(left: Tree, right: Tree): TreeDifference[] {
  const differences: TreeDifference[] = [];
  for (const [path, a] of left) {
    const b = right.get(path);
    if (!b) differences.push({ path, kind: 'only-left', left: a });
    else if (a.type !== b.type) differences.push({ path, kind: 'type', left: a, right: b });
    else if (a.sha256 !== b.sha256) differences.push({ path, kind: 'content', left: a, right: b });
    else if (a.target !== b.target) differences.push({ path, kind: 'target', left: a, right: b });
    else if (a.mode !== b.mode) differences.push({ path, kind: 'mode', left: a, right: b });
  }
  for (const [path, b] of right) if (!left.has(path)) differences.push({ path, kind: 'only-right', right: b });
  return differences.sort((x, y) => (x.path < y.path ? -1 : x.path > y.path ? 1 : 0));
}

/** One line per difference, for a failing assertion's message. */
export function describeDifferences(differences: readonly TreeDifference[]): string {
  const show = (entry?: TreeEntry) => (entry ? `${entry.type} ${entry.mode.toString(8)}${entry.target ? ` -> ${entry.target}` : ''}${entry.sha256 ? ` ${entry.sha256.slice(0, 12)}` : ''}` : '-');
  return differences.map((d) => `${d.kind} ${d.path}: ${show(d.left)} | ${show(d.right)}`).join('\n');
}
