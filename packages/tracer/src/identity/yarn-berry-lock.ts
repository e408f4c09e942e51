/**
 * Who sits in which folder, from a Yarn Berry lockfile (`yarn.lock` with `__metadata`, Yarn 2–4).
 *
 * The lockfile is YAML: a `__metadata` entry (`version`, `cacheKey`) and one entry per resolved
 * package, keyed by the descriptors that resolve to it (`"a@npm:^1.0.0, a@npm:^1.2.0"`), holding
 * its `resolution` locator (`a@npm:1.2.3`, `root@workspace:.`), `version`, `checksum`,
 * `languageName` and `linkType`. It does not say where a package lands: Yarn's linkers decide.
 *
 * - `nodeLinker: node-modules`: a package is in some `…/node_modules/<name>` (hoisted by Yarn's
 *   hoister, nested where versions clash). The folder's last `node_modules/<name>` names the package;
 *   its version is the lockfile's when the lockfile has one version of that name. Several versions:
 *   the identity is ambiguous and says so (`1.0.0 || 2.0.0`, a version no policy entry can equal).
 * - PnP (the default): a package with a build is unplugged into
 *   `.yarn/unplugged/<slug>/node_modules/<name>`, where the slug is Yarn's name for the locator
 *   (`yarnUnpluggedFolder`): it names exactly one locked package, whatever its protocol.
 *
 * Untrusted input (it arrives with the project): bounded before parsing, YAML aliases, merge keys
 * and duplicate keys refused, every locator checked (npm's name rules, a known protocol, workspace
 * folders inside the project). `parseYarnBerryLock` throws `YarnBerryLockError` with a bounded
 * message; `yarnBerryLockedPackages` never throws.
 */
import { createHash } from 'node:crypto';
import { parse } from 'yaml';
import type { PackageIdentity, PackageRef, PackageSource } from '@safe-install/schema';
import { safeRelativePath, type LockedPackages } from './locked-packages.js';
import { isPackageName } from './pnpm-lock.js';

/** Largest yarn.lock read (the biggest monorepos' are a few MiB). */
export const MAX_YARN_BERRY_LOCK_BYTES = 32 * 1024 * 1024;
/** Most entries kept (far above any real project). */
export const MAX_YARN_BERRY_ENTRIES = 200_000;
/** Lockfile versions Yarn 2–4 write (`__metadata.version`: 4 for Yarn 2 … 10 for Yarn 4.18). */
const MIN_LOCK_VERSION = 4;
const MAX_LOCK_VERSION = 10;
const MAX_FIELD = 1024;

/** The protocols a resolution may carry, and the source they are. */
const PROTOCOLS: Record<string, PackageSource> = {
  'npm:': 'registry',
  'workspace:': 'workspace',
  'patch:': 'registry',
  'file:': 'file',
  'portal:': 'file',
  'link:': 'file',
  'git:': 'git',
  'git+ssh:': 'git',
  'git+https:': 'git',
  'github:': 'git',
  'https:': 'remote',
  'http:': 'remote',
  'exec:': 'remote',
};

export class YarnBerryLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'YarnBerryLockError';
  }
}

/** One resolved package of the lockfile. */
export interface YarnBerryPackage {
  name: string;
  version: string;
  /** The locator: `name@protocol:reference`. */
  resolution: string;
  protocol: string;
  /** The reference after the protocol (`1.2.3`, `.` or `packages/a` for a workspace). */
  reference: string;
  checksum?: string;
  linkType: 'hard' | 'soft';
  /** Names of its dependencies (for the review; pins are Yarn's business). */
  dependencies: string[];
}

export interface YarnBerryLock {
  lockVersion: number;
  cacheKey?: string;
  packages: YarnBerryPackage[];
  /** Workspace folders (`''` for the root) → the workspace's package. */
  workspaces: Map<string, YarnBerryPackage>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const text = (value: unknown): string | undefined => (typeof value === 'string' && value.length > 0 && value.length <= MAX_FIELD ? value : undefined);
const show = (value: string): string => JSON.stringify(value.slice(0, 200));

/** `name@protocol:reference` split and checked, or null. */
export function parseLocator(locator: string): { name: string; protocol: string; reference: string } | null {
  if (locator.length > MAX_FIELD) return null;
  const at = locator.indexOf('@', 1);
  if (at <= 0) return null;
  const name = locator.slice(0, at);
  const rest = locator.slice(at + 1);
  if (!isPackageName(name)) return null;
  // A patch's reference holds its source locator (`patch:a@npm%3A1.0.0#…`); the protocol is the first `:`.
  const colon = rest.indexOf(':');
  if (colon <= 0) return null;
  let protocol = rest.slice(0, colon + 1);
  let reference = rest.slice(colon + 1);
  if (protocol === 'git+ssh:' || protocol === 'git+https:') {
    // kept as is
  } else if (!(protocol in PROTOCOLS)) {
    return null;
  }
  if (protocol === 'https:' && reference.startsWith('//')) reference = rest;
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(reference)) return null;
  if (protocol === 'workspace:') {
    const folder = reference === '.' ? '.' : safeRelativePath(reference);
    if (folder === null || (folder !== reference && reference !== '.')) return null;
  }
  protocol = protocol.toLowerCase();
  return { name, protocol, reference };
}

/**
 * Parse and check a Berry yarn.lock. Throws YarnBerryLockError for anything Yarn 2–4 would not
 * have written: too large, not YAML, aliases, merge keys, duplicate keys, no `__metadata` or an
 * unknown version, entries of the wrong shape, locators that name no package or leave the project.
 */
export function parseYarnBerryLock(content: string | Buffer): YarnBerryLock {
  const bytes = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  if (bytes > MAX_YARN_BERRY_LOCK_BYTES) throw new YarnBerryLockError(`it is larger than ${MAX_YARN_BERRY_LOCK_BYTES} bytes`);
  let doc: unknown;
  try {
    // Yarn writes no aliases, anchors, merge keys or tags; they are how a small file becomes a huge tree.
    doc = parse(typeof content === 'string' ? content : content.toString('utf8'), { maxAliasCount: 0, merge: false, uniqueKeys: true, schema: 'core', prettyErrors: false, strict: true });
  } catch (error) {
    throw new YarnBerryLockError(`it is not valid YAML (${String((error as Error).message).split('\n')[0]!.slice(0, 200)})`);
  }
  if (!isRecord(doc)) throw new YarnBerryLockError('it is not a YAML mapping');
  const metadata = doc['__metadata'];
  if (!isRecord(metadata)) throw new YarnBerryLockError('it has no __metadata (not a Yarn Berry lockfile)');
  const lockVersion = Number(metadata['version']);
  if (!Number.isInteger(lockVersion) || lockVersion < MIN_LOCK_VERSION || lockVersion > MAX_LOCK_VERSION) {
    throw new YarnBerryLockError(`__metadata.version ${show(String(metadata['version']))} is not supported (Yarn 2 to 4.18 write ${MIN_LOCK_VERSION} to ${MAX_LOCK_VERSION})`);
  }
  const keys = Object.keys(doc);
  if (keys.length > MAX_YARN_BERRY_ENTRIES) throw new YarnBerryLockError(`it has more than ${MAX_YARN_BERRY_ENTRIES} entries`);
  const packages: YarnBerryPackage[] = [];
  const workspaces = new Map<string, YarnBerryPackage>();
  const resolutions = new Set<string>();
  for (const key of keys) {
    if (key === '__metadata') continue;
    const entry = doc[key];
    if (!isRecord(entry)) throw new YarnBerryLockError(`its entry ${show(key)} is not a mapping`);
    for (const descriptor of key.split(', ')) {
      const at = descriptor.indexOf('@', 1);
      if (at <= 0 || !isPackageName(descriptor.slice(0, at))) throw new YarnBerryLockError(`its entry ${show(key)} names no package`);
    }
    const resolution = text(entry['resolution']);
    const locator = resolution === undefined ? null : parseLocator(resolution);
    if (resolution === undefined || locator === null) throw new YarnBerryLockError(`its entry ${show(key)} has no valid resolution (${show(String(entry['resolution'] ?? ''))})`);
    if (resolutions.has(resolution)) throw new YarnBerryLockError(`the resolution ${show(resolution)} appears twice`);
    resolutions.add(resolution);
    const version = text(entry['version']);
    if (version === undefined || /\s/.test(version)) throw new YarnBerryLockError(`its entry ${show(key)} has no version`);
    const linkType = entry['linkType'] === 'soft' ? 'soft' : entry['linkType'] === 'hard' ? 'hard' : null;
    if (linkType === null) throw new YarnBerryLockError(`its entry ${show(key)} has no linkType (hard or soft)`);
    const deps = entry['dependencies'];
    const pkg: YarnBerryPackage = { name: locator.name, version, resolution, protocol: locator.protocol, reference: locator.reference, linkType, dependencies: isRecord(deps) ? Object.keys(deps).filter(isPackageName) : [] };
    const checksum = text(entry['checksum']);
    if (checksum !== undefined) pkg.checksum = checksum;
    packages.push(pkg);
    if (locator.protocol === 'workspace:') {
      const folder = locator.reference === '.' ? '' : locator.reference;
      if (workspaces.has(folder)) throw new YarnBerryLockError(`the workspace folder ${show(locator.reference)} appears twice`);
      workspaces.set(folder, pkg);
    }
  }
  if (!workspaces.has('')) throw new YarnBerryLockError('it has no root workspace (an entry resolved as "<name>@workspace:.")');
  const lock: YarnBerryLock = { lockVersion, packages, workspaces };
  const cacheKey = metadata['cacheKey'];
  if (typeof cacheKey === 'string' || typeof cacheKey === 'number') lock.cacheKey = String(cacheKey).slice(0, 64);
  return lock;
}

/** Yarn's hashUtils.makeHash: sha512 of the concatenated parts, hex. */
const makeHash = (...parts: string[]): string => createHash('sha512').update(parts.join('')).digest('hex');

/** npm's strict semver (what `semver.valid` accepts without loose parsing). */
const SEMVER = /^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?(?:\+[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?$/;

/**
 * The folder Yarn's PnP linker unplugs a package into, under `.yarn/unplugged`: Yarn's
 * `slugifyLocator` — `<name slug>-<protocol>[-<semver>]-<first 10 of the locator hash>`, where the
 * name slug is `@scope-name` for a scoped name, the semver is there when the reference's selector
 * is one (`npm:1.2.3`; not `file:./x.tgz`, `patch:…`), and the locator hash is
 * sha512(sha512(scope + name) + reference). Exact: a folder names one locked package.
 */
export function yarnUnpluggedFolder(pkg: Pick<YarnBerryPackage, 'name' | 'resolution'>): string {
  const reference = pkg.resolution.slice(pkg.name.length + 1);
  const scoped = pkg.name.startsWith('@');
  const [scope, name] = scoped ? (pkg.name.slice(1).split('/') as [string, string]) : ['', pkg.name];
  const locatorHash = makeHash(makeHash(scope, name), reference);
  // Yarn's parseRange: `protocol:selector#source::params`.
  const range = /^([^#:]*:)?((?:(?!::)[^#])*)/.exec(reference);
  const protocol = range?.[1] === undefined ? 'exotic' : range[1].slice(0, -1);
  const selector = range?.[2] ?? '';
  const human = SEMVER.test(selector) ? `${protocol}-${selector}` : protocol;
  return `${scoped ? `@${scope}-${name}` : name}-${human}-${locatorHash.slice(0, 10)}`;
}

function identityOf(pkg: YarnBerryPackage, path: string): PackageIdentity {
  const source = PROTOCOLS[pkg.protocol] ?? 'remote';
  const identity: PackageIdentity = { name: pkg.name, version: pkg.version.slice(0, 512), path, installedAs: pkg.name, source };
  if (source !== 'registry' && source !== 'workspace') identity.resolved = pkg.resolution.slice(0, MAX_FIELD);
  if (pkg.checksum !== undefined) identity.integrity = pkg.checksum.slice(0, MAX_FIELD);
  return identity;
}

/** The name installed in a `…/node_modules/<name>` folder (scoped names take two segments), or null. */
function lastInstalledName(parts: readonly string[]): { name: string; at: number } | null {
  const at = parts.lastIndexOf('node_modules');
  if (at < 0) return null;
  const rest = parts.slice(at + 1);
  if (rest[0]?.startsWith('@') === true) return rest.length === 2 ? { name: `${rest[0]}/${rest[1]}`, at } : null;
  return rest.length === 1 && rest[0] !== '.bin' ? { name: rest[0]!, at } : null;
}

/**
 * Who sits in which folder. `byPath` holds the workspaces (with `names`, their package.json's
 * name and version) and each package of a name locked once at `node_modules/<name>`; `lookup`
 * answers any other folder: a nested `…/node_modules/<name>` of a node-modules install, or an
 * unplugged PnP folder. A folder the lockfile cannot account for is unknown (undefined).
 */
export function yarnBerryLockedPackages(lock: YarnBerryLock, names: ReadonlyMap<string, PackageRef> = new Map()): LockedPackages {
  const byPath = new Map<string, PackageIdentity>();
  for (const [folder, pkg] of lock.workspaces) {
    const own = names.get(folder);
    const name = (own?.name ?? pkg.name).slice(0, 512);
    byPath.set(folder, { name, version: (own?.version ?? pkg.version).slice(0, 512), path: folder, installedAs: name, source: folder === '' ? 'project' : 'workspace' });
  }
  const byName = new Map<string, YarnBerryPackage[]>();
  for (const pkg of lock.packages) {
    if (pkg.protocol === 'workspace:') continue;
    const list = byName.get(pkg.name) ?? [];
    list.push(pkg);
    byName.set(pkg.name, list);
  }
  const nodeModulesIdentity = (name: string, path: string): PackageIdentity | undefined => {
    const candidates = byName.get(name);
    if (candidates === undefined) return undefined;
    if (candidates.length === 1) return identityOf(candidates[0]!, path);
    // Several versions: the folder alone does not say which; the identity says it is one of them.
    const versions = [...new Set(candidates.map((pkg) => pkg.version))].sort();
    if (versions.length === 1) return identityOf(candidates[0]!, path);
    return { name, version: versions.join(' || ').slice(0, 512), path, installedAs: name, source: 'registry' };
  };
  for (const name of byName.keys()) {
    const identity = nodeModulesIdentity(name, `node_modules/${name}`);
    if (identity !== undefined) byPath.set(identity.path, identity);
  }
  // Built on the first unplugged folder asked about (two hashes a package).
  let unplugged: Map<string, YarnBerryPackage> | undefined;
  const unpluggedPackage = (folder: string): YarnBerryPackage | undefined => {
    if (unplugged === undefined) {
      unplugged = new Map();
      for (const pkg of lock.packages) if (pkg.protocol !== 'workspace:') unplugged.set(yarnUnpluggedFolder(pkg), pkg);
    }
    return unplugged.get(folder);
  };
  const lookup = (path: string): PackageIdentity | undefined => {
    const known = byPath.get(path);
    if (known !== undefined) return known;
    if (safeRelativePath(path) !== path) return undefined;
    const parts = path.split('/');
    const installed = lastInstalledName(parts);
    if (installed === null) return undefined;
    if (parts[0] === '.yarn' && parts[1] === 'unplugged' && installed.at === 3 && parts.length === 5 + (installed.name.startsWith('@') ? 1 : 0)) {
      // The folder names the locator; the package in it must be that locator's.
      const pkg = unpluggedPackage(parts[2]!);
      return pkg === undefined || pkg.name !== installed.name ? undefined : identityOf(pkg, path);
    }
    // A node-modules install: every segment before is a chain of node_modules/<name> folders under a workspace.
    return nodeModulesIdentity(installed.name, path);
  };
  return { byPath, bins: new Map(), lookup };
}
