/**
 * Read what an install needs from a project folder on the host. Only reads; every path that comes
 * from project data (lockfile keys) is checked to stay inside the project.
 */
import { readdir, readFile, realpath, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SafeInstallError } from '@safe-install/schema';
import { checkLockfile, type LockfileSummary } from './lockfile.js';
import { sanitizeNpmrc, type RemovedKey } from './npmrc.js';
import { readGitStandIn, type GitStandIn } from './git-stand-in.js';

/** A file to place in the sandbox, relative to the project root. */
export interface ProjectFile {
  path: string;
  content: Buffer;
  mode: number;
}

export interface Project {
  root: string;
  manifest: Record<string, unknown>;
  lockfileName: string;
  lockfile: LockfileSummary;
  /** Files uploaded into the sandbox's project folder. */
  files: ProjectFile[];
  /**
   * The project's `.env*` files, with their REAL content. Never upload these: only decoy versions
   * with the same keys (see planUpload).
   */
  envFiles: ProjectFile[];
  /**
   * Lifecycle scripts npm ci runs for the root or a workspace (`<folder>:<event>`, the root's
   * folder is `.`). Any one makes the whole project uploaded: scripts read sources anywhere in it.
   */
  rootScripts: string[];
  /** What stands in for the project's `.git` (the real one is never uploaded; see git-stand-in). */
  git: GitStandIn | null;
  /** Every uploaded `.npmrc`, sanitized: what was removed from it (names only, never values). */
  npmrcFiles: NpmrcReport[];
}

export interface NpmrcReport {
  /** Relative to the project root. */
  path: string;
  /** Credential keys removed; the upload plan puts decoy tokens in their place. */
  credentials: string[];
  /** Settings the sandbox decides, removed (see npmrc.ts). */
  removed: RemovedKey[];
}

/**
 * What tells one package manager's project from another's: its lockfiles, the other root files it
 * reads, and its check of the lockfile (untrusted input) against the manifests.
 */
export interface LockfileReader {
  /** The manager's lockfile names, in the order it reads them. */
  names: readonly string[];
  /** Root files it reads besides package.json, the lockfile and .npmrc (uploaded when present). */
  rootFiles?: readonly string[];
  /** Project folders (relative) never uploaded: the manager's own output, which the install rebuilds. */
  skipFolders?: readonly string[];
  /** The usage error when there is none (message and hint). */
  missing: { message: string; hint: string };
  /**
   * Validate the lockfile against the project: throws a usage SafeInstallError when it is not usable
   * or out of sync. `manifestOf` reads a folder's package.json (null when missing or not JSON).
   * `inSync: false`: a lockfile out of sync with the manifests is taken (a job that rewrites it).
   */
  check(manifest: Record<string, unknown>, content: Buffer, name: string, manifestOf: (folder: string) => Promise<unknown>, options: { inSync: boolean }): Promise<LockfileSummary> | LockfileSummary;
  /** The summary of a project with no lockfile yet, for a job that writes one (none: a lockfile is required). */
  empty?(manifest: Record<string, unknown>): LockfileSummary;
}

/** npm's lockfiles (package-lock.json v2/v3, or the shrinkwrap that wins over it). */
export const NPM_LOCKFILE: LockfileReader = {
  names: ['npm-shrinkwrap.json', 'package-lock.json'],
  missing: { message: 'no package-lock.json in {root}: safe-install ci installs exactly what a lockfile pins', hint: 'create one with `npm install --package-lock-only` and commit it' },
  check: (manifest, content, name, _manifestOf, options) => checkLockfile(manifest, parseJson(content, name), name, options),
  empty: (manifest) => checkLockfile(manifest, { lockfileVersion: 3, packages: { '': {} } }, 'package-lock.json', { inSync: false }),
};

/** The largest package.json or lockfile read (the project's, or one that came back from the sandbox). */
export const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

async function readIfExists(path: string): Promise<Buffer | null> {
  try {
    const info = await stat(path);
    if (!info.isFile()) return null;
    if (info.size > MAX_MANIFEST_BYTES) {
      throw new SafeInstallError('PROJECT_FILE_TOO_LARGE', 'usage', `${path} is larger than ${MAX_MANIFEST_BYTES} bytes`);
    }
    return await readFile(path);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
}

function parseJson(content: Buffer, path: string): unknown {
  try {
    return JSON.parse(content.toString('utf8'));
  } catch (error) {
    throw new SafeInstallError('PROJECT_JSON_INVALID', 'usage', `${path} is not valid JSON: ${(error as Error).message}`);
  }
}

const MAX_FOLDER_BYTES = 512 * 1024 * 1024;

/**
 * Where real secrets may sit in an uploaded folder, and what goes up instead: `.env*` files go to
 * `envFiles` (only decoy versions with the same keys are uploaded), and every `.npmrc` is
 * sanitized (credentials and settings the sandbox decides removed; decoys go in later).
 */
interface Collected {
  files: ProjectFile[];
  envFiles: ProjectFile[];
  npmrcFiles: NpmrcReport[];
  /** Bytes read so far, against MAX_FOLDER_BYTES. */
  total: number;
}

function collect(into: Collected, path: string, content: Buffer, mode: number): void {
  const name = path.slice(path.lastIndexOf('/') + 1);
  if (name.startsWith('.env')) {
    into.envFiles.push({ path, content, mode });
  } else if (name === '.npmrc') {
    const { safe, credentials, removed } = sanitizeNpmrc(content.toString('utf8'));
    into.npmrcFiles.push({ path, credentials, removed });
    into.files.push({ path, content: Buffer.from(safe), mode });
  } else {
    into.files.push({ path, content, mode });
  }
}

/**
 * Every regular file under `root/folder` (`''` for the whole project), except .git, the
 * `node_modules` folders npm ci empties before it installs (`skipModules`: the root's and each
 * lockfile folder's), and the files `known` already holds. Symlinks are not followed: a link could
 * point anywhere.
 */
async function readFolder(root: string, folder: string, into: Collected, skipModules: ReadonlySet<string>, known: Set<string>, skipFolders: ReadonlySet<string> = new Set()): Promise<void> {
  // A lockfile folder reached through a symlink (`packages -> ~/.ssh`) would upload what it points
  // at: only folders that really are inside the project are read.
  const [real, realRoot] = await Promise.all([realpath(join(root, folder)).catch(() => null), realpath(root)]);
  if (real === null) return;
  if (real !== realRoot && !real.startsWith(`${realRoot}/`)) {
    throw new SafeInstallError('PROJECT_PATH_OUTSIDE', 'usage', `${folder} is a link to a folder outside the project (${real}); safe-install uploads only the project's own files`);
  }
  const walk = async (relative: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(root, relative), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      if (entry.name === '.git') continue;
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.name === 'node_modules' && skipModules.has(relative)) continue;
      if (entry.isDirectory() && skipFolders.has(path)) continue;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile() && !known.has(path)) {
        known.add(path);
        const info = await stat(join(root, path));
        into.total += info.size;
        if (into.total > MAX_FOLDER_BYTES) {
          throw new SafeInstallError('PROJECT_FILE_TOO_LARGE', 'usage', `the files uploaded from ${root} are larger than ${MAX_FOLDER_BYTES} bytes`);
        }
        collect(into, path, await readFile(join(root, path)), info.mode & 0o755);
      }
    }
  };
  await walk(folder);
}

/**
 * Lifecycle scripts npm 11's `ci` runs for the root (lib/commands/ci.js, then arborist's reify for
 * the `dependencies` trio) and for each workspace (arborist's rebuild of links).
 */
const ROOT_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepublish', 'preprepare', 'prepare', 'postprepare', 'predependencies', 'dependencies', 'postdependencies'];
const WORKSPACE_SCRIPTS = ['preinstall', 'install', 'postinstall', 'prepare'];

function scriptsOf(manifest: unknown, events: readonly string[]): string[] {
  const scripts = typeof manifest === 'object' && manifest !== null ? (manifest as { scripts?: unknown }).scripts : undefined;
  if (typeof scripts !== 'object' || scripts === null) return [];
  return events.filter((event) => typeof (scripts as Record<string, unknown>)[event] === 'string');
}

/**
 * `lockfileInSync: false`: for a job that rewrites the lockfile (`install`, `update`), a lockfile
 * out of sync with package.json is read too (the install brings it in sync); it must still be valid.
 * `lockfileOptional`: such a job may also start without one (not in a workspaces project): the
 * project then has an empty lockfile summary and uploads no lockfile.
 */
export interface ReadProjectOptions {
  lockfileInSync?: boolean;
  lockfileOptional?: boolean;
}

export function readProject(dir: string, options: ReadProjectOptions = {}): Promise<Project> {
  return readProjectWith(dir, NPM_LOCKFILE, options);
}

/** Read a project whose lockfile `reader` knows (npm's by default; pnpm's in @safe-install/core). */
export async function readProjectWith(dir: string, reader: LockfileReader, options: ReadProjectOptions = {}): Promise<Project> {
  const root = resolve(dir);
  const rootInfo = await stat(root).catch(() => null);
  if (!rootInfo?.isDirectory()) {
    throw new SafeInstallError('PROJECT_NOT_FOUND', 'usage', `${root} is not a directory`);
  }
  const manifestPath = join(root, 'package.json');
  const manifestBytes = await readIfExists(manifestPath);
  if (manifestBytes === null) {
    throw new SafeInstallError('MANIFEST_MISSING', 'usage', `no package.json in ${root}`);
  }
  const manifest = parseJson(manifestBytes, manifestPath);
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) {
    throw new SafeInstallError('PROJECT_JSON_INVALID', 'usage', `${manifestPath} is not a JSON object`);
  }

  let lockfileName: string | undefined;
  let lockBytes: Buffer | null = null;
  for (const name of reader.names) {
    lockBytes = await readIfExists(join(root, name));
    if (lockBytes !== null) {
      lockfileName = name;
      break;
    }
  }
  // An install job may start without a lockfile (it writes one), unless workspaces need one to be
  // found and uploaded: the lockfile is what names their folders.
  const noLockfileYet = (lockBytes === null || lockfileName === undefined) && options.lockfileOptional === true && reader.empty !== undefined && (manifest as Record<string, unknown>)['workspaces'] === undefined;
  if ((lockBytes === null || lockfileName === undefined) && !noLockfileYet) {
    throw new SafeInstallError('LOCKFILE_MISSING', 'usage', reader.missing.message.replace('{root}', root), { hint: reader.missing.hint });
  }
  lockfileName ??= reader.names.at(-1)!;
  const manifestOf = async (folder: string): Promise<unknown> => {
    const bytes = await readIfExists(join(root, folder, 'package.json')).catch(() => null);
    if (bytes === null) return null;
    try {
      return JSON.parse(bytes.toString('utf8')) as unknown;
    } catch {
      return null;
    }
  };
  const lockfile = lockBytes === null
    ? reader.empty!(manifest as Record<string, unknown>)
    : await reader.check(manifest as Record<string, unknown>, lockBytes, lockfileName, manifestOf, { inSync: options.lockfileInSync !== false });

  const files: ProjectFile[] = [
    { path: 'package.json', content: manifestBytes, mode: 0o644 },
    ...(lockBytes === null ? [] : [{ path: lockfileName, content: lockBytes, mode: 0o644 }]),
  ];
  for (const name of reader.rootFiles ?? []) {
    const content = await readIfExists(join(root, name));
    if (content !== null) files.push({ path: name, content, mode: 0o644 });
  }
  const into: Collected = { files, envFiles: [], npmrcFiles: [], total: 0 };
  // Read through a symlink, as npm reads it; sanitized like every other uploaded .npmrc.
  const npmrc = await readIfExists(join(root, '.npmrc'));
  if (npmrc !== null) collect(into, '.npmrc', npmrc, 0o644);
  const rootScripts = scriptsOf(manifest, ROOT_SCRIPTS).map((event) => `.:${event}`);
  for (const folder of lockfile.workspaces) {
    const workspaceManifest = await readIfExists(join(root, folder, 'package.json'));
    if (workspaceManifest === null) continue;
    let parsed: unknown = null;
    try {
      parsed = JSON.parse(workspaceManifest.toString('utf8'));
    } catch {
      // npm reports a broken workspace manifest itself, in the sandbox.
    }
    rootScripts.push(...scriptsOf(parsed, WORKSPACE_SCRIPTS).map((event) => `${folder}:${event}`));
  }
  const skipModules = new Set(['', ...lockfile.workspaces]);
  const known = new Set(files.map((file) => file.path));
  if (rootScripts.length > 0) {
    // Scripts of the root or of a workspace run in the sandbox (husky's `prepare`, a build, a
    // `dependencies` step): they read sources anywhere in the project, as on the host.
    await readFolder(root, '', into, skipModules, known, new Set(reader.skipFolders ?? []));
  } else {
    // Workspaces and `file:` dependencies are installed from their folders: upload them whole.
    for (const folder of lockfile.workspaces) await readFolder(root, folder, into, skipModules, known);
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (entry.isFile() && entry.name.startsWith('.env')) collect(into, entry.name, await readFile(join(root, entry.name)), 0o644);
    }
  }
  const uploaded = new Set(files.map((file) => file.path));
  for (const tarball of lockfile.tarballs) {
    if (uploaded.has(tarball)) continue;
    const content = await readIfExists(join(root, tarball));
    if (content === null) throw new SafeInstallError('PROJECT_FILE_MISSING', 'usage', `the lockfile installs from ${tarball}, which is not in ${root}`);
    files.push({ path: tarball, content, mode: 0o644 });
  }
  return {
    root,
    manifest: manifest as Record<string, unknown>,
    lockfileName,
    lockfile,
    files,
    envFiles: into.envFiles,
    npmrcFiles: into.npmrcFiles,
    rootScripts,
    git: await readGitStandIn(root),
  };
}
