/**
 * Read what an install needs from a project folder on the host. Only reads; every path that comes
 * from project data (lockfile keys) is checked to stay inside the project.
 */
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { SafeInstallError } from '@safe-install/schema';
import { checkLockfile, type LockfileSummary } from './lockfile.js';
import { stripNpmrcCredentials, stripNpmrcSandboxKeys } from './npmrc.js';

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
  /** Root lifecycle scripts npm ci will run (their presence makes the whole project uploaded). */
  rootScripts: string[];
  /** The project is a git work tree (its .git is never uploaded; see planUpload). */
  isGitRepo: boolean;
  /** Credential keys removed from the project's .npmrc before upload (names only). */
  removedCredentials: string[];
}

const LOCKFILES = ['npm-shrinkwrap.json', 'package-lock.json'];
const MAX_MANIFEST_BYTES = 64 * 1024 * 1024;

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

/** Names never uploaded from a local package folder. */
const SKIPPED_NAMES = new Set(['node_modules', '.git']);
const MAX_FOLDER_BYTES = 512 * 1024 * 1024;

/**
 * Every regular file under `root/folder` (`''` for the whole project), except node_modules and
 * .git. `.env*` files go to `envFiles`, never to the result: they hold real secrets, and only decoy
 * versions of them may be uploaded. Symlinks are not followed: a link could point anywhere.
 */
async function readFolder(root: string, folder: string, envFiles: ProjectFile[]): Promise<ProjectFile[]> {
  const files: ProjectFile[] = [];
  let total = 0;
  const walk = async (relative: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(join(root, relative), { withFileTypes: true });
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return;
      throw error;
    }
    for (const entry of entries) {
      if (SKIPPED_NAMES.has(entry.name)) continue;
      const path = relative ? `${relative}/${entry.name}` : entry.name;
      if (entry.isDirectory()) await walk(path);
      else if (entry.isFile()) {
        const info = await stat(join(root, path));
        total += info.size;
        if (total > MAX_FOLDER_BYTES) {
          throw new SafeInstallError('PROJECT_FILE_TOO_LARGE', 'usage', `${folder || 'the project'} is larger than ${MAX_FOLDER_BYTES} bytes`);
        }
        const file = { path, content: await readFile(join(root, path)), mode: info.mode & 0o755 };
        (entry.name.startsWith('.env') ? envFiles : files).push(file);
      }
    }
  };
  await walk(folder);
  return files;
}

/** Lifecycle scripts of the root package that npm ci runs: they need the project's sources. */
const ROOT_SCRIPTS = ['preinstall', 'install', 'postinstall', 'preprepare', 'prepare', 'postprepare'];

export async function readProject(dir: string): Promise<Project> {
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
  for (const name of LOCKFILES) {
    lockBytes = await readIfExists(join(root, name));
    if (lockBytes !== null) {
      lockfileName = name;
      break;
    }
  }
  if (lockBytes === null || lockfileName === undefined) {
    throw new SafeInstallError('LOCKFILE_MISSING', 'usage', `no package-lock.json in ${root}: safe-install ci installs exactly what a lockfile pins`, {
      hint: 'create one with `npm install --package-lock-only` and commit it',
    });
  }
  const lockPath = join(root, lockfileName);
  const lockfile = checkLockfile(manifest, parseJson(lockBytes, lockPath), lockfileName);

  const files: ProjectFile[] = [
    { path: 'package.json', content: manifestBytes, mode: 0o644 },
    { path: lockfileName, content: lockBytes, mode: 0o644 },
  ];
  const npmrc = await readIfExists(join(root, '.npmrc'));
  let removedCredentials: string[] = [];
  if (npmrc !== null) {
    const { safe: withoutCredentials, removed } = stripNpmrcCredentials(npmrc.toString('utf8'));
    const { safe } = stripNpmrcSandboxKeys(withoutCredentials);
    removedCredentials = removed;
    files.push({ path: '.npmrc', content: Buffer.from(safe), mode: 0o644 });
  }
  const envFiles: ProjectFile[] = [];
  const scripts = (manifest as { scripts?: unknown }).scripts;
  const rootScripts = typeof scripts === 'object' && scripts !== null ? ROOT_SCRIPTS.filter((name) => name in scripts) : [];
  if (rootScripts.length > 0) {
    // The root's own scripts (husky's `prepare`, a build) run in the sandbox: upload the sources.
    const known = new Set(files.map((file) => file.path));
    files.push(...(await readFolder(root, '', envFiles)).filter((file) => !known.has(file.path)));
  } else {
    // Workspaces and `file:` dependencies are installed from their folders: upload them whole.
    for (const folder of lockfile.workspaces) files.push(...(await readFolder(root, folder, envFiles)));
    for (const entry of await readdir(root, { withFileTypes: true })) {
      if (entry.isFile() && entry.name.startsWith('.env')) envFiles.push({ path: entry.name, content: await readFile(join(root, entry.name)), mode: 0o644 });
    }
  }
  for (const tarball of lockfile.tarballs) {
    if (files.some((file) => file.path === tarball)) continue;
    const content = await readIfExists(join(root, tarball));
    if (content === null) throw new SafeInstallError('PROJECT_FILE_MISSING', 'usage', `the lockfile installs from ${tarball}, which is not in ${root}`);
    files.push({ path: tarball, content, mode: 0o644 });
  }
  const isGitRepo = (await stat(join(root, '.git')).catch(() => null)) !== null;
  return { root, manifest: manifest as Record<string, unknown>, lockfileName, lockfile, files, envFiles, removedCredentials, rootScripts, isGitRepo };
}
