/**
 * Extract a tar stream that came out of the sandbox. Everything in it was written by untrusted
 * install code, so it is treated as hostile:
 *
 * - names must be relative, without `..`, NUL or backslashes, and inside the export's scope: one
 *   of the node_modules folders the lockfile expects, or (when allowed) a project file outside
 *   every node_modules that is none of the files that never come back (manifests, lockfiles,
 *   `.git`, `.npmrc`, `.env*`);
 * - nothing is ever written through a symlink, and no file is overwritten (O_EXCL | O_NOFOLLOW);
 * - symlinks must resolve inside the allowed root; hard links only to files already extracted
 *   under the same root (each root is swapped in on its own: a link across two would tie them);
 * - devices, FIFOs and other special entries are dropped;
 * - setuid/setgid/sticky bits and world-writable permissions are removed;
 * - entry count, single-file size, total size and path length are bounded: past a bound the whole
 *   export fails (a half tree must never be used).
 *
 * Every dropped or changed entry is reported, so the caller can show it and put it in the report.
 */
import { createHash } from 'node:crypto';
import { constants } from 'node:fs';
import { link, mkdir, open, symlink } from 'node:fs/promises';
import { dirname, join, posix } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { extract, type Header } from 'tar-stream';
import { SafeInstallError } from '@safe-install/schema';

export interface ExtractLimits {
  maxEntries: number;
  maxFileBytes: number;
  maxTotalBytes: number;
  maxPathLength: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = {
  maxEntries: 2_000_000,
  maxFileBytes: 2 * 1024 ** 3,
  maxTotalBytes: 16 * 1024 ** 3,
  maxPathLength: 4096,
};

/**
 * What may come back: the node_modules folders npm writes for the project root, its workspaces and
 * its `file:` folders (from the lockfile), and — when `projectFiles` is set — files scripts wrote
 * into the project outside every node_modules.
 */
export interface ExportScope {
  /** Package folders, relative to the project (`''` is the root): their `node_modules` may come back. */
  folders: ReadonlySet<string>;
  /** Files outside node_modules may come back (see `projectFileRefusal` for those that never do). */
  projectFiles: boolean;
  /**
   * Every outermost node_modules may come back, whatever `folders` says: for a job that rewrites
   * the lockfile, whose folders are known only from the lockfile that comes back. The caller
   * narrows what came back to that lockfile's folders (`narrowStaged`) before anything uses it.
   */
  anyFolder?: boolean;
  /**
   * Folders whose node_modules may come back but need not (Yarn PnP's unplugged packages, from the
   * lockfile): one that comes back replaces the host's whole, one that does not is left alone.
   */
  optionalFolders?: ReadonlySet<string>;
  /** The root's manifest and lockfile, by name, which may come back (an install job writes them). */
  manifests?: readonly string[];
}

export function exportScope(folders: Iterable<string>, options: { projectFiles?: boolean; anyFolder?: boolean; optionalFolders?: Iterable<string>; manifests?: readonly string[] } = {}): ExportScope {
  return {
    folders: new Set(['', ...folders]),
    projectFiles: options.projectFiles ?? false,
    ...(options.anyFolder ? { anyFolder: true } : {}),
    ...(options.optionalFolders ? { optionalFolders: new Set(options.optionalFolders) } : {}),
    ...(options.manifests ? { manifests: [...options.manifests] } : {}),
  };
}

/** The root a checked path falls under: a node_modules folder (`packages/a/node_modules`), or `''` for a project file. */
export type EntryRoot = string;

export interface ExtractOptions {
  /** Directory to extract into. It must exist and be empty (a fresh staging directory that stands for the project folder). */
  target: string;
  scope: ExportScope;
  /**
   * How far up from `target` a symlink may point, as a number of levels. 0 keeps links inside
   * `target`, which stands for the project folder: workspace links `node_modules/a -> ../packages/a`
   * stay inside it. Higher values are for callers whose target is deeper than the project root.
   */
  symlinkRootLevels?: number;
  limits?: Partial<ExtractLimits>;
}

/** Issues listed one by one; past this, they are counted. */
export const MAX_ISSUES = 1000;

export interface ExportIssue {
  path: string;
  /** `rejected`: not extracted. `neutralised`: extracted with permissions reduced. */
  action: 'rejected' | 'neutralised';
  reason: string;
}

/** A file outside node_modules that came back: what a script created or changed in the project. */
export interface ExportedProjectFile {
  path: string;
  type: 'file' | 'symlink';
  /** sha256 of the content (files), hex. */
  sha256?: string;
  bytes: number;
  mode: number;
  /** The link's target (symlinks). */
  target?: string;
}

export interface ExtractResult {
  /** The node_modules folders that came back, relative to the project. */
  roots: string[];
  /** Files outside node_modules that came back, in archive order. */
  projectFiles: ExportedProjectFile[];
  files: number;
  directories: number;
  symlinks: number;
  hardlinks: number;
  bytes: number;
  issues: ExportIssue[];
}

/**
 * Names that never come back from the sandbox, wherever they are outside node_modules: the sandbox
 * had sanitized copies (credentials removed), which would overwrite the real ones.
 */
const NEVER_EXPORTED_NAMES = new Set(['.npmrc', '.yarnrc.yml']);
/**
 * safe-install's own policy files (as @safe-install/policy names them): a script that rewrote the
 * policy would widen its own allowances for every later run.
 */
const POLICY_FILE_NAMES = new Set(['safe-install.config.json', 'safe-install.config.yaml', 'safe-install.config.yml']);
/** Names that never come back from a package folder (the root, a workspace, a `file:` folder). */
const PACKAGE_FOLDER_NAMES = new Set(['package.json', 'package-lock.json', 'npm-shrinkwrap.json']);

/**
 * Why a project file (outside node_modules) never comes back, or null when it may. Manifests and
 * lockfiles of package folders are what a tampering dependency rewrites (the policy reports the
 * change); `.git` holds configuration that runs code on the host (core.hooksPath, core.fsmonitor,
 * hooks); `.npmrc` and `.env*` were replaced by decoys in the upload, so what comes back would
 * overwrite the real ones with decoys.
 */
export function projectFileRefusal(path: string, folders: ReadonlySet<string> | 'any'): string | null {
  const parts = path.split('/');
  const name = parts[parts.length - 1]!;
  if (parts.includes('.git')) return '`.git` never comes back from the sandbox';
  if (NEVER_EXPORTED_NAMES.has(name) || name.startsWith('.env')) return `${name} was replaced by a ${name === '.yarnrc.yml' ? 'copy without its credentials' : 'decoy'} in the sandbox and never comes back`;
  if (POLICY_FILE_NAMES.has(name)) return `${name} is safe-install's policy and never comes back from the sandbox (a script must not write its own allowances)`;
  if (PACKAGE_FOLDER_NAMES.has(name) && (folders === 'any' || folders.has(parts.slice(0, -1).join('/')))) return `a package folder's ${name} never comes back (a change to it is a finding)`;
  return null;
}

/**
 * A checked, normalised relative path and the root it falls under, or a reason it was refused.
 * The root is found from the path's first `node_modules` segment (one set lookup, whatever the
 * number of workspaces): `packages/a/node_modules/x` belongs to `packages/a/node_modules` when
 * `packages/a` is a package folder of the lockfile, and to nothing otherwise.
 */
export function checkEntryName(name: string, scope: ExportScope, maxLength: number): { path: string; root: EntryRoot } | { reason: string } {
  if (name.length > maxLength) return { reason: `path longer than ${maxLength}` };
  if (name.includes('\0')) return { reason: 'NUL in path' };
  if (name.includes('\\')) return { reason: 'backslash in path' };
  if (name.startsWith('/')) return { reason: 'absolute path' };
  const parts = name.split('/').filter((part) => part !== '' && part !== '.');
  if (parts.includes('..')) return { reason: '`..` in path' };
  const path = parts.join('/');
  const at = parts.indexOf('node_modules');
  if (at !== -1) {
    const folder = parts.slice(0, at).join('/');
    if (scope.anyFolder === true || scope.folders.has(folder) || scope.optionalFolders?.has(folder) === true) return { path, root: parts.slice(0, at + 1).join('/') };
    return { reason: `outside node_modules folders the lockfile expects (${parts.slice(0, at + 1).join('/').slice(0, 200)} is not one)` };
  }
  if (!scope.projectFiles || path === '') return { reason: 'outside node_modules' };
  if (scope.manifests?.includes(path)) return { path, root: '' };
  const refusal = projectFileRefusal(path, scope.anyFolder === true ? 'any' : scope.folders);
  return refusal === null ? { path, root: '' } : { reason: refusal };
}

/** Does a symlink at `linkPath` (relative to the extraction root) with `target` stay inside? */
export function symlinkStaysInside(linkPath: string, target: string, rootLevels: number): boolean {
  if (target === '' || target.includes('\0') || posix.isAbsolute(target)) return false;
  // Walk the target from the link's folder, counting levels below the root; it may never climb
  // more than `rootLevels` above it, not even on the way (`../../root/x` leaves and comes back).
  // `..` is only allowed before any name: the name may itself be a symlink, and the kernel
  // resolves `name/..` through it (`b -> .`, `c -> b/../..` leaves the tree), not as text.
  const folder = posix.dirname(linkPath).split('/').filter((part) => part !== '' && part !== '.');
  if (folder.includes('..')) return false;
  let depth = folder.length;
  let named = false;
  for (const part of target.split('/')) {
    if (part === '' || part === '.') continue;
    if (part !== '..') {
      named = true;
      depth += 1;
    } else if (named || --depth < -rootLevels) {
      return false;
    }
  }
  return true;
}

function sanitiseMode(mode: number, isDir: boolean): { mode: number; dropped: string[] } {
  const dropped: string[] = [];
  if (mode & 0o4000) dropped.push('setuid');
  if (mode & 0o2000) dropped.push('setgid');
  if (mode & 0o1000 && !isDir) dropped.push('sticky');
  if (mode & 0o002) dropped.push('world-writable');
  return { mode: mode & 0o775 & ~0o002, dropped };
}

/** Creates `abs` (never an existing file, never through a symlink) with `chunks` as its content. */
async function writeNewFile(abs: string, chunks: readonly Buffer[], mode: number): Promise<void> {
  const handle = await open(abs, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | constants.O_NOFOLLOW, mode);
  try {
    if (chunks.length > 0) await handle.writev(chunks as Buffer[]);
  } finally {
    await handle.close();
  }
}

/**
 * File writes in flight, bounded in number and bytes. The first failure is kept and rethrown by
 * the next `add` or by `all`, so a failed write still fails the extraction.
 */
class BackgroundWrites {
  static readonly MAX_WRITES = 32;
  static readonly MAX_BYTES = 64 * 1024 * 1024;
  readonly #inFlight = new Map<string, Promise<void>>();
  #bytes = 0;
  #error: unknown = null;

  async add(path: string, bytes: number, write: () => Promise<void>): Promise<void> {
    while (this.#inFlight.size > 0 && (this.#inFlight.size >= BackgroundWrites.MAX_WRITES || this.#bytes + bytes > BackgroundWrites.MAX_BYTES)) {
      await Promise.race(this.#inFlight.values());
    }
    this.#throwIfFailed();
    this.#bytes += bytes;
    const job = write()
      .catch((error: unknown) => {
        this.#error ??= error;
      })
      .finally(() => {
        this.#bytes -= bytes;
        this.#inFlight.delete(path);
      });
    this.#inFlight.set(path, job);
  }

  /** Wait for the write of `path`, if one is in flight (a hard link needs its target). */
  async done(path: string): Promise<void> {
    await this.#inFlight.get(path);
    this.#throwIfFailed();
  }

  async settled(): Promise<void> {
    await Promise.allSettled(this.#inFlight.values());
  }

  async all(): Promise<void> {
    await Promise.all(this.#inFlight.values());
    this.#throwIfFailed();
  }

  #throwIfFailed(): void {
    if (this.#error !== null) throw this.#error;
  }
}

export async function extractSafely(tar: Readable, options: ExtractOptions): Promise<ExtractResult> {
  const limits = { ...DEFAULT_EXTRACT_LIMITS, ...options.limits };
  const rootLevels = options.symlinkRootLevels ?? 0;
  const result: ExtractResult = { roots: [], projectFiles: [], files: 0, directories: 0, symlinks: 0, hardlinks: 0, bytes: 0, issues: [] };
  const seen = new Set<string>();
  const rootsSeen = new Set<string>();
  const symlinks = new Set<string>();
  const regularFiles = new Set<string>();
  const createdDirs = new Set<string>();
  let entries = 0;

  const fail = (reason: string) =>
    new SafeInstallError('EXPORT_REJECTED', 'infrastructure', `the sandbox's export was refused: ${reason}`);
  // Issues are kept up to a bound: a script that leaves a million refused files must not make a
  // million-line report. The rest are counted in one last issue.
  let unlisted = 0;
  const issue = (entry: ExportIssue) => {
    if (result.issues.length < MAX_ISSUES) result.issues.push(entry);
    else unlisted += 1;
  };
  const reject = (path: string, reason: string) => issue({ path, action: 'rejected', reason });

  /**
   * Why `path` cannot be written below its parents: one is a symlink we created (writing there
   * would follow it), or another entry that is not a folder (a file, link or dropped entry).
   */
  const blockedParent = (path: string): string | null => {
    const parts = path.split('/');
    for (let i = 1; i < parts.length; i++) {
      const parent = parts.slice(0, i).join('/');
      if (symlinks.has(parent)) return 'path goes through a symlink';
      if (seen.has(parent) && !createdDirs.has(parent)) return 'path goes through an entry that is not a folder';
    }
    return null;
  };
  const ensureParent = async (path: string) => {
    const parent = dirname(path);
    if (parent === '.' || createdDirs.has(parent)) return;
    await mkdir(join(options.target, parent), { recursive: true, mode: 0o755 });
    for (let p = parent; p !== '.' && !createdDirs.has(p); p = dirname(p)) createdDirs.add(p);
  };

  const writes = new BackgroundWrites();
  const extractor = extract();
  const work = (async () => {
    try {
      await extractEntries();
    } finally {
      // Nothing may still be writing when the caller removes a refused staging folder.
      await writes.settled();
    }
    await writes.all();
  })();

  async function extractEntries(): Promise<void> {
    for await (const entry of extractor) {
      const header: Header = entry.header;
      const drain = async () => {
        for await (const _chunk of entry) void _chunk;
      };
      entries += 1;
      if (entries > limits.maxEntries) throw fail(`more than ${limits.maxEntries} entries`);

      const checked = checkEntryName(header.name, options.scope, limits.maxPathLength);
      const shownName = header.name.slice(0, 300);
      if ('reason' in checked) {
        reject(shownName, checked.reason);
        await drain();
        continue;
      }
      const { path, root } = checked;
      // A folder made for an earlier entry's parents counts as seen, except for a folder entry.
      if ((seen.has(path) || createdDirs.has(path)) && !(header.type === 'directory' && createdDirs.has(path))) {
        reject(path, 'duplicate entry');
        await drain();
        continue;
      }
      const blocked = blockedParent(path);
      if (blocked !== null) {
        reject(path, blocked);
        await drain();
        continue;
      }
      if (path === root && header.type !== 'directory') {
        reject(path, `${root} must be a directory`);
        await drain();
        continue;
      }
      // Outside node_modules only files and links come back (their folders are made as parents).
      if (root === '' && header.type !== 'file' && header.type !== 'contiguous-file' && header.type !== 'symlink') {
        reject(path, `${header.type ?? 'unknown'} entries outside node_modules are not exported`);
        await drain();
        continue;
      }
      seen.add(path);
      if (root !== '' && !rootsSeen.has(root)) {
        rootsSeen.add(root);
        result.roots.push(root);
      }
      const abs = join(options.target, path);
      const { mode, dropped } = sanitiseMode(header.mode ?? 0o644, header.type === 'directory');

      switch (header.type) {
        case 'directory': {
          if (!createdDirs.has(path)) {
            await ensureParent(path);
            await mkdir(abs, { mode: mode | 0o700 });
            createdDirs.add(path);
            result.directories += 1;
          }
          await drain();
          break;
        }
        case 'file':
        case 'contiguous-file': {
          const size = header.size ?? 0;
          if (size > limits.maxFileBytes) throw fail(`${path} is larger than ${limits.maxFileBytes} bytes`);
          if (result.bytes + size > limits.maxTotalBytes) throw fail(`more than ${limits.maxTotalBytes} bytes in total`);
          await ensureParent(path);
          // Read the entry now (the stream must move on); write it in the background, a bounded
          // number at a time: one file after another, each open/write/close a round trip to the
          // thread pool, was most of an export's time.
          const chunks: Buffer[] = [];
          let read = 0;
          const hash = root === '' ? createHash('sha256') : null;
          for await (const chunk of entry as AsyncIterable<Buffer>) {
            read += chunk.length;
            if (read > size) throw fail(`${path} is longer than its header says`);
            chunks.push(chunk);
            hash?.update(chunk);
          }
          if (hash) result.projectFiles.push({ path, type: 'file', sha256: hash.digest('hex'), bytes: read, mode });
          await writes.add(path, read, () => writeNewFile(abs, chunks, mode));
          result.bytes += size;
          result.files += 1;
          regularFiles.add(path);
          break;
        }
        case 'symlink': {
          const target = header.linkname ?? '';
          if (!symlinkStaysInside(path, target, rootLevels)) {
            reject(path, `symlink points outside the tree (${JSON.stringify(target.slice(0, 200))})`);
          } else {
            await ensureParent(path);
            await symlink(target, abs);
            symlinks.add(path);
            result.symlinks += 1;
            if (root === '') result.projectFiles.push({ path, type: 'symlink', bytes: 0, mode: 0o777, target });
          }
          await drain();
          break;
        }
        case 'link': {
          const checkedTarget = checkEntryName(header.linkname ?? '', options.scope, limits.maxPathLength);
          if ('reason' in checkedTarget || !regularFiles.has(checkedTarget.path)) {
            reject(path, `hard link to something that is not a file in the tree (${JSON.stringify((header.linkname ?? '').slice(0, 200))})`);
          } else if (checkedTarget.root !== root) {
            reject(path, `hard link across export roots (${JSON.stringify(checkedTarget.path.slice(0, 200))} is under ${checkedTarget.root || 'the project'})`);

          } else {
            await ensureParent(path);
            await writes.done(checkedTarget.path);
            await link(join(options.target, checkedTarget.path), abs);
            result.hardlinks += 1;
          }
          await drain();
          break;
        }
        default: {
          reject(path, `${header.type ?? 'unknown'} entries are not allowed`);
          await drain();
          continue;
        }
      }
      if (dropped.length > 0 && (header.type === 'file' || header.type === 'directory' || header.type === 'contiguous-file')) {
        issue({ path, action: 'neutralised', reason: `removed ${dropped.join(', ')}` });
      }
    }
  }

  // Run the pipe and the extraction together. A failure in either stops both: a refused export
  // destroys the stream so the engine stops sending, and neither promise is left unhandled.
  const piping = pipeline(tar, extractor);
  const stopped = work.catch((error: unknown) => {
    extractor.destroy(error as Error);
    throw error;
  });
  piping.catch(() => undefined);
  stopped.catch(() => undefined);
  const [extracted, piped] = await Promise.allSettled([stopped, piping]);
  // The extraction's own reason first (a limit, a refused entry): the pipe then only says it was
  // cut short. Otherwise the pipe's: the source's own error says why it stopped.
  const failures = [extracted, piped].flatMap((outcome) => (outcome.status === 'rejected' ? [outcome.reason as unknown] : []));
  const own = failures.find((error) => error instanceof SafeInstallError);
  if (own) throw own;
  const cause = piped.status === 'rejected' ? (piped.reason as Error) : (failures[0] as Error | undefined);
  // A broken stream (bad header, cut short) is as much a refused export as a limit.
  if (cause) throw fail(`the archive is damaged: ${cause.message}`);
  if (unlisted > 0) result.issues.push({ path: '…', action: 'rejected', reason: `${unlisted} more entries refused or changed (not listed)` });
  return result;
}
