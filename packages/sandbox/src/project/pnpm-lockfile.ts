/**
 * pnpm's lockfile (pnpm-lock.yaml, v9), checked on the host before anything starts, as
 * lockfile.ts checks npm's: parsed and validated by the tracer's reader (the runner reads the same
 * bytes for attribution), every folder it names checked to stay inside the project, and each
 * importer's pins compared with its package.json (what `pnpm install --frozen-lockfile` refuses).
 */
import { posix } from 'node:path';
import { SafeInstallError, type PackageRef } from '@safe-install/schema';
import { parsePnpmLock, pnpmInstalledPackages, pnpmLockedPackages, PnpmLockError, safeRelativePath, type PnpmLock } from '@safe-install/tracer';
import type { LockfileSummary } from './lockfile.js';
import type { LockfileReader } from './read-project.js';

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies'] as const;
const PNPM_HINT = 'regenerate it with `pnpm install --lockfile-only`, review the change, and commit it';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const shown = (text: string): string => JSON.stringify(text.length > 100 ? `${text.slice(0, 100)}…` : text);

/** Differences between one importer's package.json and its pins in the lockfile. */
export function importerMismatches(folder: string, manifest: unknown, lock: PnpmLock): string[] {
  const importer = lock.importers.get(folder);
  if (importer === undefined) return [`${folder === '.' ? 'the root' : shown(folder)} is not in the lockfile`];
  const problems: string[] = [];
  const where = folder === '.' ? '' : `${folder}: `;
  for (const field of DEPENDENCY_FIELDS) {
    const declared = isRecord(manifest) && isRecord(manifest[field]) ? (manifest[field] as Record<string, unknown>) : {};
    const pinned = importer.dependencies[field] ?? {};
    for (const [name, spec] of Object.entries(declared)) {
      if (typeof spec !== 'string') continue;
      const pin = Object.hasOwn(pinned, name) ? pinned[name] : undefined;
      if (pin === undefined) problems.push(`${where}${field}.${shown(name)} is in package.json but not in the lockfile`);
      else if (pin.specifier !== spec) problems.push(`${where}${field}.${shown(name)} is ${shown(spec)} in package.json but ${shown(pin.specifier)} in the lockfile`);
    }
    for (const name of Object.keys(pinned)) {
      if (!Object.hasOwn(declared, name)) problems.push(`${where}${field}.${shown(name)} is in the lockfile but not in package.json`);
    }
  }
  return problems;
}

/** Validate pnpm-lock.yaml against the project's manifests (`inSync: false`: mismatches are allowed). Throws LOCKFILE_INVALID / LOCKFILE_OUT_OF_SYNC (usage, exit 2). */
export async function checkPnpmLockfile(
  manifest: Record<string, unknown>,
  content: Buffer,
  name: string,
  manifestOf: (folder: string) => Promise<unknown>,
  options: { inSync: boolean } = { inSync: true },
): Promise<LockfileSummary> {
  const invalid = (why: string) => new SafeInstallError('LOCKFILE_INVALID', 'usage', `${name} is not a usable pnpm lockfile: ${why}`, { hint: PNPM_HINT });
  let lock: PnpmLock;
  try {
    lock = parsePnpmLock(content);
  } catch (error) {
    if (error instanceof PnpmLockError) throw invalid(error.message);
    throw error;
  }
  if (!lock.importers.has('.')) throw invalid('it has no importer for the project root (".")');
  const problems: string[] = [];
  const names = new Map<string, PackageRef>();
  const folders = new Set<string>();
  for (const folder of lock.importers.keys()) {
    const own = folder === '.' ? manifest : await manifestOf(folder);
    if (folder !== '.') {
      folders.add(folder);
      if (own === null) {
        problems.push(`${shown(folder)} is an importer of the lockfile but has no package.json`);
        continue;
      }
    }
    if (isRecord(own) && typeof own['name'] === 'string') names.set(folder === '.' ? '' : folder, { name: own['name'], version: typeof own['version'] === 'string' ? own['version'] : '' });
    problems.push(...importerMismatches(folder, own, lock));
    // `link:` pins point at folders (workspaces, or folders linked in): they are uploaded, and must be inside the project.
    for (const pins of Object.values(lock.importers.get(folder)!.dependencies)) {
      for (const pin of Object.values(pins)) {
        if (!pin.version.startsWith('link:')) continue;
        const target = posix.normalize(posix.join(folder, pin.version.slice('link:'.length)));
        const inside = target === '.' ? '.' : safeRelativePath(target);
        if (inside === null) throw invalid(`it links a folder outside the project: ${shown(pin.version)}`);
        if (inside !== '.') folders.add(inside);
      }
    }
  }
  const tarballs = new Set<string>();
  for (const [key, pkg] of lock.packages) {
    const local = pkg.tarball?.startsWith('file:') ? pkg.tarball.slice('file:'.length) : pkg.directory;
    if (local === undefined) continue;
    const path = safeRelativePath(posix.normalize(local));
    if (path === null) throw invalid(`${shown(key)} is installed from outside the project (${shown(local)})`);
    if (pkg.directory !== undefined) folders.add(path);
    else tarballs.add(path);
  }
  // An install job (`install`, `update`) takes a valid lockfile out of sync: the job brings it in sync.
  if (problems.length > 0 && options.inSync) {
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new SafeInstallError('LOCKFILE_OUT_OF_SYNC', 'usage', `package.json and ${name} are out of sync: ${problems.slice(0, 5).join('; ')}${more}`, {
      hint: 'run `pnpm install` to update the lockfile, review the change, and commit it',
    });
  }
  const identities = pnpmLockedPackages(lock, names);
  return {
    lockfileVersion: Math.trunc(Number.parseFloat(lock.lockfileVersion)),
    workspaces: [...folders].sort(),
    tarballs: [...tarballs].sort(),
    packages: lock.snapshots.length,
    identities,
    locked: pnpmInstalledPackages(identities),
  };
}

/** pnpm's project: pnpm-lock.yaml, and pnpm-workspace.yaml (workspaces and settings such as allowBuilds). */
export const PNPM_LOCKFILE: LockfileReader = {
  names: ['pnpm-lock.yaml'],
  rootFiles: ['pnpm-workspace.yaml'],
  missing: { message: 'no pnpm-lock.yaml in {root}: safe-install ci installs exactly what a lockfile pins', hint: 'create one with `pnpm install --lockfile-only` and commit it' },
  check: checkPnpmLockfile,
};
