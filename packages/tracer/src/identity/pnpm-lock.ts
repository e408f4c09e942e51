/**
 * Who sits in which folder, from a pnpm lockfile (`pnpm-lock.yaml`, lockfile v9: pnpm 9 and later).
 * pnpm installs every package once, into its virtual store, and links it where it is needed:
 *
 *   node_modules/.pnpm/<folder of its snapshot key>/node_modules/<name>   (the package itself)
 *   node_modules/<name> -> .pnpm/…                                         (links, not packages)
 *
 * and runs a dependency's lifecycle scripts in that real folder, so the folder names the package.
 * The folder of a snapshot key is pnpm's own `depPathToFilename` (@pnpm/dependency-path, as pnpm
 * 10 and 11 compute it), with the `virtual-store-dir-max-length` the sandbox pins (120).
 *
 * The lockfile is untrusted input (it arrives with the project): its size is bounded before it is
 * parsed, the YAML parser refuses aliases and duplicate keys, every name and folder is checked to
 * stay inside the project, fields of the wrong type are ignored. `parsePnpmLock` throws
 * `PnpmLockError` with a bounded message; `pnpmLockedPackages` never throws.
 */
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import type { PackageIdentity, PackageRef, PackageSource } from '@safe-install/schema';
import { registryNameOf, safeRelativePath, type LockedPackages } from './locked-packages.js';

/** Largest pnpm-lock.yaml read (big monorepos have lockfiles of a few MiB). */
export const MAX_PNPM_LOCK_BYTES = 32 * 1024 * 1024;
/** Most snapshots, packages or importers kept (far above any real project). */
export const MAX_PNPM_ENTRIES = 200_000;
/** The `virtual-store-dir-max-length` the sandbox's pnpm runs with (pnpm's default on Linux). */
export const VIRTUAL_STORE_DIR_MAX_LENGTH = 120;

export class PnpmLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PnpmLockError';
  }
}

/** One dependency of an importer, as the lockfile pins it. */
export interface PnpmDependency {
  specifier: string;
  /** A snapshot key's version part (`1.0.0`, `1.0.0(peer@2.0.0)`), an alias's `name@version`, or `link:…`. */
  version: string;
}

export interface PnpmImporter {
  /** `dependencies`, `devDependencies`, `optionalDependencies` → name → pin. */
  dependencies: Record<string, Record<string, PnpmDependency>>;
}

export interface PnpmPackage {
  /** `version` of the entry (non-registry packages carry it; registry ones have it in their key). */
  version?: string;
  integrity?: string;
  /** `resolution.tarball` / `resolution.directory` / `resolution.repo`, when the package is not a plain registry one. */
  tarball?: string;
  directory?: string;
  repo?: string;
  hasBin?: boolean;
}

/** A checked pnpm lockfile: only what safe-install reads from it. */
export interface PnpmLock {
  lockfileVersion: string;
  /** Folder (`.` for the root, `packages/a`) → its pins. Folders are checked to stay inside the project. */
  importers: Map<string, PnpmImporter>;
  /** `name@version` (no peer suffix) → the package. */
  packages: Map<string, PnpmPackage>;
  /** Snapshot keys (`name@version(peers)`): one installed copy each. */
  snapshots: string[];
}

const MAX_FIELD = 2048;
/** npm's package-name rules, loosely: a scope and a name, no path tricks (`.`, `..`, `/`, NUL, spaces). */
const NAME = /^(?:@[a-z0-9~][a-z0-9._~-]*\/)?[a-z0-9~][a-z0-9._~-]*$/i;

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function text(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD && !value.includes('\0') ? value : undefined;
}

/** A package name pnpm could install (bounded, npm's rules). */
export function isPackageName(name: string): boolean {
  return name.length <= 214 && NAME.test(name);
}

/** `name` and the rest of a dep path (`@scope/a@1.0.0(b@2.0.0)` → `@scope/a`, `1.0.0(b@2.0.0)`), or null. */
export function splitDepPath(depPath: string): { name: string; version: string } | null {
  const at = depPath.indexOf('@', 1);
  if (at <= 0) return null;
  const name = depPath.slice(0, at);
  const version = depPath.slice(at + 1);
  return isPackageName(name) && version.length > 0 ? { name, version } : null;
}

/** The dep path without its peer suffix (`a@1.0.0(b@2.0.0)` → `a@1.0.0`), as pnpm's removeSuffix. */
export function withoutPeers(depPath: string): string {
  const open = depPath.indexOf('(', depPath.indexOf('@', 1));
  return open === -1 ? depPath : depPath.slice(0, open);
}

const shortHash = (text: string): string => createHash('sha256').update(text).digest('hex').substring(0, 32);

/**
 * pnpm's `depPathToFilename` (@pnpm/dependency-path): the virtual-store folder of a snapshot key.
 * `pnpm: 10` is pnpm 10's; `11` (the default) adds 11's rules: a key whose location escapes
 * ambiguously (`file:a+b`, `file:a#b`) or whose name ends in dots or spaces is hashed too. The two
 * agree on every ordinary key.
 */
export function depPathToFilename(depPath: string, maxLengthWithoutHash: number = VIRTUAL_STORE_DIR_MAX_LENGTH, pnpm: 10 | 11 = 11): string {
  let filename = unescaped(depPath).replace(/[\\/:*?"<>|#]/g, '+');
  if (filename.includes('(')) filename = filename.replace(/\)$/, '').replace(/\)\(|\(|\)/g, '_');
  const ambiguous = pnpm >= 11 && hasAmbiguousEscape(depPath);
  let trailing = false;
  if (pnpm >= 11) {
    let end = filename.length;
    while (end > 0 && (filename[end - 1] === '.' || filename[end - 1] === ' ')) end--;
    trailing = end < filename.length;
    if (trailing) filename = filename.substring(0, end) + '+'.repeat(filename.length - end);
  }
  if (ambiguous || trailing || filename.length > maxLengthWithoutHash || (filename !== filename.toLowerCase() && !filename.startsWith('file+'))) {
    return `${filename.substring(0, maxLengthWithoutHash - 33)}_${shortHash(ambiguous ? depPath : filename)}`;
  }
  return filename;
}

/** Version prefixes that are no registry name (pnpm 11's RESERVED_VERSION_PREFIXES, as far as they matter here). */
const RESERVED_PREFIXES = new Set(['file', 'link', 'git', 'git+ssh', 'git+https', 'git+http', 'git+file', 'http', 'https', 'github', 'gitlab', 'bitbucket', 'workspace', 'npm', 'catalog', 'patch']);

/** pnpm 11: does the key's location hold characters the folder name would escape into a clash (`+`, `#`, `:`…)? */
function hasAmbiguousEscape(depPath: string): boolean {
  const pkgId = depPath.split('(', 1)[0]!.replace(/^\//, '');
  const isFile = pkgId.startsWith('file:');
  const at = pkgId.indexOf('@', 1);
  if (!isFile && at === -1) return false;
  const version = isFile ? pkgId : pkgId.slice(at + 1);
  const schemeEnd = version.indexOf(':');
  if (schemeEnd === -1) return false;
  const scheme = version.slice(0, schemeEnd);
  // A registry-qualified version (`jsr:1.0.0`) is no location.
  if (schemeEnd >= 1 && !RESERVED_PREFIXES.has(scheme) && /^[a-z][a-z0-9-]*$/.test(scheme) && /^\d+\.\d+\.\d+(?:[-+][0-9A-Za-z.-]+)*$/.test(version.slice(schemeEnd + 1))) return false;
  return /[+\\:*?"<>|#]/.test(version.slice(schemeEnd + 1).replace(/^\/\//, ''));
}

function unescaped(depPath: string): string {
  if (depPath.startsWith('file:')) return depPath.replace(':', '+');
  const path = depPath.startsWith('/') ? depPath.substring(1) : depPath;
  const at = path.indexOf('@', 1);
  return at === -1 ? path : `${path.substring(0, at)}@${path.slice(at + 1)}`;
}

/**
 * Parse and check pnpm-lock.yaml. Throws PnpmLockError (bounded message) for anything pnpm 9+
 * would not have written: too large, not YAML, YAML aliases, another lockfile version, entries of
 * the wrong shape, importer folders outside the project, impossible package names.
 */
export function parsePnpmLock(content: string | Buffer): PnpmLock {
  const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  if (bytes > MAX_PNPM_LOCK_BYTES) throw new PnpmLockError(`it is larger than ${MAX_PNPM_LOCK_BYTES} bytes`);
  let doc: unknown;
  try {
    // No aliases (pnpm never writes them; they are how a small file becomes a huge tree), no merge keys, no custom tags.
    doc = parse(typeof content === 'string' ? content : content.toString('utf8'), { maxAliasCount: 0, merge: false, uniqueKeys: true, schema: 'core', prettyErrors: false, strict: true });
  } catch (error) {
    throw new PnpmLockError(`it is not valid YAML (${String((error as Error).message).split('\n')[0]!.slice(0, 200)})`);
  }
  if (!isRecord(doc)) throw new PnpmLockError('it is not a YAML mapping');
  const version = doc['lockfileVersion'];
  const versionText = typeof version === 'number' ? String(version) : typeof version === 'string' ? version : '';
  if (!/^9(\.\d+)?$/.test(versionText)) {
    throw new PnpmLockError(`lockfileVersion ${JSON.stringify(versionText.slice(0, 20))} is not supported (pnpm 9 and later write 9.0)`);
  }
  const section = (key: string): Record<string, unknown> => {
    const value = doc[key];
    if (value === undefined || value === null) return {};
    if (!isRecord(value)) throw new PnpmLockError(`its "${key}" section is not a mapping`);
    if (Object.keys(value).length > MAX_PNPM_ENTRIES) throw new PnpmLockError(`its "${key}" section has more than ${MAX_PNPM_ENTRIES} entries`);
    return value;
  };
  const importers = new Map<string, PnpmImporter>();
  for (const [folder, entry] of Object.entries(section('importers'))) {
    const path = folder === '.' ? '.' : safeRelativePath(folder);
    if (path === null || (path !== folder && folder !== '.')) throw new PnpmLockError(`it names an importer folder outside the project: ${JSON.stringify(folder.slice(0, 200))}`);
    const dependencies: PnpmImporter['dependencies'] = {};
    if (isRecord(entry)) {
      for (const field of ['dependencies', 'devDependencies', 'optionalDependencies']) {
        const map = entry[field];
        if (!isRecord(map)) continue;
        const pins: Record<string, PnpmDependency> = Object.create(null) as Record<string, PnpmDependency>;
        for (const [name, pin] of Object.entries(map)) {
          if (!isRecord(pin)) continue;
          const specifier = text(pin['specifier']);
          const pinned = text(pin['version']);
          if (specifier !== undefined && pinned !== undefined) pins[name] = { specifier, version: pinned };
        }
        dependencies[field] = pins;
      }
    }
    importers.set(path, { dependencies });
  }
  const packages = new Map<string, PnpmPackage>();
  for (const [key, entry] of Object.entries(section('packages'))) {
    if (splitDepPath(key) === null || key.length > MAX_FIELD) throw new PnpmLockError(`it has a package entry that names no package: ${JSON.stringify(key.slice(0, 200))}`);
    const pkg: PnpmPackage = {};
    if (isRecord(entry)) {
      const version = text(entry['version']);
      if (version !== undefined) pkg.version = version;
      if (entry['hasBin'] === true) pkg.hasBin = true;
      const resolution = entry['resolution'];
      if (isRecord(resolution)) {
        const integrity = text(resolution['integrity']);
        const tarball = text(resolution['tarball']);
        const directory = text(resolution['directory']);
        const repo = text(resolution['repo']);
        if (integrity !== undefined) pkg.integrity = integrity;
        if (tarball !== undefined) pkg.tarball = tarball;
        if (directory !== undefined) pkg.directory = directory;
        if (repo !== undefined) pkg.repo = repo;
      }
    }
    packages.set(key, pkg);
  }
  const snapshotSection = section('snapshots');
  const snapshots: string[] = [];
  for (const key of Object.keys(snapshotSection)) {
    if (splitDepPath(key) === null || key.length > MAX_FIELD) throw new PnpmLockError(`it has a snapshot that names no package: ${JSON.stringify(key.slice(0, 200))}`);
    snapshots.push(key);
  }
  return { lockfileVersion: versionText, importers, packages, snapshots };
}

/** The version a snapshot installs: its package entry's `version`, else its key's (semver-shaped). */
function versionOf(key: string, pkg: PnpmPackage | undefined): string {
  if (pkg?.version !== undefined) return pkg.version.slice(0, 512);
  return (splitDepPath(withoutPeers(key))?.version ?? '').slice(0, 512);
}

function sourceOf(key: string, pkg: PnpmPackage | undefined): { source: PackageSource; resolved?: string } {
  const rest = splitDepPath(withoutPeers(key))?.version ?? '';
  // Non-registry packages are known by their key's version part (`file:x.tgz`, a git or tarball URL):
  // what the lockfile pins, and what pnpm's build gate matches them by.
  if (pkg?.directory !== undefined || rest.startsWith('file:') || pkg?.tarball?.startsWith('file:')) return { source: 'file', resolved: rest };
  if (pkg?.repo !== undefined || /^(?:git\+|git:|github:|gitlab:|bitbucket:)/.test(rest)) return { source: 'git', resolved: rest };
  if (pkg?.tarball !== undefined && /^https?:/.test(rest)) return { source: registryNameOf(pkg.tarball) !== null ? 'registry' : 'remote', resolved: rest };
  if (pkg?.tarball !== undefined) return { source: registryNameOf(pkg.tarball) !== null ? 'registry' : 'remote', resolved: pkg.tarball };
  if (/^https?:/.test(rest)) return { source: 'remote', resolved: rest };
  return { source: 'registry' };
}

/**
 * The folders a snapshot's package may be installed in, relative to the project: pnpm 11's name,
 * and pnpm 10's when it differs (the runner does not know which pnpm the project pinned; both
 * name the same package, and neither can be another's).
 */
export function virtualStoreFolders(key: string, name: string): string[] {
  const folders = [depPathToFilename(key, VIRTUAL_STORE_DIR_MAX_LENGTH, 11), depPathToFilename(key, VIRTUAL_STORE_DIR_MAX_LENGTH, 10)];
  return [...new Set(folders)].map((folder) => `node_modules/.pnpm/${folder}/node_modules/${name}`);
}

/** The folder a snapshot's package is installed in (pnpm 11's name; pnpm 10's is the same for ordinary keys). */
export function virtualStoreFolder(key: string, name: string): string {
  return virtualStoreFolders(key, name)[0]!;
}

/**
 * Who sits in which folder: each snapshot's package in its virtual-store folder, the root (`''`)
 * and each workspace importer in its own. `names` gives the importers' own names and versions
 * (from their package.json, read before anything ran); an importer without one is known by its folder.
 */
export function pnpmLockedPackages(lock: PnpmLock, names: ReadonlyMap<string, PackageRef> = new Map()): LockedPackages {
  const byPath = new Map<string, PackageIdentity>();
  for (const folder of lock.importers.keys()) {
    const path = folder === '.' ? '' : folder;
    const own = names.get(path);
    const name = (own?.name ?? (path === '' ? '' : path.split('/').pop()!)).slice(0, 512);
    byPath.set(path, { name, version: (own?.version ?? '').slice(0, 512), path, installedAs: name, source: path === '' ? 'project' : 'workspace' });
  }
  for (const key of lock.snapshots) {
    const split = splitDepPath(key);
    if (split === null) continue;
    const pkg = lock.packages.get(withoutPeers(key));
    const { source, resolved } = sourceOf(key, pkg);
    for (const path of virtualStoreFolders(key, split.name)) {
      const identity: PackageIdentity = { name: split.name, version: versionOf(key, pkg), path, installedAs: split.name, source };
      if (resolved !== undefined) identity.resolved = resolved.slice(0, MAX_FIELD);
      if (pkg?.integrity !== undefined) identity.integrity = pkg.integrity.slice(0, MAX_FIELD);
      byPath.set(path, identity);
    }
  }
  // The lockfile does not name a package's bins (only `hasBin`): `.bin` entries are not attributed by it.
  return { byPath, bins: new Map() };
}

/** The packages the lockfile installs (no importers), once each by name and version. */
export function pnpmInstalledPackages(locked: LockedPackages): PackageRef[] {
  const seen = new Set<string>();
  const refs: PackageRef[] = [];
  for (const identity of locked.byPath.values()) {
    if (identity.source === 'project' || identity.source === 'workspace' || identity.version === '') continue;
    const id = `${identity.name}@${identity.version}`;
    if (seen.has(id)) continue;
    seen.add(id);
    refs.push({ name: identity.name, version: identity.version });
  }
  return refs;
}
