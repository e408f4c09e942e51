/**
 * npm lockfile checks, done on the host before anything starts: `npm ci` would fail on the same
 * problems, but only after a container was created, and with a less direct message.
 *
 * The lockfile is untrusted input (it arrives with the project): it is validated, never trusted for
 * paths, and nothing here throws anything but SafeInstallError.
 */
import { SafeInstallError, type PackageRef } from '@safe-install/schema';
import { lockedPackages, safeRelativePath, type LockedPackages } from '@safe-install/tracer';

export { safeRelativePath };

const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

export type DependencyMap = Record<string, string>;

export interface LockfileSummary {
  lockfileVersion: number;
  /** Workspace folders (relative, validated) that the lockfile records. */
  workspaces: string[];
  /** `file:` tarballs (relative, validated) that dependencies install from. */
  tarballs: string[];
  /** Number of installed package entries. */
  packages: number;
  /** Who sits in which folder: the identity every script's attribution rests on. */
  identities: LockedPackages;
  /** What the lockfile installs under node_modules, by real name (an alias's `name`) and version. */
  locked: PackageRef[];
  /**
   * Yarn PnP: the folder each locked package is unplugged into when Yarn unplugs it
   * (`.yarn/unplugged/<slug>`, Yarn's name for the locator). Their node_modules may come back.
   */
  unplugged?: Array<{ folder: string; package: PackageRef }>;
}


function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function dependencyMaps(manifest: Record<string, unknown>): Map<string, DependencyMap> {
  const maps = new Map<string, DependencyMap>();
  for (const field of DEPENDENCY_FIELDS) {
    const value = manifest[field];
    if (value === undefined) continue;
    if (!isRecord(value)) continue;
    // No prototype: a dependency named `__proto__` is kept, and `constructor` is not inherited.
    const map = Object.create(null) as DependencyMap;
    for (const [name, spec] of Object.entries(value)) if (typeof spec === 'string') map[name] = spec;
    maps.set(field, map);
  }
  return maps;
}


/** A name or spec for a message: untrusted, so bounded. */
function shown(text: string | undefined): string {
  const value = text ?? '';
  return value.length > 100 ? `${value.slice(0, 100)}…` : value;
}

/** Differences between package.json's declared dependencies and the lockfile's root entry. */
export function lockfileMismatches(manifest: unknown, lockRoot: unknown): string[] {
  if (!isRecord(manifest)) return ['package.json is not a JSON object'];
  if (!isRecord(lockRoot)) return ['the lockfile has no root package entry'];
  const declared = dependencyMaps(manifest);
  const locked = dependencyMaps(lockRoot);
  const problems: string[] = [];
  for (const field of DEPENDENCY_FIELDS) {
    const want = declared.get(field) ?? {};
    const have = locked.get(field) ?? {};
    for (const [name, spec] of Object.entries(want)) {
      if (!Object.hasOwn(have, name)) problems.push(`${field}.${shown(name)}@${shown(spec)} is in package.json but not in the lockfile`);
      else if (have[name] !== spec) problems.push(`${field}.${shown(name)} is ${shown(spec)} in package.json but ${shown(have[name])} in the lockfile`);
    }
    for (const name of Object.keys(have)) {
      if (!Object.hasOwn(want, name)) problems.push(`${field}.${shown(name)} is in the lockfile but not in package.json`);
    }
  }
  return problems;
}

/**
 * Validate a parsed package-lock.json (v2 or v3) against the project's package.json.
 * Throws `LOCKFILE_INVALID` or `LOCKFILE_OUT_OF_SYNC` (usage errors, exit 2). With `inSync: false`
 * (an install job, which rewrites the lockfile) a lockfile out of sync is taken; an invalid one never is.
 */
export function checkLockfile(manifest: unknown, lock: unknown, lockName: string, options: { inSync?: boolean } = {}): LockfileSummary {
  const invalid = (why: string) =>
    new SafeInstallError('LOCKFILE_INVALID', 'usage', `${lockName} is not a usable npm lockfile: ${why}`, {
      hint: 'regenerate it with `npm install --package-lock-only`',
    });
  if (!isRecord(lock)) throw invalid('not a JSON object');
  const version = lock['lockfileVersion'];
  if (typeof version !== 'number' || !Number.isInteger(version)) throw invalid('lockfileVersion is missing');
  if (version < 2) throw invalid(`lockfileVersion ${version} is too old (2 or 3 is needed)`);
  const packages = lock['packages'];
  if (!isRecord(packages)) throw invalid('it has no "packages" section');

  const problems = lockfileMismatches(manifest, packages['']);
  const workspaces: string[] = [];
  const tarballs = new Set<string>();
  for (const [key, entry] of Object.entries(packages)) {
    // `file:` tarball dependencies are read from the project: they must be uploaded too.
    const resolved = isRecord(entry) ? entry['resolved'] : undefined;
    if (typeof resolved === 'string' && resolved.startsWith('file:') && /\.(tgz|tar\.gz|tar)$/.test(resolved)) {
      const tarball = safeRelativePath(resolved.slice('file:'.length));
      if (tarball === null) throw invalid(`it names a tarball outside the project: ${JSON.stringify(resolved.slice(0, 200))}`);
      tarballs.add(tarball);
    }
    if (key === '' || key.split('/').includes('node_modules')) continue;
    // Any other key is a workspace (or a file: dependency folder) the lockfile links to.
    const folder = safeRelativePath(key);
    if (folder === null) throw invalid(`it names a package folder outside the project: ${JSON.stringify(key.slice(0, 200))}`);
    workspaces.push(folder);
  }
  if (problems.length > 0 && options.inSync !== false) {
    const shown = problems.slice(0, 5).join('; ');
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new SafeInstallError(
      'LOCKFILE_OUT_OF_SYNC',
      'usage',
      `package.json and ${lockName} are out of sync: ${shown}${more}`,
      { hint: 'run `npm install` to update the lockfile, review the change, and commit it' },
    );
  }
  const identities = lockedPackages(lock);
  // What the lockfile installs under node_modules, by real name: the same identities, flattened.
  // Entries with no version or an impossible name (npm's limit is 214) install nothing to ask for.
  const locked = [...identities.byPath.values()]
    .filter((identity) => identity.path.includes('node_modules/') && identity.version !== '' && identity.name.length <= 214)
    .map(({ name, version }) => ({ name, version }));
  return { lockfileVersion: version, workspaces: workspaces.sort(), tarballs: [...tarballs].sort(), packages: Object.keys(packages).length - 1, identities, locked };
}
