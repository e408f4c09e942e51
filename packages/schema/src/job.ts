/**
 * A sandbox job: what the runner does inside one container, as ordered steps. `ci` is a job of one
 * step (`install`: `npm ci`, each lifecycle script traced, attributed by the lockfile, node_modules
 * exported); `doctor`'s probe is another; `analyze` (install, import and bin phases of a package)
 * is the next.
 *
 * The host builds the job and passes it on the runner's command line (`--job JSON`); the runner
 * validates it with {@link parseJob} before anything runs. The host is trusted, but the job is the
 * runner's whole instruction set and is read by root: it is checked strictly anyway (unknown keys,
 * wrong types, control characters, sizes), so that a bug on the host fails the run instead of
 * steering root.
 */
import type { PackageRef } from './events.js';

/** Bumped on any incompatible change to the job's shape. */
export const JOB_VERSION = 1;

/**
 * What a step's tracing covers.
 * - `scripts`: the command (a package manager) runs untraced; each lifecycle script it starts runs
 *   under a tracer of its own, through the script shell and the script broker (today's `ci`).
 * - `tree`: the command's whole process tree is traced, as one script run of the step's phase;
 *   with `lockfile` attribution the command is a package manager with no script-shell hook (Yarn
 *   Berry): each program it starts is a nested run of its own, attributed by its folder.
 * - `none`: nothing is traced (only for benchmarks that measure the tracer's own cost).
 */
export type JobTrace = 'scripts' | 'tree' | 'none';

/**
 * Whom a step's events are attributed to.
 * - `lockfile`: each script run to the package whose folder it runs in, as the uploaded lockfile
 *   says (never as the package says of itself);
 * - `subject`: every script run of the step to the step's `subject` (a `tree` step only: the
 *   package under analysis, whatever folder its code runs in).
 */
export type JobAttribution = 'lockfile' | 'subject';

/**
 * What goes back to the host after the step succeeded.
 * - `install`: every node_modules folder and the project files the step created or changed;
 * - `none`: nothing.
 */
export type JobExport = 'install' | 'none';

export interface JobStep {
  /** The phase the step's events carry (`install`, `import`, `run`, `probe`, …): unique in the job. */
  phase: string;
  /** The program and its arguments, run as the install user in the project folder. */
  command: string[];
  trace: JobTrace;
  attribution: JobAttribution;
  /** The package the step is about; required with `attribution: 'subject'`, refused otherwise. */
  subject?: PackageRef;
  /** At most one step exports, and only the last: the runner sends one export per run. */
  export: JobExport;
  /** Go on to the next step even when this one fails (default: the job stops there). */
  continueOnFailure?: boolean;
  /**
   * Run the step's programs with the wall clock this many seconds ahead (docker/time-shift.c,
   * preloaded): payloads that wait days act now. At most 60 days: the gateway's certificates for
   * the registry are valid for 90.
   */
  clockShiftSeconds?: number;
  /**
   * Attribute this step by the lockfile as it is when the step starts, not as it was uploaded: the
   * lockfile an earlier step wrote (`npm install --package-lock-only --ignore-scripts`, which runs no
   * install code). `lockfile` attribution only, and never on the first step.
   */
  relock?: boolean;
  /**
   * Project paths the package manager itself writes outside node_modules (a `tree` step only):
   * Yarn's PnP files (`.pnp.cjs`, `.yarn/cache/`, `.yarn/unplugged/`). Under process-tree capture
   * the manager's own file calls are not traced, so a change there is judged only when a traced
   * script call wrote it — as a change in node_modules is. Relative to the project; an entry ending
   * in `/` covers the folder and everything under it, any other names one path.
   */
  managerFiles?: string[];
  /**
   * A tool this step fetched, made the package manager's own before the next step starts (see
   * {@link ToolSeal}). Only on a step that runs no install code and is followed by another.
   */
  seal?: ToolSeal;
}

/**
 * What the runner (root) does with a tool's folder after the step that fetched it, once none of the
 * install user's processes is left: it copies the folder into `/tmp/<into>` (root-owned, as root
 * creates it; in the sticky /tmp the install user can neither rename nor remove it), files 0444, or
 * 0555 when executable, folders 0555, each program copied into place execute-only (0111). No
 * script can then rewrite what the package manager loads, nor read or ptrace the process that runs
 * it (an unreadable program is not dumpable). Root in the sandbox has no CAP_CHOWN or
 * CAP_DAC_OVERRIDE, so a copy it creates is the way to root-owned files. Symbolic links are not
 * copied and never followed; a folder on the way that is a link fails the job.
 */
export interface ToolSeal {
  /** The tool's folder, relative to HOME (plain segments). */
  dir: string;
  /** The sealed copy's folder name in /tmp (one plain segment; it must not exist yet). */
  into: string;
  /** `to` (in the copy) gets the content of the regular file `from` (in `dir`), execute-only. */
  programs: { from: string; to: string }[];
}

export interface SandboxJob {
  version: typeof JOB_VERSION;
  steps: JobStep[];
  /**
   * Folders under HOME that the filesystem snapshot skips: the package manager's own cache
   * (`PackageManager.cacheFolders`; npm's `.npm`). Relative, without `.` or `..` segments.
   */
  cacheFolders?: string[];
  /**
   * The lockfile the runner attributes scripts by (a name in the project root); default: npm's
   * (`npm-shrinkwrap.json`, else `package-lock.json`). `pnpm-lock.yaml` for pnpm, `bun.lock` for Bun,
   * `yarn.lock` for Yarn (Berry's YAML lockfile with `__metadata`, or Yarn 1's).
   */
  lockfile?: JobLockfile;
}

/** The lockfiles the runner can read identities from. */
export const JOB_LOCKFILES = ['npm-shrinkwrap.json', 'package-lock.json', 'pnpm-lock.yaml', 'bun.lock', 'yarn.lock'] as const;
export type JobLockfile = (typeof JOB_LOCKFILES)[number];

/** A phase name: a short lowercase word, safe in an event, an environment variable and a file name. */
export const PHASE_PATTERN = /^[a-z][a-z0-9-]{0,31}$/;
/** Limits far above any real job, so that a runaway one is refused rather than passed to exec. */
export const JOB_LIMITS = { bytes: 64 * 1024, steps: 16, args: 256, argChars: 4096, refChars: 214, cacheFolders: 8, cacheFolderChars: 255, managerFiles: 16, clockShiftSeconds: 60 * 86_400 } as const;
/** One segment of a cache folder's path: a plain name (`.` and `..` are refused on their own). */
const CACHE_FOLDER_SEGMENT = /^[A-Za-z0-9._-]+$/;

const STEP_KEYS = new Set(['phase', 'command', 'trace', 'attribution', 'subject', 'export', 'continueOnFailure', 'relock', 'clockShiftSeconds', 'managerFiles', 'seal']);
/** One segment of a sealed tool's path: a plain name (npm's scoped folders have `@`). */
const TOOL_SEGMENT = /^[A-Za-z0-9@._+-]+$/;
// No control characters (NUL cannot be in an argument at all; newlines and escapes have no place
// in a package name or an argument the host wrote).
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** Why a job is refused: names the field. */
export class JobError extends Error {
  constructor(message: string) {
    super(`invalid sandbox job: ${message}`);
    this.name = 'JobError';
  }
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && Object.getPrototypeOf(value) === Object.prototype;
}

function onlyKeys(value: Record<string, unknown>, allowed: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(value)) if (!allowed.has(key)) throw new JobError(`${where} has an unknown field ${JSON.stringify(key.slice(0, 40))}`);
}

function text(value: unknown, where: string, max: number): string {
  if (typeof value !== 'string') throw new JobError(`${where} must be a string`);
  if (value.length > max) throw new JobError(`${where} is longer than ${max} characters`);
  if (CONTROL.test(value)) throw new JobError(`${where} holds a control character`);
  return value;
}

function oneOf<T extends string>(value: unknown, allowed: readonly T[], where: string): T {
  if (typeof value !== 'string' || !(allowed as readonly string[]).includes(value)) throw new JobError(`${where} must be one of ${allowed.join(', ')}`);
  return value as T;
}

function packageRef(value: unknown, where: string): PackageRef {
  if (!isPlainObject(value)) throw new JobError(`${where} must be an object`);
  onlyKeys(value, new Set(['name', 'version']), where);
  const name = text(value['name'], `${where}.name`, JOB_LIMITS.refChars);
  const version = text(value['version'], `${where}.version`, JOB_LIMITS.refChars);
  // npm's names and versions have no spaces; one here is a bug, and would read as an unlocked claim.
  if (name === '' || /\s/.test(name)) throw new JobError(`${where}.name must be a package name`);
  if (version === '' || /\s/.test(version)) throw new JobError(`${where}.version must be a version`);
  return { name, version };
}

function step(value: unknown, index: number): JobStep {
  const where = `steps[${index}]`;
  if (!isPlainObject(value)) throw new JobError(`${where} must be an object`);
  onlyKeys(value, STEP_KEYS, where);
  const phase = text(value['phase'], `${where}.phase`, 32);
  if (!PHASE_PATTERN.test(phase)) throw new JobError(`${where}.phase must match ${PHASE_PATTERN.source}`);
  const command = value['command'];
  if (!Array.isArray(command) || command.length === 0) throw new JobError(`${where}.command must be a non-empty array`);
  if (command.length > JOB_LIMITS.args) throw new JobError(`${where}.command has more than ${JOB_LIMITS.args} arguments`);
  const argv = command.map((arg, i) => text(arg, `${where}.command[${i}]`, JOB_LIMITS.argChars));
  if (argv[0] === '') throw new JobError(`${where}.command[0] must not be empty`);
  const trace = oneOf(value['trace'], ['scripts', 'tree', 'none'] as const, `${where}.trace`);
  const attribution = oneOf(value['attribution'], ['lockfile', 'subject'] as const, `${where}.attribution`);
  const exported = oneOf(value['export'], ['install', 'none'] as const, `${where}.export`);
  const out: JobStep = { phase, command: argv, trace, attribution, export: exported };
  if (attribution === 'subject') {
    // Only a whole traced tree is the subject's doing; in `scripts` each script is its folder's.
    if (trace !== 'tree') throw new JobError(`${where}: attribution "subject" needs trace "tree"`);
    if (value['subject'] === undefined) throw new JobError(`${where}: attribution "subject" needs a subject`);
    out.subject = packageRef(value['subject'], `${where}.subject`);
  } else if (value['subject'] !== undefined) {
    throw new JobError(`${where}: a subject is only taken with attribution "subject"`);
  }
  const go = value['continueOnFailure'];
  if (go !== undefined) {
    if (typeof go !== 'boolean') throw new JobError(`${where}.continueOnFailure must be a boolean`);
    out.continueOnFailure = go;
  }
  const relock = value['relock'];
  if (relock !== undefined) {
    if (typeof relock !== 'boolean') throw new JobError(`${where}.relock must be a boolean`);
    if (relock && attribution !== 'lockfile') throw new JobError(`${where}: relock needs attribution "lockfile"`);
    if (relock && index === 0) throw new JobError(`${where}: relock needs an earlier step that wrote the lockfile`);
    out.relock = relock;
  }
  const shift = value['clockShiftSeconds'];
  if (shift !== undefined) {
    if (typeof shift !== 'number' || !Number.isSafeInteger(shift) || shift < 1 || shift > JOB_LIMITS.clockShiftSeconds) throw new JobError(`${where}.clockShiftSeconds must be a whole number of seconds from 1 to ${JOB_LIMITS.clockShiftSeconds}`);
    out.clockShiftSeconds = shift;
  }
  const managerFiles = value['managerFiles'];
  if (managerFiles !== undefined) {
    // Only the manager's own calls go untraced, and only in a traced tree.
    if (trace !== 'tree') throw new JobError(`${where}: managerFiles needs trace "tree"`);
    out.managerFiles = projectPaths(managerFiles, `${where}.managerFiles`);
  }
  if (value['seal'] !== undefined) out.seal = toolSeal(value['seal'], `${where}.seal`);
  return out;
}

/** Relative project paths (a trailing `/` for a folder), plain segments only: never the project itself, never above it. */
function projectPaths(value: unknown, where: string): string[] {
  if (!Array.isArray(value)) throw new JobError(`${where} must be an array`);
  if (value.length > JOB_LIMITS.managerFiles) throw new JobError(`${where} has more than ${JOB_LIMITS.managerFiles} entries`);
  return value.map((entry, i) => {
    const path = text(entry, `${where}[${i}]`, JOB_LIMITS.cacheFolderChars);
    const segments = (path.endsWith('/') ? path.slice(0, -1) : path).split('/');
    if (!segments.every((segment) => CACHE_FOLDER_SEGMENT.test(segment) && segment !== '.' && segment !== '..' && segment !== 'node_modules')) {
      throw new JobError(`${where}[${i}] must be a relative path in the project, without ., .., node_modules or empty segments`);
    }
    return path;
  });
}

/** Is `relative` (a path relative to the project) one of `managerFiles`, or under one of its folders? */
export function isManagerFile(relative: string, managerFiles: readonly string[]): boolean {
  return managerFiles.some((entry) => (entry.endsWith('/') ? relative === entry.slice(0, -1) || relative.startsWith(entry) : relative === entry));
}

/** A relative path of plain segments, as a sealed tool's folder and programs must be. */
function plainPath(value: unknown, where: string): string {
  const path = text(value, where, JOB_LIMITS.cacheFolderChars);
  if (!path.split('/').every((segment) => TOOL_SEGMENT.test(segment) && segment !== '.' && segment !== '..')) throw new JobError(`${where} must be a relative path without . or .. segments`);
  return path;
}

function toolSeal(value: unknown, where: string): ToolSeal {
  if (!isPlainObject(value)) throw new JobError(`${where} must be an object`);
  onlyKeys(value, new Set(['dir', 'into', 'programs']), where);
  const into = plainPath(value['into'], `${where}.into`);
  if (into.includes('/')) throw new JobError(`${where}.into must be one folder name`);
  const programs = value['programs'];
  if (!Array.isArray(programs) || programs.length > 8) throw new JobError(`${where}.programs must be an array of at most 8`);
  return {
    dir: plainPath(value['dir'], `${where}.dir`),
    into,
    programs: programs.map((program, i) => {
      if (!isPlainObject(program)) throw new JobError(`${where}.programs[${i}] must be an object`);
      onlyKeys(program, new Set(['from', 'to']), `${where}.programs[${i}]`);
      return { from: plainPath(program['from'], `${where}.programs[${i}].from`), to: plainPath(program['to'], `${where}.programs[${i}].to`) };
    }),
  };
}

/** Check a job (already parsed JSON); returns a fresh copy holding only what was checked. */
export function validateJob(value: unknown): SandboxJob {
  if (!isPlainObject(value)) throw new JobError('the job must be an object');
  onlyKeys(value, new Set(['version', 'steps', 'cacheFolders', 'lockfile']), 'the job');
  if (value['version'] !== JOB_VERSION) throw new JobError(`version must be ${JOB_VERSION}`);
  const steps = value['steps'];
  if (!Array.isArray(steps) || steps.length === 0) throw new JobError('steps must be a non-empty array');
  if (steps.length > JOB_LIMITS.steps) throw new JobError(`more than ${JOB_LIMITS.steps} steps`);
  const checked = steps.map((s, i) => step(s, i));
  const phases = new Set<string>();
  checked.forEach((s, i) => {
    if (phases.has(s.phase)) throw new JobError(`steps[${i}].phase ${s.phase} is used twice (events are told apart by it)`);
    phases.add(s.phase);
    // One export stream per run, after the job: a later step could change what an earlier one left.
    if (s.export !== 'none' && i !== checked.length - 1) throw new JobError(`steps[${i}] exports, but only the last step may`);
    // The seal runs between steps, when the step's processes are all gone; a tool nothing runs needs none.
    if (s.seal !== undefined && i === checked.length - 1) throw new JobError(`steps[${i}] seals a tool, but no later step runs it`);
  });
  const job: SandboxJob = { version: JOB_VERSION, steps: checked };
  if (value['cacheFolders'] !== undefined) job.cacheFolders = cacheFolders(value['cacheFolders']);
  if (value['lockfile'] !== undefined) job.lockfile = oneOf(value['lockfile'], JOB_LOCKFILES, 'lockfile');
  return job;
}

function cacheFolders(value: unknown): string[] {
  if (!Array.isArray(value)) throw new JobError('cacheFolders must be an array');
  if (value.length > JOB_LIMITS.cacheFolders) throw new JobError(`more than ${JOB_LIMITS.cacheFolders} cacheFolders`);
  return value.map((folder, i) => {
    const path = text(folder, `cacheFolders[${i}]`, JOB_LIMITS.cacheFolderChars);
    const segments = path.split('/');
    if (!segments.every((segment) => CACHE_FOLDER_SEGMENT.test(segment) && segment !== '.' && segment !== '..')) throw new JobError(`cacheFolders[${i}] must be a relative folder under HOME, without . or .. segments`);
    return path;
  });
}

/** Parse and check a job from its JSON text (the runner's `--job` argument). */
export function parseJob(json: string): SandboxJob {
  if (typeof json !== 'string') throw new JobError('the job must be JSON text');
  if (new TextEncoder().encode(json).length > JOB_LIMITS.bytes) throw new JobError(`the job is larger than ${JOB_LIMITS.bytes} bytes`);
  let value: unknown;
  try {
    value = JSON.parse(json);
  } catch (error) {
    throw new JobError(`not JSON (${(error as Error).message})`);
  }
  return validateJob(value);
}

/**
 * The job of `ci` (and `add`): one `install` step running the package manager, each lifecycle
 * script traced and attributed by the lockfile, the install's output exported when wanted.
 */
export function installJob(command: readonly string[], options: { export: boolean; trace: boolean; cacheFolders?: readonly string[] }): SandboxJob {
  return {
    version: JOB_VERSION,
    steps: [{ phase: 'install', command: [...command], trace: options.trace ? 'scripts' : 'none', attribution: 'lockfile', export: options.export ? 'install' : 'none' }],
    ...(options.cacheFolders !== undefined ? { cacheFolders: [...options.cacheFolders] } : {}),
  };
}

/**
 * The phase of the step that resolves an install job into the manifest and lockfile. It runs no
 * install code: its own writes of the project's package.json and lockfile are the job's output.
 */
export const RESOLVE_PHASE = 'resolve';

/**
 * The job of `install` and `update`: a `resolve` step that only writes the manifest and the
 * lockfile (the package manager with scripts off, so no install code runs; traced all the same),
 * then the install from that lockfile, attributed by it (`relock`), exported like `ci`'s.
 */
export function lockfileJob(resolve: readonly string[], install: readonly string[], options: { cacheFolders?: readonly string[] }): SandboxJob {
  return {
    version: JOB_VERSION,
    steps: [
      { phase: RESOLVE_PHASE, command: [...resolve], trace: 'scripts', attribution: 'lockfile', export: 'none' },
      { phase: 'install', command: [...install], trace: 'scripts', attribution: 'lockfile', export: 'install', relock: true },
    ],
    ...(options.cacheFolders !== undefined ? { cacheFolders: [...options.cacheFolders] } : {}),
  };
}
