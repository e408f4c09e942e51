/**
 * Filesystem diff of the sandbox's writable places (HOME and /tmp; the root is read-only), taken
 * before and after the install with `find` running as the install user. It catches writes the
 * syscall trace cannot attribute or does not see (e.g. through mmap), and lists what the package
 * manager itself wrote. node_modules and npm's cache are left out: npm writes all of them, and the
 * trace already attributes every write there.
 */

export interface FileState {
  type: string;
  mode: string;
  size: number;
  mtime: string;
}

export type Snapshot = Map<string, FileState>;

export interface FsChange {
  path: string;
  change: 'created' | 'modified' | 'deleted';
  /** Modification time after the install (epoch ms), for created and modified files. */
  mtime?: number;
}

/** The `find` arguments; records are `TYPE MODE SIZE MTIME PATH\0`. */
export function findArgs(roots: readonly string[], pruned: readonly string[]): string[] {
  const prune = pruned.flatMap((path, i) => (i === 0 ? ['-path', path] : ['-o', '-path', path]));
  return [...roots, '-xdev', ...(prune.length ? ['(', ...prune, ')', '-prune', '-o'] : []), '-printf', '%y %m %s %T@ %p\\0'];
}

/** Parse find's output. Malformed records are skipped (paths are untrusted but NUL-free). */
export function parseSnapshot(output: string): Snapshot {
  const snapshot: Snapshot = new Map();
  for (const record of output.split('\0')) {
    const match = /^(\S) (\d+) (\d+) (\d+(?:\.\d+)?) (\/.*)$/s.exec(record);
    if (!match) continue;
    const [, type, mode, size, mtime, path] = match;
    snapshot.set(path!, { type: type!, mode: mode!, size: Number(size), mtime: mtime! });
  }
  return snapshot;
}

export function diffSnapshots(before: Snapshot, after: Snapshot): FsChange[] {
  const changes: FsChange[] = [];
  for (const [path, state] of after) {
    const old = before.get(path);
    const mtime = Number(state.mtime) * 1000;
    const when = Number.isFinite(mtime) ? { mtime } : {};
    if (!old) changes.push({ path, change: 'created', ...when });
    else if (state.type !== 'd' && (old.size !== state.size || old.mtime !== state.mtime || old.mode !== state.mode || old.type !== state.type)) {
      changes.push({ path, change: 'modified', ...when });
    }
  }
  for (const path of before.keys()) if (!after.has(path)) changes.push({ path, change: 'deleted' });
  return changes.sort((a, b) => a.path.localeCompare(b.path));
}
