/**
 * `.safe-install/approvals.json`: what each approved package's install scripts did in the run it
 * was approved on, per `name@version`, so the next version's run can be compared with it
 * (`diffBehaviours`) before it is approved in turn.
 *
 * The file sits in the project: anyone who can change the project (a pull request) can change it,
 * so it is read as hostile input — size-limited, every field checked, every set bounded, keys
 * that are not what they claim dropped with a warning; a file that does not parse is reported and
 * never overwritten. It only informs a reader: the diff shows what is new against it, while the
 * policy judges the run on its own. Written bounded (values per kind, scripts per package,
 * packages), oldest approvals first to go.
 */
import { lstat, mkdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { SafeInstallError, type PackageRef } from '@safe-install/schema';
import { replaceFile } from '@safe-install/policy';
import { BEHAVIOUR_KINDS, MAX_VALUE_LENGTH, behaviourKey, type BehaviourKind, type ScriptBehaviour, type TraceBehaviours } from '@safe-install/trace';

export const APPROVALS_DIR = '.safe-install';
export const APPROVALS_FILE = `${APPROVALS_DIR}/approvals.json`;
export const APPROVALS_VERSION = 1;
/** Largest file read. */
export const MAX_APPROVALS_BYTES = 4 * 1024 * 1024;
/** Most approvals kept (the oldest go first). */
export const MAX_APPROVALS = 500;
/** Most lifecycle scripts kept per approval. */
export const MAX_SCRIPTS_PER_APPROVAL = 16;
/** Most values kept per kind and script; what is cut is counted as dropped. */
export const MAX_STORED_VALUES = 200;

export interface StoredScript {
  values: Record<BehaviourKind, string[]>;
  /** Values not kept (by the run's collector, or here): a diff against this side is partial. */
  dropped: Record<BehaviourKind, number>;
}

export interface StoredApproval {
  name: string;
  version: string;
  /** The allowScripts entry written. */
  entry: string;
  /** ISO date-time of the approval. */
  approvedAt: string;
  /** Lifecycle → what its script did. */
  scripts: Map<string, StoredScript>;
}

export interface ApprovalsStore {
  /** By `name@version`. */
  approvals: Map<string, StoredApproval>;
}

export interface ParsedApprovals {
  store: ApprovalsStore;
  warnings: string[];
  /** False when the file is not an approvals file at all: it must not be overwritten. */
  valid: boolean;
}

const NAME = /^(?:@[a-z0-9][a-z0-9._~-]*\/)?[a-z0-9][a-z0-9._~-]*$/i;
const LIFECYCLE = /^[a-z][a-z0-9:_-]{0,63}$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

export function emptyStore(): ApprovalsStore {
  return { approvals: new Map() };
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const short = (text: string): string => JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);

function emptyCounts(): Record<BehaviourKind, number> {
  return { script: 0, exec: 0, host: 0, dns: 0, file: 0, finding: 0 };
}

function parseScript(value: unknown): StoredScript | string {
  if (!isRecord(value) || !isRecord(value['values'])) return 'has no values';
  const rawValues = value['values'];
  const rawDropped = isRecord(value['dropped']) ? value['dropped'] : {};
  const values = {} as Record<BehaviourKind, string[]>;
  const dropped = emptyCounts();
  for (const kind of BEHAVIOUR_KINDS) {
    const list = rawValues[kind] ?? [];
    if (!Array.isArray(list)) return `${kind} is not a list`;
    const kept: string[] = [];
    const seen = new Set<string>();
    for (const item of list) {
      if (typeof item !== 'string') return `${kind} holds a non-string`;
      const v = item.length > MAX_VALUE_LENGTH ? item.slice(0, MAX_VALUE_LENGTH) : item;
      if (seen.has(v)) continue;
      if (kept.length >= MAX_STORED_VALUES) dropped[kind] += 1;
      else {
        seen.add(v);
        kept.push(v);
      }
    }
    values[kind] = kept;
    const count = rawDropped[kind];
    if (count !== undefined) {
      if (typeof count !== 'number' || !Number.isSafeInteger(count) || count < 0) return `dropped.${kind} is not a count`;
      dropped[kind] += count;
    }
  }
  return { values, dropped };
}

function parseApproval(id: string, value: unknown): StoredApproval | string {
  if (!isRecord(value)) return 'is not an object';
  const { name, version, entry, approvedAt, scripts } = value;
  if (typeof name !== 'string' || name.length > 214 || !NAME.test(name)) return 'has no valid package name';
  if (typeof version !== 'string' || version === '' || version.length > 256 || CONTROL.test(version)) return 'has no valid version';
  if (id !== `${name}@${version}`) return `is not the approval of ${short(`${name}@${version}`)}`;
  if (typeof entry !== 'string' || entry === '' || entry.length > 2048 || CONTROL.test(entry)) return 'has no valid allowScripts entry';
  if (typeof approvedAt !== 'string' || approvedAt.length > 64 || Number.isNaN(Date.parse(approvedAt))) return 'has no valid approval date';
  if (!isRecord(scripts)) return 'has no scripts';
  const out = new Map<string, StoredScript>();
  for (const [lifecycle, script] of Object.entries(scripts)) {
    if (!LIFECYCLE.test(lifecycle)) return `names a script ${short(lifecycle)} that is no lifecycle`;
    if (out.size >= MAX_SCRIPTS_PER_APPROVAL) return `has more than ${MAX_SCRIPTS_PER_APPROVAL} scripts`;
    const parsed = parseScript(script);
    if (typeof parsed === 'string') return `script ${lifecycle} ${parsed}`;
    out.set(lifecycle, parsed);
  }
  return { name, version, entry, approvedAt: new Date(Date.parse(approvedAt)).toISOString(), scripts: out };
}

/** The approvals of a file's text; a bad entry is dropped with a warning, a bad file is empty and invalid. */
export function parseApprovals(text: string, file = APPROVALS_FILE): ParsedApprovals {
  const store = emptyStore();
  if (text.length > MAX_APPROVALS_BYTES) return { store, warnings: [`${file} is larger than ${MAX_APPROVALS_BYTES} bytes: not read`], valid: false };
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (error) {
    return { store, warnings: [`${file} is not JSON (${(error as Error).message}): not read, and not overwritten`], valid: false };
  }
  if (!isRecord(doc) || doc['version'] !== APPROVALS_VERSION || !isRecord(doc['approvals'])) {
    return { store, warnings: [`${file} is not a version ${APPROVALS_VERSION} approvals file: not read, and not overwritten`], valid: false };
  }
  const warnings: string[] = [];
  for (const [id, value] of Object.entries(doc['approvals'])) {
    if (store.approvals.size >= MAX_APPROVALS) {
      warnings.push(`${file}: more than ${MAX_APPROVALS} approvals; the rest were not read`);
      break;
    }
    const parsed = parseApproval(id, value);
    if (typeof parsed === 'string') warnings.push(`${file}: approval ${short(id)} ${parsed}; ignored`);
    else store.approvals.set(id, parsed);
  }
  return { store, warnings, valid: true };
}

/** The file's text: approvals in the order they were made, bounded. */
export function approvalsText(store: ApprovalsStore): string {
  const approvals = [...store.approvals.values()].sort((a, b) => a.approvedAt.localeCompare(b.approvedAt)).slice(-MAX_APPROVALS);
  const out: Record<string, unknown> = {};
  for (const approval of approvals) {
    const scripts: Record<string, unknown> = {};
    for (const [lifecycle, script] of [...approval.scripts].slice(0, MAX_SCRIPTS_PER_APPROVAL)) {
      const values: Record<string, string[]> = {};
      const dropped: Record<string, number> = {};
      for (const kind of BEHAVIOUR_KINDS) {
        values[kind] = script.values[kind].slice(0, MAX_STORED_VALUES);
        const lost = script.dropped[kind] + Math.max(0, script.values[kind].length - MAX_STORED_VALUES);
        if (lost > 0) dropped[kind] = lost;
      }
      scripts[lifecycle] = Object.keys(dropped).length > 0 ? { values, dropped } : { values };
    }
    out[`${approval.name}@${approval.version}`] = { name: approval.name, version: approval.version, entry: approval.entry, approvedAt: approval.approvedAt, scripts };
  }
  return `${JSON.stringify({ version: APPROVALS_VERSION, approvals: out }, null, 2)}\n`;
}

/** The approval of `pkg` from its scripts' behaviours in the approving run. */
export function approvalOf(pkg: PackageRef, entry: string, scripts: readonly ScriptBehaviour[], approvedAt: Date): StoredApproval {
  const out = new Map<string, StoredScript>();
  for (const script of scripts) {
    const values = {} as Record<BehaviourKind, string[]>;
    for (const kind of BEHAVIOUR_KINDS) values[kind] = [...script.values[kind]];
    out.set(script.lifecycle ?? '?', { values, dropped: { ...script.dropped } });
  }
  return { name: pkg.name, version: pkg.version, entry, approvedAt: approvedAt.toISOString(), scripts: out };
}

/** A store with `approval` in it (replacing the same `name@version`). */
export function withApproval(store: ApprovalsStore, approval: StoredApproval): ApprovalsStore {
  const approvals = new Map(store.approvals);
  approvals.delete(`${approval.name}@${approval.version}`);
  approvals.set(`${approval.name}@${approval.version}`, approval);
  return { approvals };
}

/** An approval's behaviours, as diffBehaviours compares them. */
export function behavioursOfApproval(approval: StoredApproval): TraceBehaviours {
  const scripts = new Map<string, ScriptBehaviour>();
  for (const [lifecycle, script] of approval.scripts) {
    const values = {} as Record<BehaviourKind, Set<string>>;
    for (const kind of BEHAVIOUR_KINDS) values[kind] = new Set(script.values[kind]);
    const key = behaviourKey(approval.name, lifecycle);
    scripts.set(key, { key, package: { name: approval.name, version: approval.version }, lifecycle, values, dropped: { ...script.dropped } });
  }
  return { scripts };
}

/**
 * The approval a new version of `name` is compared with: of the versions allowScripts approved
 * (`approvedVersions`), the most recent recorded one; else the most recent of any other version.
 */
export function previousApproval(store: ApprovalsStore, name: string, version: string, approvedVersions: readonly string[]): StoredApproval | null {
  const others = [...store.approvals.values()].filter((a) => a.name === name && a.version !== version).sort((a, b) => b.approvedAt.localeCompare(a.approvedAt));
  return others.find((a) => approvedVersions.includes(a.version)) ?? others[0] ?? null;
}

/** Refuse a path that is a symbolic link: a write must never land where a link points. */
export async function notALink(path: string, what: string): Promise<boolean> {
  try {
    const info = await lstat(path);
    if (info.isSymbolicLink()) throw new SafeInstallError('APPROVALS_NOT_WRITTEN', 'usage', `${what} ${path} is a symbolic link; approve writes only real files`);
    return true;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw error;
  }
}

/** Largest project file read back for writing (as readProject's bound). */
const MAX_EDITED_FILE_BYTES = 64 * 1024 * 1024;

/**
 * A project file as it is now, read to write a decision into it: a regular file (never through a
 * link), bounded; its text (edited in place) and mode (kept). Throws APPROVE_NOT_WRITTEN.
 */
export async function fileToEdit(path: string, name: string): Promise<{ text: string; mode: number }> {
  await notALink(path, name);
  const info = await lstat(path);
  if (!info.isFile() || info.size > MAX_EDITED_FILE_BYTES) throw new SafeInstallError('APPROVE_NOT_WRITTEN', 'usage', `${path} is not a regular file of at most ${MAX_EDITED_FILE_BYTES} bytes; nothing was written to it`);
  return { text: await readFile(path, 'utf8'), mode: info.mode & 0o7777 };
}

/** package.json as fileToEdit reads it, and a JSON object. Throws APPROVE_NOT_WRITTEN. */
export async function packageJsonToEdit(path: string): Promise<{ text: string; manifest: Record<string, unknown>; mode: number }> {
  const { text, mode } = await fileToEdit(path, 'package.json');
  let manifest: unknown;
  try {
    manifest = JSON.parse(text);
  } catch (error) {
    throw new SafeInstallError('APPROVE_NOT_WRITTEN', 'usage', `${path} no longer parses (${(error as Error).message}); nothing was written to it`);
  }
  if (typeof manifest !== 'object' || manifest === null || Array.isArray(manifest)) throw new SafeInstallError('APPROVE_NOT_WRITTEN', 'usage', `${path} is not a JSON object; nothing was written to it`);
  return { text, manifest: manifest as Record<string, unknown>, mode };
}

/** The project's approvals (an absent file is an empty, valid store). */
export async function readApprovals(projectRoot: string): Promise<ParsedApprovals> {
  const path = join(projectRoot, APPROVALS_FILE);
  try {
    const info = await lstat(path);
    if (!info.isFile()) return { store: emptyStore(), warnings: [`${APPROVALS_FILE} is not a regular file: not read, and not overwritten`], valid: false };
    if (info.size > MAX_APPROVALS_BYTES) return { store: emptyStore(), warnings: [`${APPROVALS_FILE} is larger than ${MAX_APPROVALS_BYTES} bytes: not read, and not overwritten`], valid: false };
    return parseApprovals(await readFile(path, 'utf8'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return { store: emptyStore(), warnings: [], valid: true };
    throw error;
  }
}

/** Write the store beside the file and rename it over (never through a link); returns the path. */
export async function writeApprovals(projectRoot: string, store: ApprovalsStore): Promise<string> {
  const dir = join(projectRoot, APPROVALS_DIR);
  const path = join(projectRoot, APPROVALS_FILE);
  if (!(await notALink(dir, 'the folder'))) await mkdir(dir);
  await notALink(path, 'the file');
  await replaceFile(path, approvalsText(store), 0o644);
  return path;
}
