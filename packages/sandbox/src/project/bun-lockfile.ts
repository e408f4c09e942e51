/**
 * Bun's lockfile (bun.lock, the text format), checked on the host before anything starts: parsed
 * and validated by the tracer's reader (the runner reads the same bytes for attribution), every
 * folder it names inside the project, and each workspace's pins compared with its package.json
 * (what `bun install --frozen-lockfile` refuses). The old binary bun.lockb is refused with a hint.
 */
import { SafeInstallError, type PackageRef } from '@safe-install/schema';
import { bunLockedPackages, BunLockError, parseBunLock, pnpmInstalledPackages, type BunLock } from '@safe-install/tracer';
import type { LockfileSummary } from './lockfile.js';
import type { LockfileReader } from './read-project.js';

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;
const BUN_HINT = 'regenerate it with `bun install --lockfile-only`, review the change, and commit it';

const isRecord = (value: unknown): value is Record<string, unknown> => typeof value === 'object' && value !== null && !Array.isArray(value);
const shown = (text: string): string => JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);

/** Differences between one workspace's package.json and its pins in bun.lock. */
export function bunWorkspaceMismatches(folder: string, manifest: unknown, lock: BunLock): string[] {
  const workspace = lock.workspaces.get(folder);
  if (workspace === undefined) return [`${folder === '' ? 'the root' : shown(folder)} is not in the lockfile`];
  const problems: string[] = [];
  const where = folder === '' ? '' : `${folder}: `;
  for (const field of DEPENDENCY_FIELDS) {
    const declared = isRecord(manifest) && isRecord(manifest[field]) ? manifest[field] : {};
    const pinned = workspace.dependencies[field] ?? {};
    for (const [name, spec] of Object.entries(declared)) {
      if (typeof spec !== 'string') continue;
      const pin = Object.hasOwn(pinned, name) ? pinned[name] : undefined;
      if (pin === undefined) problems.push(`${where}${field}.${shown(name)} is in package.json but not in the lockfile`);
      else if (pin !== spec) problems.push(`${where}${field}.${shown(name)} is ${shown(spec)} in package.json but ${shown(pin)} in the lockfile`);
    }
    for (const name of Object.keys(pinned)) if (!Object.hasOwn(declared, name)) problems.push(`${where}${field}.${shown(name)} is in the lockfile but not in package.json`);
  }
  return problems;
}

/** Validate bun.lock against the project's manifests. Throws LOCKFILE_INVALID / LOCKFILE_OUT_OF_SYNC (usage, exit 2). */
export async function checkBunLockfile(manifest: Record<string, unknown>, content: Buffer, name: string, manifestOf: (folder: string) => Promise<unknown>, options: { inSync: boolean } = { inSync: true }): Promise<LockfileSummary> {
  if (name === 'bun.lockb') {
    throw new SafeInstallError('LOCKFILE_INVALID', 'usage', 'bun.lockb is Bun\'s old binary lockfile, which safe-install does not read (it cannot be reviewed or checked as text)', {
      hint: 'convert it with `bun install --save-text-lockfile --frozen-lockfile --lockfile-only`, commit bun.lock and remove bun.lockb',
    });
  }
  let lock: BunLock;
  try {
    lock = parseBunLock(content);
  } catch (error) {
    if (error instanceof BunLockError) throw new SafeInstallError('LOCKFILE_INVALID', 'usage', `${name} is not a usable Bun lockfile: ${error.message}`, { hint: BUN_HINT });
    throw error;
  }
  const problems: string[] = [];
  const names = new Map<string, PackageRef>();
  const folders = new Set<string>();
  for (const folder of lock.workspaces.keys()) {
    const own = folder === '' ? manifest : await manifestOf(folder);
    if (folder !== '') {
      folders.add(folder);
      if (own === null) {
        problems.push(`${shown(folder)} is a workspace of the lockfile but has no package.json`);
        continue;
      }
    }
    if (isRecord(own) && typeof own['name'] === 'string') names.set(folder, { name: own['name'], version: typeof own['version'] === 'string' ? own['version'] : '' });
    problems.push(...bunWorkspaceMismatches(folder, own, lock));
  }
  const tarballs = new Set<string>();
  for (const pkg of lock.packages.values()) {
    if (pkg.directory !== undefined && pkg.directory !== '') folders.add(pkg.directory);
    if (pkg.tarball !== undefined) tarballs.add(pkg.tarball);
  }
  if (problems.length > 0 && options.inSync) {
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new SafeInstallError('LOCKFILE_OUT_OF_SYNC', 'usage', `package.json and ${name} are out of sync: ${problems.slice(0, 5).join('; ')}${more}`, {
      hint: 'run `bun install` to update the lockfile, review the change, and commit it',
    });
  }
  const identities = bunLockedPackages(lock, names);
  return {
    lockfileVersion: lock.lockfileVersion,
    workspaces: [...folders].sort(),
    tarballs: [...tarballs].sort(),
    packages: lock.packages.size,
    identities,
    // The same rule as pnpm's: the lockfile's installed packages, once each, no workspaces.
    locked: pnpmInstalledPackages(identities),
  };
}

/** Bun's project: bun.lock (bun.lockb is found, and refused), and bunfig.toml (uploaded; its settings that decide tracing are overridden). */
export const BUN_LOCKFILE: LockfileReader = {
  names: ['bun.lock', 'bun.lockb'],
  rootFiles: ['bunfig.toml'],
  missing: { message: 'no bun.lock in {root}: safe-install ci installs exactly what a lockfile pins', hint: 'create one with `bun install --lockfile-only` and commit it' },
  check: checkBunLockfile,
};
