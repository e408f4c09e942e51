/**
 * npm lockfile checks, done on the host before anything starts: `npm ci` would fail on the same
 * problems, but only after a container was created, and with a less direct message.
 *
 * The lockfile is untrusted input (it arrives with the project): it is validated, never trusted for
 * paths, and nothing here throws anything but SafeInstallError.
 */
import { SafeInstallError, type PackageIdentity, type PackageSource } from '@safe-install/schema';

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
}

/**
 * The lockfile's packages by folder, and the `node_modules/.bin` entries each declares. Built on the
 * host from the lockfile read before the run, so nothing the install does can change it.
 */
export interface LockedPackages {
  /** Folder relative to the project (`''`, `node_modules/a`, `packages/b`) → its package. */
  byPath: ReadonlyMap<string, PackageIdentity>;
  /** `<folder>/node_modules/.bin/<name>` (relative) → the package whose `bin` it is. */
  bins: ReadonlyMap<string, PackageIdentity>;
}

/** Longest name or version kept from the lockfile (npm's own limit for names is 214). */
const MAX_FIELD = 512;

function field(entry: Record<string, unknown>, key: string): string | undefined {
  const value = entry[key];
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD * 4 ? value : undefined;
}

/** The name a folder is installed under: the path after its last `node_modules/`, scope included. */
function installedName(path: string): string | null {
  const parts = path.split('/');
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return null;
  const rest = parts.slice(at + 1);
  if (rest[0]?.startsWith('@') === true) return rest.length === 2 ? `${rest[0]}/${rest[1]}` : null;
  return rest.length === 1 ? (rest[0] ?? null) : null;
}

/**
 * `name` from a registry tarball URL: `…/<name>/-/<file>.tgz` or `…/@scope/<name>/-/<file>.tgz`
 * (percent-encoded `@scope%2fname` too). Null for anything else.
 */
export function registryNameOf(resolved: string): string | null {
  let url: URL;
  try {
    url = new URL(resolved);
  } catch {
    return null;
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') return null;
  const parts = url.pathname.split('/').map((p) => {
    try {
      return decodeURIComponent(p);
    } catch {
      return p;
    }
  });
  const dash = parts.lastIndexOf('-');
  if (dash < 2 || dash !== parts.length - 2 || !/\.tgz$/.test(parts[dash + 1] ?? '')) return null;
  const name = parts[dash - 1] ?? '';
  const scope = parts[dash - 2] ?? '';
  const full = name.includes('/') ? name : scope.startsWith('@') ? `${scope}/${name}` : name;
  return /^(?:@[^/@\s]+\/)?[^/@\s][^/\s]*$/.test(full) && full.length <= 214 ? full : null;
}

function sourceOf(resolved: string | undefined, link: boolean): PackageSource {
  if (resolved === undefined) return 'registry'; // npm omits `resolved` of registry packages (omit-lockfile-registry-resolved)
  if (resolved.startsWith('file:') || link) return 'file';
  if (/^(?:git\+|git:|github:|gitlab:|bitbucket:|gist:)/.test(resolved)) return 'git';
  if (/^https?:/.test(resolved)) return registryNameOf(resolved) !== null ? 'registry' : 'remote';
  return 'remote';
}

/** Simple workspace globs (`packages/*`, `apps/**`, a plain folder), as npm's lockfile root lists them. */
function workspaceMatcher(patterns: unknown): (path: string) => boolean {
  const list = Array.isArray(patterns) ? patterns : isRecord(patterns) && Array.isArray(patterns['packages']) ? patterns['packages'] : [];
  const regexes: RegExp[] = [];
  for (const pattern of list) {
    if (typeof pattern !== 'string' || pattern.length > 1024) continue;
    const clean = pattern.replace(/^\.\//, '').replace(/\/+$/, '');
    const source = clean
      .split('/')
      .map((part) => (part === '**' ? '.*' : part.replace(/[.+^${}()|[\]\\]/g, '\\$&').replace(/\*/g, '[^/]*').replace(/\?/g, '[^/]')))
      .join('/');
    regexes.push(new RegExp(`^${source}$`));
  }
  return (path) => regexes.some((r) => r.test(path));
}

/**
 * Who sits in each folder the lockfile lists. The lockfile is untrusted: keys that could leave
 * the project are skipped (checkLockfile refuses them first), fields of the wrong type ignored.
 */
export function lockedPackages(lock: unknown): LockedPackages {
  const byPath = new Map<string, PackageIdentity>();
  const bins = new Map<string, PackageIdentity>();
  const packages = isRecord(lock) && isRecord(lock['packages']) ? lock['packages'] : {};
  const root = isRecord(packages['']) ? packages[''] : {};
  const isWorkspace = workspaceMatcher(root['workspaces']);
  // A linked folder (`file:` folder dependency or workspace) is known under the link's name.
  const linkNames = new Map<string, string>();
  for (const [key, entry] of Object.entries(packages)) {
    if (!isRecord(entry) || entry['link'] !== true) continue;
    const target = field(entry, 'resolved');
    const name = installedName(key);
    if (target !== undefined && name !== null && safeRelativePath(target) !== null) linkNames.set(safeRelativePath(target) as string, name);
  }
  for (const [key, entry] of Object.entries(packages)) {
    if (!isRecord(entry) || entry['link'] === true) continue;
    const path = key === '' ? '' : safeRelativePath(key);
    if (path === null || (path !== key && key !== '')) continue;
    const resolved = field(entry, 'resolved');
    const integrity = field(entry, 'integrity');
    const ownName = field(entry, 'name');
    const version = (field(entry, 'version') ?? '').slice(0, MAX_FIELD);
    const inNodeModules = path.split('/').includes('node_modules');
    let source: PackageSource;
    let installedAs: string;
    let name: string;
    if (path === '') {
      source = 'project';
      installedAs = ownName ?? '';
      name = ownName ?? '';
    } else if (!inNodeModules) {
      source = isWorkspace(path) ? 'workspace' : 'file';
      installedAs = linkNames.get(path) ?? ownName ?? path.split('/').pop() ?? path;
      // A workspace is the project's own code and names itself; a file: folder is a dependency,
      // known by the name it was declared under.
      name = source === 'workspace' ? (ownName ?? installedAs) : installedAs;
    } else {
      const folderName = installedName(path);
      if (folderName === null) continue;
      installedAs = folderName;
      source = sourceOf(resolved, false);
      name = source === 'registry' ? ((resolved !== undefined ? registryNameOf(resolved) : null) ?? ownName ?? folderName) : folderName;
    }
    const identity: PackageIdentity = { name: name.slice(0, MAX_FIELD), version, path, installedAs: installedAs.slice(0, MAX_FIELD), source };
    if (resolved !== undefined) identity.resolved = resolved.slice(0, MAX_FIELD * 4);
    if (integrity !== undefined) identity.integrity = integrity.slice(0, MAX_FIELD * 4);
    byPath.set(path, identity);
    // npm links `bin` entries into the node_modules folder the package sits in.
    const bin = entry['bin'];
    const binDir = inNodeModules ? `${path.slice(0, path.lastIndexOf('node_modules/') + 'node_modules'.length)}/.bin` : 'node_modules/.bin';
    if (isRecord(bin)) {
      for (const binName of Object.keys(bin)) {
        if (binName.length === 0 || binName.length > MAX_FIELD || binName.includes('/') || binName.includes('\0') || binName === '..' || binName === '.') continue;
        if (!bins.has(`${binDir}/${binName}`)) bins.set(`${binDir}/${binName}`, identity);
      }
    }
  }
  return { byPath, bins };
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

/**
 * A relative folder inside the project, or null when the path could escape it (absolute, `..`,
 * backslashes, NUL). Lockfile keys and workspace paths both go through this.
 */
export function safeRelativePath(path: string): string | null {
  if (path.length === 0 || path.length > 1024) return null;
  if (path.includes('\0') || path.includes('\\')) return null;
  if (path.startsWith('/')) return null;
  const parts = path.split('/');
  if (parts.some((part) => part === '..' || part === '')) return null;
  return parts.filter((part) => part !== '.').join('/') || null;
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
 * Throws `LOCKFILE_INVALID` or `LOCKFILE_OUT_OF_SYNC` (usage errors, exit 2).
 */
export function checkLockfile(manifest: unknown, lock: unknown, lockName: string): LockfileSummary {
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
  if (problems.length > 0) {
    const shown = problems.slice(0, 5).join('; ');
    const more = problems.length > 5 ? ` (and ${problems.length - 5} more)` : '';
    throw new SafeInstallError(
      'LOCKFILE_OUT_OF_SYNC',
      'usage',
      `package.json and ${lockName} are out of sync: ${shown}${more}`,
      { hint: 'run `npm install` to update the lockfile, review the change, and commit it' },
    );
  }
  return { lockfileVersion: version, workspaces: workspaces.sort(), tarballs: [...tarballs].sort(), packages: Object.keys(packages).length - 1, identities: lockedPackages(lock) };
}
