/**
 * Tree comparison for drop-in tests: the tree host `npm ci` leaves against the one `safe-install
 * ci` leaves, entry by entry (path, type, permission bits, content hash, link target).
 *
 * Two copies of a project live at different absolute paths, and the sandbox installs at a third
 * (`/home/node/project`); tools write their own absolute path into some files (node-gyp's Makefiles
 * and config.gypi, tsc's build info). Content is hashed after replacing each of those roots with one
 * placeholder, so a difference that is only "where the copy was" does not hide a real one, and a
 * file that names a root the other tree does not is still caught (its other bytes differ).
 *
 * Nothing here follows a symlink: a link is compared by its target text, so a link that points out
 * of the tree on one side is a difference, never a walk into the host's files.
 */
import { createHash } from 'node:crypto';
import { lstat, readFile, readdir, readlink } from 'node:fs/promises';
import { join } from 'node:path';

export type EntryType = 'file' | 'dir' | 'symlink' | 'other';

export interface TreeEntry {
  type: EntryType;
  /** Permission bits (`mode & 0o7777`). */
  mode: number;
  /** sha256 of the content after root normalisation (files only). */
  sha256?: string;
  size?: number;
  /** The link's target text (symlinks only). */
  target?: string;
}

/** Relative path (POSIX, no leading `./`) to entry. */
export type Tree = Map<string, TreeEntry>;

export interface ReadTreeOptions {
  /** Leave out a relative path (`/`-separated) and, for a folder, everything under it. */
  ignore?: (relativePath: string) => boolean;
  /** Absolute roots to replace with one placeholder before hashing (longest first is not needed: each is whole). */
  roots?: string[];
}

const PLACEHOLDER = Buffer.from('<project-root>');

/** Replace every occurrence of each root in `content` with the placeholder. */
export function normaliseRoots(content: Buffer, roots: readonly string[]): Buffer {
  let current = content;
  for (const root of roots) {
    if (root === '') continue;
    const needle = Buffer.from(root);
    let at = current.indexOf(needle);
    if (at < 0) continue;
    const parts: Buffer[] = [];
    let from = 0;
    while (at >= 0) {
      parts.push(current.subarray(from, at), PLACEHOLDER);
      from = at + needle.length;
      at = current.indexOf(needle, from);
    }
    parts.push(current.subarray(from));
    current = Buffer.concat(parts);
  }
  return current;
}

function typeOf(stats: { isFile(): boolean; isDirectory(): boolean; isSymbolicLink(): boolean }): EntryType {
  if (stats.isSymbolicLink()) return 'symlink';
  if (stats.isFile()) return 'file';
  if (stats.isDirectory()) return 'dir';
  return 'other';
}

/** Walk `root` (not following links) into a Tree. The root itself is not an entry. */
export async function readTree(root: string, options: ReadTreeOptions = {}): Promise<Tree> {
  const tree: Tree = new Map();
  const roots = options.roots ?? [];
  const pending: string[] = [''];
  while (pending.length > 0) {
    const relativeDir = pending.pop()!;
    const names = await readdir(join(root, relativeDir));
    for (const name of names.sort()) {
      const relativePath = relativeDir === '' ? name : `${relativeDir}/${name}`;
      if (options.ignore?.(relativePath)) continue;
      const absolute = join(root, relativePath);
      const stats = await lstat(absolute);
      const entry: TreeEntry = { type: typeOf(stats), mode: stats.mode & 0o7777 };
      if (entry.type === 'file') {
        const content = await readFile(absolute);
        entry.size = content.length;
        entry.sha256 = createHash('sha256').update(normaliseRoots(content, roots)).digest('hex');
      } else if (entry.type === 'symlink') {
        entry.target = await readlink(absolute);
      } else if (entry.type === 'dir') {
        pending.push(relativePath);
      }
      tree.set(relativePath, entry);
    }
  }
  return tree;
}

export type DifferenceKind = 'only-left' | 'only-right' | 'type' | 'mode' | 'content' | 'target';

/** One way `right` (safe-install's tree) differs from `left` (host npm's). */
export interface TreeDifference {
  path: string;
  kind: DifferenceKind;
  left?: TreeEntry;
  right?: TreeEntry;
}

/**
 * Every difference between `left` (host npm) and `right` (safe-install), sorted by path; empty when
 * they match.
 * Under a missing or extra folder only the folder itself is listed, so one lost `node_modules` is
 * one line, not ten thousand.
 */
export function compareTrees(left: Tree, right: Tree): TreeDifference[] {
  const differences: TreeDifference[] = [];
  const underReported = (path: string, reported: Set<string>): boolean => {
    for (let at = path.lastIndexOf('/'); at > 0; at = path.lastIndexOf('/', at - 1)) if (reported.has(path.slice(0, at))) return true;
    return false;
  };
  const missingDirs = new Set<string>();
  const extraDirs = new Set<string>();
  for (const [path, entry] of [...left].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const other = right.get(path);
    if (!other) {
      if (underReported(path, missingDirs)) continue;
      differences.push({ path, kind: 'only-left', left: entry });
      if (entry.type === 'dir') missingDirs.add(path);
      continue;
    }
    if (other.type !== entry.type) {
      differences.push({ path, kind: 'type', left: entry, right: other });
      // What lies under a folder that is something else on the other side is that one line too.
      if (entry.type === 'dir') missingDirs.add(path);
      if (other.type === 'dir') extraDirs.add(path);
    } else {
      if (entry.type !== 'symlink' && other.mode !== entry.mode) differences.push({ path, kind: 'mode', left: entry, right: other });
      if (entry.type === 'file' && other.sha256 !== entry.sha256) differences.push({ path, kind: 'content', left: entry, right: other });
      if (entry.type === 'symlink' && other.target !== entry.target) differences.push({ path, kind: 'target', left: entry, right: other });
    }
  }
  for (const [path, entry] of [...right].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    if (left.has(path) || underReported(path, extraDirs)) continue;
    differences.push({ path, kind: 'only-right', right: entry });
    if (entry.type === 'dir') extraDirs.add(path);
  }
  return differences.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** A difference the test expects, with the reason it is not a drop-in failure. */
export interface ExpectedDifference {
  path: RegExp;
  kinds: DifferenceKind[];
  why: string;
}

export interface Explanation {
  explained: Array<TreeDifference & { why: string }>;
  unexplained: TreeDifference[];
  /** Expectations no difference matched (stale explanations, or a cause fixed since). */
  unused: ExpectedDifference[];
}

export function explainDifferences(differences: TreeDifference[], expected: ExpectedDifference[]): Explanation {
  const used = new Set<ExpectedDifference>();
  const explained: Explanation['explained'] = [];
  const unexplained: TreeDifference[] = [];
  for (const difference of differences) {
    const reason = expected.find((candidate) => candidate.kinds.includes(difference.kind) && candidate.path.test(difference.path));
    if (reason) {
      used.add(reason);
      explained.push({ ...difference, why: reason.why });
    } else unexplained.push(difference);
  }
  return { explained, unexplained, unused: expected.filter((candidate) => !used.has(candidate)) };
}

/** One line a difference, for a failure message a person can act on. */
export function describeDifference(difference: TreeDifference): string {
  const show = (entry?: TreeEntry): string => {
    if (!entry) return '-';
    const mode = entry.mode.toString(8).padStart(4, '0');
    if (entry.type === 'file') return `file ${mode} ${entry.size}B ${entry.sha256?.slice(0, 12)}`;
    if (entry.type === 'symlink') return `symlink -> ${entry.target}`;
    return `${entry.type} ${mode}`;
  };
  return `${difference.kind.padEnd(10)} ${difference.path}  (npm: ${show(difference.left)}; safe-install: ${show(difference.right)})`;
}

/** One line a difference, for a failing assertion's message. */
export function describeDifferences(differences: readonly TreeDifference[]): string {
  return differences.map(describeDifference).join('\n');
}
