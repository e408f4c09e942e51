/**
 * Who sits in which folder, from an npm lockfile (v2/v3): the identity every script's attribution
 * rests on. Pure: the host reads the lockfile before the run (to check it), and the runner reads
 * the same bytes from the upload before the package manager starts (to attribute events and the
 * gateway's connections as they happen).
 *
 * The lockfile is untrusted input (it arrives with the project): keys that could leave the
 * project are skipped, fields of the wrong type ignored, sizes bounded, nothing throws.
 */
import type { PackageIdentity, PackageSource } from '@safe-install/schema';

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
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

/**
 * The lockfile's packages by folder, and the `node_modules/.bin` entries each declares. Built on the
 * host from the lockfile read before the run, so nothing the install does can change it.
 */
export interface LockedPackages {
  /** Folder relative to the project (`''`, `node_modules/a`, `packages/b`) → its package. */
  byPath: ReadonlyMap<string, PackageIdentity>;
  /** `<folder>/node_modules/.bin/<name>` (relative) → the package whose `bin` it is. */
  bins: ReadonlyMap<string, PackageIdentity>;
  /**
   * Any other folder, for a manager whose lockfile does not list folders (Yarn Berry's linkers
   * decide them): the package the lockfile says such a folder holds, or undefined.
   */
  lookup?(path: string): PackageIdentity | undefined;
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
      // npm leaves `name` out of the root entry in some versions; the lockfile's own `name` is the same.
      const rootName = ownName ?? (isRecord(lock) ? field(lock, 'name') : undefined) ?? '';
      installedAs = rootName;
      name = rootName;
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

/** npm's entry points inside its package folder, as the image's copy has them. */
const NPM_ENTRIES = ['bin/npm-cli.js', 'bin/npx-cli.js', 'bin/npm', 'bin/npx'];

/**
 * Where the copies of npm the lockfile installs can be started (absolute, inside `projectDir`):
 * each registry package `npm` (by its `resolved` name, so an alias `"npm": "npm:other@1"` is not
 * one), its entry scripts and the `.bin/npm` and `.bin/npx` links the lockfile says are its own.
 * The tracer honours the scripts such a copy starts as nested runs; nothing else is granted.
 */
export function lockedPackageManagerPaths(locked: LockedPackages, projectDir: string): string[] {
  const base = projectDir.replace(/\/+$/, '');
  const paths: string[] = [];
  const isNpm = (identity: PackageIdentity): boolean => identity.name === 'npm' && identity.source === 'registry';
  for (const [path, identity] of locked.byPath) {
    if (path !== '' && isNpm(identity)) for (const entry of NPM_ENTRIES) paths.push(`${base}/${path}/${entry}`);
  }
  for (const [path, owner] of locked.bins) {
    const name = path.slice(path.lastIndexOf('/') + 1);
    if ((name === 'npm' || name === 'npx') && isNpm(owner)) paths.push(`${base}/${path}`);
  }
  return paths;
}
