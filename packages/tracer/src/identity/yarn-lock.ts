/**
 * Yarn classic's lockfile (`yarn.lock` with the `# yarn lockfile v1` header): its own
 * indentation-based format (not YAML), and who sits in which folder of a Yarn 1 install.
 *
 * The lockfile is untrusted input (it arrives with the project): bounded in size, lines and depth;
 * every line must be one of the forms Yarn 1 writes (a comment, a `key value` pair, a `key:` block
 * opener indented by two spaces a level), anything else is refused with its line number; duplicate
 * keys are refused; keys are kept in Maps and null-prototype objects, so `__proto__` is a name.
 *
 * Yarn 1 hoists: the lockfile names no folders. A folder's package is found by the name it is
 * installed under (its path after the last `node_modules/`, which Yarn chose from the dependency's
 * name) among the lockfile's entries of that name; when the lockfile has several versions of the
 * name, the installed package.json's `version` picks among them, and a version the lockfile does
 * not have for that name is nobody's. The identity is the lockfile entry's: `name` from its
 * `resolved` URL (an alias's real name), `version`, `resolved` and `integrity` from the entry.
 */
import type { PackageIdentity, PackageRef } from '@safe-install/schema';
import { registryNameOf, type LockedPackages } from './locked-packages.js';

/** Largest yarn.lock read (big monorepos have lockfiles of a few MiB). */
export const MAX_YARN_LOCK_BYTES = 32 * 1024 * 1024;
const MAX_LINES = 2_000_000;
const MAX_DEPTH = 4;
const MAX_LINE = 16 * 1024;

export class YarnLockError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'YarnLockError';
  }
}

/** One entry: every pattern (`name@range`) that resolved to it, and its fields. */
export interface YarnLockEntry {
  patterns: string[];
  /** The dependency name of its patterns (what Yarn installs the folder under). */
  installedAs: string;
  version: string;
  resolved?: string;
  integrity?: string;
  dependencies: Record<string, string>;
  optionalDependencies: Record<string, string>;
}

export interface YarnLock {
  entries: YarnLockEntry[];
  /** Pattern → its entry. */
  byPattern: ReadonlyMap<string, YarnLockEntry>;
}

type Value = string | boolean | number | Block;
interface Block {
  readonly map: Map<string, Value>;
}

const shown = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

/** A quoted string at `at` (JSON escapes), or a bare word: [text, end]. */
function readToken(line: string, at: number, lineNo: number): [string, number, boolean] {
  if (line[at] === '"') {
    let end = at + 1;
    while (end < line.length && line[end] !== '"') end += line[end] === '\\' ? 2 : 1;
    if (end >= line.length) throw new YarnLockError(`line ${lineNo}: unterminated string`);
    let text: unknown;
    try {
      text = JSON.parse(line.slice(at, end + 1));
    } catch {
      throw new YarnLockError(`line ${lineNo}: invalid string`);
    }
    return [text as string, end + 1, true];
  }
  const match = /^[^\s:,"#]+/.exec(line.slice(at));
  if (match === null) throw new YarnLockError(`line ${lineNo}: expected a key or value at column ${at + 1}`);
  return [match[0], at + match[0].length, false];
}

function bare(word: string): Value {
  if (word === 'true') return true;
  if (word === 'false') return false;
  if (/^-?\d{1,15}(?:\.\d{1,15})?$/.test(word)) return Number(word);
  return word;
}

/** Parse the v1 format into nested blocks. Throws YarnLockError for anything Yarn 1 does not write. */
export function parseYarnLockText(content: Buffer | string): Block {
  const size = typeof content === 'string' ? Buffer.byteLength(content) : content.length;
  if (size > MAX_YARN_LOCK_BYTES) throw new YarnLockError(`it is larger than ${MAX_YARN_LOCK_BYTES} bytes`);
  const text = typeof content === 'string' ? content : content.toString('utf8');
  if (text.includes('\0')) throw new YarnLockError('it contains a NUL byte');
  const lines = text.split(/\r?\n/);
  if (lines.length > MAX_LINES) throw new YarnLockError(`it has more than ${MAX_LINES} lines`);
  const root: Block = { map: new Map() };
  // The open blocks, by depth: stack[d] receives lines indented 2*d spaces.
  const stack: Block[] = [root];
  let opened = false;
  for (let i = 0; i < lines.length; i++) {
    const lineNo = i + 1;
    const raw = lines[i]!;
    if (raw.length > MAX_LINE) throw new YarnLockError(`line ${lineNo} is longer than ${MAX_LINE} characters`);
    if (raw.trim() === '' || /^\s*#/.test(raw)) continue;
    const indent = /^ */.exec(raw)![0].length;
    if (raw[indent] === '\t') throw new YarnLockError(`line ${lineNo}: tabs are not indentation`);
    if (indent % 2 !== 0) throw new YarnLockError(`line ${lineNo}: odd indentation`);
    const depth = indent / 2;
    if (depth > stack.length - 1) throw new YarnLockError(`line ${lineNo}: indented deeper than its block`);
    if (opened && depth !== stack.length - 1) throw new YarnLockError(`line ${lineNo}: empty block on the line before`);
    stack.length = depth + 1;
    opened = false;
    const block = stack[depth]!;
    // Keys: one, or (a top-level entry) several separated by ", ".
    const keys: string[] = [];
    let at = indent;
    for (;;) {
      const [key, end] = readToken(raw, at, lineNo);
      keys.push(key);
      at = end;
      if (raw.startsWith(', ', at)) {
        at += 2;
        continue;
      }
      break;
    }
    const put = (key: string, value: Value): void => {
      if (key.length === 0) throw new YarnLockError(`line ${lineNo}: empty key`);
      if (block.map.has(key)) throw new YarnLockError(`line ${lineNo}: duplicate key ${shown(key)}`);
      block.map.set(key, value);
    };
    if (raw.slice(at).trimEnd() === ':') {
      if (depth + 1 > MAX_DEPTH) throw new YarnLockError(`line ${lineNo}: nested deeper than ${MAX_DEPTH} levels`);
      const child: Block = { map: new Map() };
      for (const key of keys) put(key, child);
      stack.push(child);
      opened = true;
      continue;
    }
    if (keys.length !== 1) throw new YarnLockError(`line ${lineNo}: a list of keys must open a block (end with ":")`);
    if (raw[at] !== ' ') throw new YarnLockError(`line ${lineNo}: expected a space and a value after ${shown(keys[0]!)}`);
    const [value, end, quoted] = readToken(raw, at + 1, lineNo);
    if (raw.slice(end).trim() !== '') throw new YarnLockError(`line ${lineNo}: unexpected text after the value`);
    put(keys[0]!, quoted ? value : bare(value));
  }
  if (opened) throw new YarnLockError('the last block is empty');
  return root;
}

/** The dependency name of a pattern: `name@range`, `@scope/name@range`, `alias@npm:real@range`. */
export function patternName(pattern: string): string | null {
  const at = pattern.indexOf('@', pattern.startsWith('@') ? 1 : 0);
  const name = at < 0 ? pattern : pattern.slice(0, at);
  return /^(?:@[a-z0-9][\w.~-]*\/)?[a-z0-9_.~-][\w.~-]*$/i.test(name) && name.length <= 214 && name !== '.' && name !== '..' ? name : null;
}

function stringMap(value: Value | undefined, where: string): Record<string, string> {
  const out = Object.create(null) as Record<string, string>;
  if (value === undefined) return out;
  if (typeof value !== 'object') throw new YarnLockError(`${where} is not a block`);
  for (const [key, spec] of value.map) {
    if (typeof spec === 'object') throw new YarnLockError(`${where}.${shown(key)} is a block, not a range`);
    out[key] = String(spec);
  }
  return out;
}

function optionalString(block: Block, key: string, where: string): string | undefined {
  const value = block.map.get(key);
  if (value === undefined) return undefined;
  if (typeof value === 'object') throw new YarnLockError(`${where}.${key} is a block, not a value`);
  return String(value);
}

/**
 * Parse and check a Yarn 1 lockfile: the v1 header, and every top-level key an entry with a
 * `version`; the patterns of one entry share one dependency name.
 */
export function parseYarnLock(content: Buffer | string): YarnLock {
  const text = typeof content === 'string' ? content : content.toString('utf8', 0, Math.min(content.length, 4096));
  if (!/^# yarn lockfile v1\s*$/m.test(text.slice(0, 4096))) throw new YarnLockError('it has no "# yarn lockfile v1" header');
  const root = parseYarnLockText(content);
  const entries: YarnLockEntry[] = [];
  const byPattern = new Map<string, YarnLockEntry>();
  const seen = new Map<Block, YarnLockEntry>();
  for (const [pattern, value] of root.map) {
    if (typeof value !== 'object') throw new YarnLockError(`top-level key ${shown(pattern)} is not an entry`);
    const name = patternName(pattern);
    if (name === null) throw new YarnLockError(`${shown(pattern)} does not start with a package name`);
    const shared = seen.get(value);
    if (shared !== undefined) {
      const entry = shared;
      if (entry.installedAs !== name) throw new YarnLockError(`${shown(pattern)} shares an entry with ${shown(entry.patterns[0]!)} of another name`);
      entry.patterns.push(pattern);
      byPattern.set(pattern, entry);
      continue;
    }
    const where = shown(pattern);
    const version = optionalString(value, 'version', where);
    if (version === undefined || version.length === 0 || version.length > 256) throw new YarnLockError(`${where} has no version`);
    const entry: YarnLockEntry = {
      patterns: [pattern],
      installedAs: name,
      version,
      dependencies: stringMap(value.map.get('dependencies'), `${where}.dependencies`),
      optionalDependencies: stringMap(value.map.get('optionalDependencies'), `${where}.optionalDependencies`),
    };
    const resolved = optionalString(value, 'resolved', where);
    const integrity = optionalString(value, 'integrity', where);
    if (resolved !== undefined) entry.resolved = resolved;
    if (integrity !== undefined) entry.integrity = integrity;
    entries.push(entry);
    seen.set(value, entry);
    byPattern.set(pattern, entry);
  }
  return { entries, byPattern };
}

/** The entry's real name: from a registry `resolved` URL, else an `npm:` alias's target, else the dependency name. */
export function yarnEntryName(entry: YarnLockEntry): string {
  const fromUrl = entry.resolved === undefined ? null : registryNameOf(entry.resolved.split('#')[0]!);
  if (fromUrl !== null) return fromUrl;
  const pattern = entry.patterns[0]!;
  const range = pattern.slice(entry.installedAs.length + 1);
  if (range.startsWith('npm:')) {
    const target = patternName(range.slice('npm:'.length));
    if (target !== null) return target;
  }
  return entry.installedAs;
}

function entrySource(entry: YarnLockEntry): PackageIdentity['source'] {
  const resolved = entry.resolved;
  const range = entry.patterns[0]!.slice(entry.installedAs.length + 1);
  if (range.startsWith('file:') || range.startsWith('link:') || resolved?.startsWith('file:') === true) return 'file';
  if (resolved === undefined) return range.startsWith('git') || range.includes('github') ? 'git' : 'file';
  if (/^(?:git\+|git:|github:|gitlab:|bitbucket:)/.test(resolved) || /^https:\/\/codeload\.github\.com\//.test(resolved)) return 'git';
  return registryNameOf(resolved.split('#')[0]!) !== null ? 'registry' : 'remote';
}

/** The lockfile's packages by real name and version (what it installs). */
export function yarnLockedRefs(lock: YarnLock): PackageRef[] {
  const seen = new Set<string>();
  const refs: PackageRef[] = [];
  for (const entry of lock.entries) {
    const ref = { name: yarnEntryName(entry), version: entry.version };
    const id = `${ref.name}@${ref.version}`;
    if (seen.has(id)) continue;
    seen.add(id);
    refs.push(ref);
  }
  return refs;
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

/** An installed folder (relative to the project) and the `version` its package.json states (if any). */
export interface YarnInstalledFolder {
  path: string;
  version?: string;
}

/**
 * Who sits in each installed folder: the lockfile entry of the folder's installed name — the only
 * one, or the one whose version the folder's package.json states (checked against the lockfile,
 * never taken alone). Folders no entry fits are left out (their scripts are nobody's: unlocked).
 * `projects`: the root (`''`) and each workspace folder, known by its own uploaded package.json.
 */
export function yarnLockedPackages(lock: YarnLock, folders: Iterable<YarnInstalledFolder>, projects: ReadonlyMap<string, PackageRef>): LockedPackages {
  const byName = new Map<string, YarnLockEntry[]>();
  for (const entry of lock.entries) {
    const list = byName.get(entry.installedAs) ?? [];
    if (!list.some((other) => other.version === entry.version)) list.push(entry);
    byName.set(entry.installedAs, list);
  }
  const byPath = new Map<string, PackageIdentity>();
  for (const [path, ref] of projects) byPath.set(path, { name: ref.name, version: ref.version, path, installedAs: ref.name, source: path === '' ? 'project' : 'workspace' });
  for (const folder of folders) {
    if (byPath.has(folder.path)) continue;
    const name = installedName(folder.path);
    const candidates = name === null ? undefined : byName.get(name);
    if (name === null || candidates === undefined) continue;
    const entry = candidates.length === 1 ? candidates[0] : candidates.find((candidate) => candidate.version === folder.version);
    if (entry === undefined) continue;
    const identity: PackageIdentity = { name: yarnEntryName(entry), version: entry.version, path: folder.path, installedAs: name, source: entrySource(entry) };
    if (entry.resolved !== undefined) identity.resolved = entry.resolved;
    if (entry.integrity !== undefined) identity.integrity = entry.integrity;
    byPath.set(folder.path, identity);
  }
  return { byPath, bins: new Map() };
}
