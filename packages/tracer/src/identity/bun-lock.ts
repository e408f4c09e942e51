/**
 * Bun's text lockfile (`bun.lock`, lockfileVersion 0 to 2): who sits in which folder, for the
 * host's check and the runner's attribution (both read the same uploaded bytes). Pure.
 *
 * The format is JSON with trailing commas (Bun's own writer) and, as Bun's reader accepts, `//` and
 * `/* *\/` comments. It arrives with the project, so it is untrusted: the parser here is a small one
 * of its own (no `eval`, no JSON5 dependency), bounded in bytes, depth and entries, refuses
 * duplicate keys (two readers could otherwise disagree on which one counts) and builds objects
 * without a prototype (a `__proto__` key is an ordinary key, never a prototype).
 *
 * Layout: safe-install runs Bun with the hoisted linker (`--linker=hoisted`), where a `packages`
 * key is the package's place in node_modules: `a` is `node_modules/a`, `a/b` is
 * `node_modules/a/node_modules/b`, a scope takes two segments (`@s/a/@t/b`). A workspace member
 * (`["name@workspace:packages/x"]`) sits in its own folder, and what is nested under it in its.
 */
import type { PackageIdentity, PackageRef, PackageSource } from '@safe-install/schema';
import { safeRelativePath, type LockedPackages } from './locked-packages.js';
import { isPackageName } from './pnpm-lock.js';

/** Far above any real bun.lock (a large monorepo's is a few MiB). */
export const MAX_BUN_LOCK_BYTES = 32 * 1024 * 1024;
/** Packages and workspaces together. */
export const MAX_BUN_ENTRIES = 200_000;
const MAX_DEPTH = 32;
const MAX_STRING = 64 * 1024;
const MAX_FIELD = 512;

export class BunLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'BunLockError';
  }
}

/** A JSONC value as parsed: objects have no prototype. */
export type JsoncValue = string | number | boolean | null | JsoncValue[] | { [key: string]: JsoncValue };

/**
 * Parse Bun's JSON-with-trailing-commas. Throws BunLockError with a position on anything else:
 * duplicate keys, depth over MAX_DEPTH, more than `maxEntries` members and elements in all.
 */
export function parseJsonc(text: string, maxEntries = MAX_BUN_ENTRIES * 8): JsoncValue {
  let at = 0;
  let entries = 0;
  const fail = (why: string): never => {
    const line = text.slice(0, at).split('\n').length;
    throw new BunLockError(`${why} (line ${line})`);
  };
  const count = () => {
    if (++entries > maxEntries) fail(`more than ${maxEntries} entries`);
  };
  const space = () => {
    for (;;) {
      const c = text.charCodeAt(at);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) at++;
      else if (c === 0x2f && text[at + 1] === '/') {
        const end = text.indexOf('\n', at);
        at = end < 0 ? text.length : end + 1;
      } else if (c === 0x2f && text[at + 1] === '*') {
        const end = text.indexOf('*/', at + 2);
        if (end < 0) fail('unterminated comment');
        at = end + 2;
      } else return;
    }
  };
  const string = (): string => {
    // `at` is on the opening quote.
    const start = at;
    let end = at + 1;
    for (;;) {
      const c = text.charCodeAt(end);
      if (Number.isNaN(c)) fail('unterminated string');
      if (c === 0x22) break;
      if (c < 0x20) fail('control character in a string');
      end += c === 0x5c ? 2 : 1;
      if (end - start > MAX_STRING) fail(`a string longer than ${MAX_STRING} characters`);
    }
    let value: unknown;
    try {
      value = JSON.parse(text.slice(start, end + 1));
    } catch {
      fail('invalid escape in a string');
    }
    at = end + 1;
    return value as string;
  };
  const value = (depth: number): JsoncValue => {
    if (depth > MAX_DEPTH) fail(`nested deeper than ${MAX_DEPTH}`);
    space();
    const c = text[at];
    if (c === '{') {
      at++;
      const object = Object.create(null) as Record<string, JsoncValue>;
      for (;;) {
        space();
        if (text[at] === '}') {
          at++;
          return object;
        }
        if (text[at] !== '"') fail('expected a key in double quotes');
        const key = string();
        if (Object.hasOwn(object, key)) fail(`duplicate key ${JSON.stringify(key.slice(0, 80))}`);
        space();
        if (text[at] !== ':') fail('expected ":"');
        at++;
        count();
        object[key] = value(depth + 1);
        space();
        if (text[at] === ',') at++;
        else if (text[at] !== '}') fail('expected "," or "}"');
      }
    }
    if (c === '[') {
      at++;
      const array: JsoncValue[] = [];
      for (;;) {
        space();
        if (text[at] === ']') {
          at++;
          return array;
        }
        count();
        array.push(value(depth + 1));
        space();
        if (text[at] === ',') at++;
        else if (text[at] !== ']') fail('expected "," or "]"');
      }
    }
    if (c === '"') return string();
    const literal = /^(?:true|false|null|-?(?:0|[1-9]\d{0,15})(?:\.\d{1,16})?(?:[eE][+-]?\d{1,3})?)/.exec(text.slice(at, at + 40));
    if (literal === null) fail('unexpected character');
    at += literal![0].length;
    return literal![0] === 'true' ? true : literal![0] === 'false' ? false : literal![0] === 'null' ? null : Number(literal![0]);
  };
  const result = value(0);
  space();
  if (at !== text.length) fail('text after the end');
  return result;
}

export interface BunWorkspace {
  /** Its folder, relative to the project (`''` for the root). */
  path: string;
  name?: string;
  version?: string;
  /** Its pins, per dependency field: name → specifier, as in its package.json. */
  dependencies: Record<string, Record<string, string>>;
}

export interface BunPackage {
  /** The key: its place in the hoisted node_modules tree (`a`, `a/b`, `@s/a/@t/b`). */
  key: string;
  name: string;
  /** The version (registry), or the resolution after `@` (`workspace:packages/x`, `file:…`, `github:…`). */
  version: string;
  source: PackageSource;
  /** The folder of a `workspace:`/`link:`/folder `file:` entry (relative, inside the project). */
  directory?: string;
  /** A `file:` tarball inside the project. */
  tarball?: string;
  resolved?: string;
  integrity?: string;
  /** `hasInstallScript` in the lockfile's metadata (Bun's own claim, from the registry). */
  hasInstallScript: boolean;
  /** The lockfile's `bin` metadata: bin name → file. */
  bin: Record<string, string>;
}

export interface BunLock {
  lockfileVersion: number;
  workspaces: Map<string, BunWorkspace>;
  packages: Map<string, BunPackage>;
  /** `trustedDependencies` as the lockfile recorded it (the root package.json's is the one Bun reads). */
  trustedDependencies?: string[];
}

const isRecord = (value: unknown): value is Record<string, JsoncValue> => typeof value === 'object' && value !== null && !Array.isArray(value);
const shown = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
const DEPENDENCY_FIELDS = ['dependencies', 'devDependencies', 'optionalDependencies', 'peerDependencies'] as const;

/** The names a key is made of: `@s/a/b` → [`@s/a`, `b`]; null if it is no chain of package names. */
export function splitBunKey(key: string): string[] | null {
  if (key.length === 0 || key.length > 4096) return null;
  const parts = key.split('/');
  const names: string[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i]!;
    const name = part.startsWith('@') ? `${part}/${parts[++i] ?? ''}` : part;
    if (!isPackageName(name)) return null;
    names.push(name);
  }
  return names;
}

/** `name@resolution` → its two halves (a scoped name's own `@` is not the separator). */
function splitSpec(spec: string): { name: string; resolution: string } | null {
  const at = spec.indexOf('@', 1);
  if (at < 1) return null;
  return { name: spec.slice(0, at), resolution: spec.slice(at + 1) };
}

function insideProject(folder: string, what: string): string {
  const normal = folder.replace(/^\.\/+/, '').replace(/\/+$/, '');
  if (normal === '' || normal === '.') return '';
  const path = safeRelativePath(normal);
  if (path === null || path.split('/').includes('node_modules')) throw new BunLockError(`${what} is outside the project or inside node_modules: ${shown(folder)}`);
  return path;
}

function stringRecord(value: JsoncValue | undefined, where: string): Record<string, string> {
  if (value === undefined) return {};
  if (!isRecord(value)) throw new BunLockError(`${where} is not an object`);
  const out = Object.create(null) as Record<string, string>;
  for (const [key, entry] of Object.entries(value)) {
    if (typeof entry !== 'string') throw new BunLockError(`${where}.${shown(key)} is not a string`);
    out[key] = entry;
  }
  return out;
}

/** Parse and validate bun.lock. Throws BunLockError on anything a real bun.lock does not contain. */
export function parseBunLock(content: string | Buffer): BunLock {
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  if (size > MAX_BUN_LOCK_BYTES) throw new BunLockError(`it is larger than ${MAX_BUN_LOCK_BYTES} bytes`);
  const text = typeof content === 'string' ? content : content.toString('utf8');
  const root = parseJsonc(text.charCodeAt(0) === 0xfeff ? text.slice(1) : text);
  if (!isRecord(root)) throw new BunLockError('it is not an object');
  const version = root['lockfileVersion'];
  if (typeof version !== 'number' || !Number.isInteger(version) || version < 0 || version > 2) {
    throw new BunLockError(`lockfileVersion ${shown(String(version))} is not one safe-install reads (0 to 2)`);
  }
  if (!isRecord(root['workspaces'])) throw new BunLockError('it has no "workspaces" object');
  const workspaces = new Map<string, BunWorkspace>();
  for (const [folder, entry] of Object.entries(root['workspaces'])) {
    const path = insideProject(folder, 'a workspace');
    if (workspaces.has(path)) throw new BunLockError(`workspace ${shown(folder)} is listed twice`);
    if (!isRecord(entry)) throw new BunLockError(`workspace ${shown(folder)} is not an object`);
    const workspace: BunWorkspace = { path, dependencies: {} };
    if (typeof entry['name'] === 'string') workspace.name = entry['name'].slice(0, MAX_FIELD);
    if (typeof entry['version'] === 'string') workspace.version = entry['version'].slice(0, MAX_FIELD);
    for (const field of DEPENDENCY_FIELDS) workspace.dependencies[field] = stringRecord(entry[field], `workspace ${shown(folder)}.${field}`);
    workspaces.set(path, workspace);
  }
  if (!workspaces.has('')) throw new BunLockError('it has no workspace for the project root ("")');
  const packagesValue = root['packages'] ?? {};
  if (!isRecord(packagesValue)) throw new BunLockError('"packages" is not an object');
  const packages = new Map<string, BunPackage>();
  if (workspaces.size + Object.keys(packagesValue).length > MAX_BUN_ENTRIES) throw new BunLockError(`it has more than ${MAX_BUN_ENTRIES} entries`);
  for (const [key, entry] of Object.entries(packagesValue)) {
    const names = splitBunKey(key);
    if (names === null) throw new BunLockError(`package key ${shown(key)} is not a path of package names`);
    if (!Array.isArray(entry) || entry.length === 0 || typeof entry[0] !== 'string') throw new BunLockError(`package ${shown(key)} is not ["name@version", …]`);
    const spec = splitSpec(entry[0]);
    if (spec === null || !isPackageName(spec.name) || spec.resolution.length === 0 || spec.resolution.length > 4096) throw new BunLockError(`package ${shown(key)} names no package: ${shown(entry[0])}`);
    const pkg = packageOf(key, spec.name, spec.resolution, entry.slice(1));
    packages.set(key, pkg);
  }
  const lock: BunLock = { lockfileVersion: version, workspaces, packages };
  const trusted = root['trustedDependencies'];
  if (Array.isArray(trusted)) lock.trustedDependencies = trusted.filter((name): name is string => typeof name === 'string').map((name) => name.slice(0, MAX_FIELD));
  return lock;
}

function packageOf(key: string, name: string, resolution: string, rest: JsoncValue[]): BunPackage {
  const pkg: BunPackage = { key, name, version: resolution.slice(0, MAX_FIELD), source: 'registry', hasInstallScript: false, bin: {} };
  const meta = rest.find(isRecord);
  if (meta !== undefined) {
    pkg.hasInstallScript = meta['hasInstallScript'] === true;
    const bin = meta['bin'];
    if (isRecord(bin)) for (const [binName, file] of Object.entries(bin)) if (typeof file === 'string' && /^[^/\\\0]{1,214}$/.test(binName) && binName !== '.' && binName !== '..') pkg.bin[binName] = file;
  }
  const kind = /^([a-z+]+):/.exec(resolution)?.[1];
  if (kind === undefined && /\.(?:tgz|tar\.gz|tar)$/.test(resolution)) {
    // A tarball in the project: `name@path/to/x.tgz` (bun.lock records no version for it, so the
    // identity's version is `file:` and its path, as the lockfile names it).
    pkg.source = 'file';
    pkg.tarball = insideProject(resolution, `package ${shown(key)}`);
    pkg.version = `file:${pkg.tarball}`.slice(0, MAX_FIELD);
    return pkg;
  }
  if (kind === undefined) {
    if (!/^\d{1,9}\.\d{1,9}\.\d{1,9}(?:[-+][0-9A-Za-z.+-]{1,200})?$/.test(resolution)) throw new BunLockError(`package ${shown(key)} has a version safe-install does not read: ${shown(resolution.slice(0, 40))}`);
    // `name@1.2.3`: [spec, registry URL or "", meta, integrity].
    if (typeof rest[0] === 'string' && rest[0] !== '') pkg.resolved = rest[0].slice(0, MAX_FIELD);
    const integrity = rest[rest.length - 1];
    if (typeof integrity === 'string' && /^sha\d+-/.test(integrity)) pkg.integrity = integrity.slice(0, MAX_FIELD);
    return pkg;
  }
  const target = resolution.slice(kind.length + 1);
  switch (kind) {
    case 'workspace':
    case 'link':
      pkg.source = kind === 'workspace' ? 'workspace' : 'file';
      pkg.directory = insideProject(target, `package ${shown(key)}`);
      return pkg;
    case 'file': {
      pkg.source = 'file';
      const path = insideProject(target, `package ${shown(key)}`);
      if (/\.(?:tgz|tar\.gz|tar)$/.test(path)) pkg.tarball = path;
      else pkg.directory = path;
      return pkg;
    }
    case 'git':
    case 'github':
    case 'git+ssh':
    case 'git+https':
      pkg.source = 'git';
      pkg.resolved = resolution.slice(0, MAX_FIELD);
      return pkg;
    case 'http':
    case 'https':
      pkg.source = 'remote';
      pkg.resolved = resolution.slice(0, MAX_FIELD);
      return pkg;
    case 'npm':
      // An alias's target: `npm:real@1.2.3` (the key is the alias, the real name follows).
      pkg.resolved = resolution.slice(0, MAX_FIELD);
      return pkg;
    case 'root':
      throw new BunLockError(`package ${shown(key)} resolves to the project root`);
    default:
      throw new BunLockError(`package ${shown(key)} has a resolution safe-install does not know: ${shown(resolution.slice(0, 40))}`);
  }
}

/**
 * The folder a hoisted package key is installed in: each name's `node_modules/<name>`, under the
 * folder of a workspace member where the chain starts at one (the member's own folder, not its
 * link in node_modules, is where its nested packages and scripts run).
 */
export function bunPackageFolder(key: string, lock: Pick<BunLock, 'packages'>): string | null {
  const names = splitBunKey(key);
  if (names === null) return null;
  let folder = '';
  for (const [index, name] of names.entries()) {
    const prefix = names.slice(0, index + 1).join('/');
    const entry = lock.packages.get(prefix);
    if (entry?.directory !== undefined && (entry.source === 'workspace' || entry.source === 'file')) folder = entry.directory;
    else folder = folder === '' ? `node_modules/${name}` : `${folder}/node_modules/${name}`;
  }
  return folder;
}

/**
 * Who sits in which folder: the root and each workspace in its own, each package in its hoisted
 * folder; `.bin` entries from the lockfile's `bin` metadata. `names` gives the workspaces' own
 * names and versions (their package.json as uploaded), where the lockfile lacks them.
 */
export function bunLockedPackages(lock: BunLock, names: ReadonlyMap<string, PackageRef> = new Map()): LockedPackages {
  const byPath = new Map<string, PackageIdentity>();
  const bins = new Map<string, PackageIdentity>();
  for (const workspace of lock.workspaces.values()) {
    const own = names.get(workspace.path);
    const name = (own?.name ?? workspace.name ?? (workspace.path === '' ? '' : workspace.path.split('/').pop()!)).slice(0, MAX_FIELD);
    const version = (own?.version ?? workspace.version ?? '').slice(0, MAX_FIELD);
    byPath.set(workspace.path, { name, version, path: workspace.path, installedAs: name, source: workspace.path === '' ? 'project' : 'workspace' });
  }
  for (const pkg of lock.packages.values()) {
    if (pkg.source === 'workspace') continue;
    const path = bunPackageFolder(pkg.key, lock);
    if (path === null || byPath.has(path)) continue;
    const installedAs = splitBunKey(pkg.key)!.pop()!;
    let { name, version } = pkg;
    if (pkg.resolved?.startsWith('npm:') === true) {
      const alias = splitSpec(pkg.resolved.slice(4));
      if (alias !== null) ({ name, resolution: version } = alias);
    }
    const identity: PackageIdentity = { name, version, path, installedAs, source: pkg.source };
    if (pkg.resolved !== undefined) identity.resolved = pkg.resolved;
    if (pkg.integrity !== undefined) identity.integrity = pkg.integrity;
    byPath.set(path, identity);
    // Hoisted: a package's bins are linked in the node_modules/.bin of the folder it sits in.
    const parent = path.slice(0, path.lastIndexOf('node_modules/') + 'node_modules'.length);
    for (const bin of Object.keys(pkg.bin)) bins.set(`${parent}/.bin/${bin}`, identity);
  }
  return { byPath, bins };
}
