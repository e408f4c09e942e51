/**
 * Filesystem diff of the sandbox's writable places (HOME, /tmp and the project; the root is
 * read-only), taken with `find` running as the install user. It catches writes the syscall trace
 * cannot attribute or does not see (mmap, a call the tracer missed), and lists what the package
 * manager itself wrote. Three diffs:
 *
 * - HOME and /tmp, before and after the install (npm's cache and the project left out);
 * - the project outside every node_modules (and `.git`), before and after: what scripts wrote into
 *   the project — these files are also what comes back to the host (see `exportList`);
 * - every node_modules, from the moment the first lifecycle script starts (npm has unpacked every
 *   package by then: its scripts run after the reify) to the end: what scripts changed there.
 */

export interface FileState {
  type: string;
  mode: string;
  /** Apparent size in bytes. */
  size: number;
  /** 512-byte blocks allocated: far fewer than the size says is a sparse file. */
  blocks: number;
  mtime: string;
}

export type Snapshot = Map<string, FileState>;

export interface FsChange {
  path: string;
  change: 'created' | 'modified' | 'deleted';
  /** Modification time after the install (epoch ms), for created and modified files. */
  mtime?: number;
}

/** The `find` arguments; records are `TYPE MODE SIZE BLOCKS MTIME PATH\0`. */
export function findArgs(roots: readonly string[], pruned: readonly string[]): string[] {
  const prune = pruned.flatMap((path, i) => (i === 0 ? ['-path', path] : ['-o', '-path', path]));
  return [...roots, '-xdev', ...(prune.length ? ['(', ...prune, ')', '-prune', '-o'] : []), '-printf', '%y %m %s %b %T@ %p\\0'];
}

/** Parse find's output. Malformed records are skipped (paths are untrusted but NUL-free). */
export function parseSnapshot(output: string): Snapshot {
  const snapshot: Snapshot = new Map();
  for (const record of output.split('\0')) {
    const match = /^(\S) (\d+) (\d+) (\d+) (\d+(?:\.\d+)?) (\/.*)$/s.exec(record);
    if (!match) continue;
    const [, type, mode, size, blocks, mtime, path] = match;
    snapshot.set(path!, { type: type!, mode: mode!, size: Number(size), blocks: Number(blocks), mtime: mtime! });
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

/** Does `relative` (to the project) lie inside a node_modules folder, or is it one? */
function inNodeModules(relative: string): boolean {
  return relative === 'node_modules' || relative.startsWith('node_modules/') || relative.includes('/node_modules/') || relative.endsWith('/node_modules');
}

/**
 * The part of a project snapshot inside (`modules`) or outside (`sources`) every node_modules,
 * so each can be diffed against its own baseline. Linear in the entries.
 */
export function splitProject(snapshot: Snapshot, projectDir: string): { sources: Snapshot; modules: Snapshot } {
  const sources: Snapshot = new Map();
  const modules: Snapshot = new Map();
  const prefix = `${projectDir}/`;
  for (const [path, state] of snapshot) {
    if (!path.startsWith(prefix)) {
      if (path === projectDir) sources.set(path, state);
      continue;
    }
    (inNodeModules(path.slice(prefix.length)) ? modules : sources).set(path, state);
  }
  return { sources, modules };
}

/** A sparse file holds far less than its size says: exported as is, it would grow on the host. */
const SPARSE_SLACK_BYTES = 64 * 1024;
function isSparse(state: FileState): boolean {
  return state.type === 'f' && state.size > state.blocks * 512 + SPARSE_SLACK_BYTES;
}

export interface ExportList {
  /** Paths for `tar -T` (relative to the project, `./`-prefixed): every node_modules folder, each changed file. */
  paths: string[];
  /** Why nothing may be exported (a sparse file), or null. */
  refusal: string | null;
}

/**
 * What goes back to the host after a successful install: every node_modules folder npm wrote (the
 * outermost ones: the root's, each workspace's, each `file:` folder's — the host checks each
 * against the lockfile), and every file created or changed outside node_modules (`changes`: the
 * project diff; folders are made as parents on the host, deletions are reported, never exported).
 * A sparse file anywhere refuses the export: its size is not its real size.
 */
export function exportList(projectDir: string, after: Snapshot, changes: readonly FsChange[]): ExportList {
  const prefix = `${projectDir}/`;
  const paths: string[] = [];
  let refusal: string | null = null;
  for (const [path, state] of after) {
    if (!path.startsWith(prefix)) continue;
    const relative = path.slice(prefix.length);
    if (refusal === null && isSparse(state)) refusal = `${relative} is a sparse file (${state.size} bytes, ${state.blocks * 512} on disk)`;
    // An outermost node_modules: named so, with no node_modules above it.
    if (state.type === 'd' && (relative === 'node_modules' || relative.endsWith('/node_modules')) && !inNodeModules(relative.slice(0, -'node_modules'.length - 1) || '.')) {
      paths.push(`./${relative}`);
    }
  }
  for (const { path, change } of changes) {
    if (change === 'deleted' || !path.startsWith(prefix)) continue;
    const state = after.get(path);
    if (state && state.type !== 'd') paths.push(`./${path.slice(prefix.length)}`);
  }
  return { paths, refusal };
}
