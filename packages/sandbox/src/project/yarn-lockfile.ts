/**
 * Yarn classic's lockfile (yarn.lock v1), checked on the host before anything starts: parsed by the
 * tracer's reader (the runner reads the same bytes for attribution), and every dependency each
 * manifest declares (the root's and each workspace's) looked up by its pattern, `name@range`, as
 * `yarn install --frozen-lockfile` does; a workspace's own packages are linked, never locked.
 * Yarn 1 hoists, so the lockfile names no folders: the runner reads the installed tree for them
 * (runner/yarn-tree.ts); here the identities are the project's own folders.
 */
import { readdir, stat } from 'node:fs/promises';
import { join, posix } from 'node:path';
import { SafeInstallError, type PackageRef } from '@safe-install/schema';
import { parseYarnLock, safeRelativePath, yarnLockedPackages, yarnLockedRefs, YarnLockError, type YarnLock } from '@safe-install/tracer';
import type { LockfileSummary } from './lockfile.js';
import type { LockfileReader } from './read-project.js';

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;
const YARN_HINT = 'regenerate it with `yarn install` (Yarn 1), review the change, and commit it';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const shown = (text: string): string => JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);

/** The root's workspace patterns (`packages/*`, a plain folder), expanded one level as the runner does; inside the project only. */
export async function yarnWorkspaceFolders(root: string, manifest: Record<string, unknown>): Promise<string[]> {
  const field = manifest['workspaces'];
  const list = Array.isArray(field) ? field : isRecord(field) && Array.isArray(field['packages']) ? field['packages'] : [];
  const out = new Set<string>();
  for (const pattern of list.slice(0, 256)) {
    if (typeof pattern !== 'string') continue;
    const clean = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
    const star = /^(.*)\/\*$/.exec(clean);
    if (star === null && /[*?{}[\]!]/.test(clean)) {
      throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', `the workspace pattern ${shown(pattern)} is not supported yet for Yarn classic: use a folder or "<folder>/*"`);
    }
    const candidates = star === null ? [clean] : await readdir(join(root, star[1]!)).then((names) => names.map((name) => `${star[1]}/${name}`), () => []);
    for (const candidate of candidates) {
      const folder = safeRelativePath(posix.normalize(candidate));
      if (folder === null) throw new SafeInstallError('LOCKFILE_INVALID', 'usage', `the workspace pattern ${shown(pattern)} leaves the project`);
      if (folder.split('/').includes('node_modules')) continue;
      if ((await stat(join(root, folder)).catch(() => null))?.isDirectory() === true) out.add(folder);
    }
  }
  return [...out].sort();
}

/** Differences between the manifests and the lockfile (what a frozen Yarn 1 install refuses). */
export function yarnMismatches(manifests: ReadonlyMap<string, unknown>, lock: YarnLock): string[] {
  const workspaceNames = new Set<string>();
  for (const [folder, manifest] of manifests) if (folder !== '' && isRecord(manifest) && typeof manifest['name'] === 'string') workspaceNames.add(manifest['name']);
  const problems: string[] = [];
  for (const [folder, manifest] of manifests) {
    const where = folder === '' ? '' : `${folder}: `;
    for (const field of DEPENDENCY_FIELDS) {
      const declared = isRecord(manifest) && isRecord(manifest[field]) ? manifest[field] : {};
      for (const [name, spec] of Object.entries(declared)) {
        if (typeof spec !== 'string' || workspaceNames.has(name)) continue;
        if (!lock.byPattern.has(`${name}@${spec}`)) problems.push(`${where}${field}.${shown(name)} ${shown(spec)} is not in the lockfile`);
      }
    }
  }
  return problems;
}

/** Validate yarn.lock against the project's manifests. Throws LOCKFILE_INVALID / LOCKFILE_OUT_OF_SYNC (usage, exit 2). */
export async function checkYarnLockfile(root: string, manifest: Record<string, unknown>, content: Buffer, name: string, manifestOf: (folder: string) => Promise<unknown>, options: { inSync: boolean }): Promise<LockfileSummary> {
  let lock: YarnLock;
  try {
    lock = parseYarnLock(content);
  } catch (error) {
    if (error instanceof YarnLockError) throw new SafeInstallError('LOCKFILE_INVALID', 'usage', `${name} is not a usable Yarn 1 lockfile: ${error.message}`, { hint: YARN_HINT });
    throw error;
  }
  const tarballs = new Set<string>();
  for (const entry of lock.entries) {
    for (const pattern of entry.patterns) {
      const range = pattern.slice(entry.installedAs.length + 1);
      const local = /^(?:file|link):(.*)$/.exec(range)?.[1];
      if (local === undefined) continue;
      const path = safeRelativePath(posix.normalize(local));
      if (path === null) throw new SafeInstallError('LOCKFILE_INVALID', 'usage', `${name}: ${shown(pattern)} is installed from outside the project`, { hint: YARN_HINT });
      if (range.startsWith('link:')) throw new SafeInstallError('PACKAGE_MANAGER_UNSUPPORTED', 'usage', `${name}: ${shown(pattern)} is a link: dependency, which safe-install does not support yet for Yarn classic`);
      if (/\.(?:tgz|tar\.gz|tar)$/.test(path)) tarballs.add(path);
    }
  }
  const workspaces = await yarnWorkspaceFolders(root, manifest);
  const manifests = new Map<string, unknown>([['', manifest]]);
  const projects = new Map<string, PackageRef>();
  if (typeof manifest['name'] === 'string') projects.set('', { name: manifest['name'], version: typeof manifest['version'] === 'string' ? manifest['version'] : '' });
  for (const folder of workspaces) {
    const own = await manifestOf(folder);
    if (own === null) continue;
    manifests.set(folder, own);
    if (isRecord(own) && typeof own['name'] === 'string') projects.set(folder, { name: own['name'], version: typeof own['version'] === 'string' ? own['version'] : '' });
  }
  const problems = options.inSync ? yarnMismatches(manifests, lock) : [];
  if (problems.length > 0) {
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new SafeInstallError('LOCKFILE_OUT_OF_SYNC', 'usage', `package.json and ${name} are out of sync: ${problems.slice(0, 5).join('; ')}${more}`, {
      hint: 'run `yarn install` (Yarn 1) to update the lockfile, review the change, and commit it',
    });
  }
  return {
    lockfileVersion: 1,
    workspaces: [...manifests.keys()].filter((folder) => folder !== ''),
    tarballs: [...tarballs].sort(),
    packages: lock.entries.length,
    identities: yarnLockedPackages(lock, [], projects),
    locked: yarnLockedRefs(lock),
  };
}

/** Yarn classic's project in `root`: yarn.lock, its workspaces from package.json. */
export function yarnClassicLockfile(root: string): LockfileReader {
  return {
    names: ['yarn.lock'],
    missing: { message: 'no yarn.lock in {root}: safe-install ci installs exactly what a lockfile pins', hint: 'create one with `yarn install` (Yarn 1) and commit it' },
    check: (manifest, content, name, manifestOf, options) => checkYarnLockfile(root, manifest, content, name, manifestOf, options),
  };
}
