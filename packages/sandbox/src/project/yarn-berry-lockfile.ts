/**
 * Yarn Berry's lockfile (yarn.lock with `__metadata`, Yarn 2–4), checked on the host before anything
 * starts: parsed and validated by the tracer's reader (the runner reads the same bytes for
 * attribution), every workspace it names has a package.json, and every local package (`file:`,
 * `portal:`, `link:`) stays inside the project. Whether package.json and the lockfile agree is
 * Yarn's own check: `yarn install --immutable` refuses a lockfile it would change (exit 3).
 */
import { posix } from 'node:path';
import { SafeInstallError, type PackageRef } from '@safe-install/schema';
import { parseYarnBerryLock, safeRelativePath, yarnBerryLockedPackages, yarnUnpluggedFolder, YarnBerryLockError, type YarnBerryLock } from '@safe-install/tracer';
import type { LockfileSummary } from './lockfile.js';
import type { LockfileReader } from './read-project.js';

const HINT = 'regenerate it with `yarn install`, review the change, and commit it';
const shown = (text: string): string => JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);
const LOCAL = new Set(['file:', 'portal:', 'link:']);
/** Where PnP unplugs packages (Yarn's default pnpUnpluggedFolder; forced in the sandbox's environment). */
export const UNPLUGGED = '.yarn/unplugged';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** The folder a local reference names, relative to the project (its `::locator=` suffix dropped), or null when it leaves it. */
export function localFolder(reference: string): string | null {
  const path = decodeURIComponent(reference.split('::')[0]!.split('#')[0]!);
  const normal = posix.normalize(path);
  return normal === '.' ? '.' : safeRelativePath(normal);
}

/** Validate a Berry yarn.lock against the project. Throws LOCKFILE_INVALID (usage, exit 2). */
export async function checkYarnBerryLockfile(manifest: Record<string, unknown>, content: Buffer, name: string, manifestOf: (folder: string) => Promise<unknown>): Promise<LockfileSummary> {
  const invalid = (why: string) => new SafeInstallError('LOCKFILE_INVALID', 'usage', `${name} is not a usable Yarn Berry lockfile: ${why}`, { hint: HINT });
  let lock: YarnBerryLock;
  try {
    lock = parseYarnBerryLock(content);
  } catch (error) {
    if (error instanceof YarnBerryLockError) throw invalid(error.message);
    throw error;
  }
  const names = new Map<string, PackageRef>();
  const folders = new Set<string>();
  for (const folder of lock.workspaces.keys()) {
    const own = folder === '' ? manifest : await manifestOf(folder);
    if (folder !== '') {
      if (own === null) throw invalid(`${shown(folder)} is a workspace of the lockfile but has no package.json`);
      folders.add(folder);
    }
    if (isRecord(own) && typeof own['name'] === 'string') names.set(folder, { name: own['name'], version: typeof own['version'] === 'string' ? own['version'] : '' });
  }
  const tarballs = new Set<string>();
  for (const pkg of lock.packages) {
    if (!LOCAL.has(pkg.protocol)) continue;
    const path = localFolder(pkg.reference);
    if (path === null) throw invalid(`${shown(pkg.resolution)} is installed from outside the project`);
    if (path === '.') continue;
    if (/\.(tgz|tar\.gz|tar)$/.test(path)) tarballs.add(path);
    else folders.add(path);
  }
  const identities = yarnBerryLockedPackages(lock, names);
  const seen = new Set<string>();
  const locked: PackageRef[] = [];
  for (const pkg of lock.packages) {
    if (pkg.protocol === 'workspace:' || seen.has(`${pkg.name}@${pkg.version}`)) continue;
    seen.add(`${pkg.name}@${pkg.version}`);
    locked.push({ name: pkg.name, version: pkg.version });
  }
  const unplugged = lock.packages.filter((pkg) => pkg.protocol !== 'workspace:').map((pkg) => ({ folder: `${UNPLUGGED}/${yarnUnpluggedFolder(pkg)}`, package: { name: pkg.name, version: pkg.version } }));
  return { lockfileVersion: lock.lockVersion, workspaces: [...folders].sort(), tarballs: [...tarballs].sort(), packages: lock.packages.length, identities, locked, unplugged };
}

/** Yarn Berry's project: yarn.lock, and .yarnrc.yml (its settings: linker, scripts, registries). */
export const YARN_BERRY_LOCKFILE: LockfileReader = {
  names: ['yarn.lock'],
  rootFiles: ['.yarnrc.yml'],
  // Yarn's own output, rebuilt by every install (as node_modules is): a host copy uploaded would be
  // taken as already unplugged and built (its `.ready` file), and come back as it went in.
  skipFolders: [UNPLUGGED],
  missing: { message: 'no yarn.lock in {root}: safe-install ci installs exactly what a lockfile pins', hint: 'create one with `yarn install` and commit it' },
  check: checkYarnBerryLockfile,
};
