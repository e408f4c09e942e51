/**
 * The trace file: JSON Lines whose first line is a {@link TraceHeader} and every other line one
 * {@link TraceEvent}. The header makes the file self-contained: it holds everything the policy
 * engine needs to judge the events again offline (`safe-install trace judge`) — the evaluation
 * context, the run's decoy index and its resolved policy — so an incident responder needs neither
 * the project nor a Docker engine, and can tell a decoy value from a real secret later.
 *
 * This module is pure: it builds and parses lines. Reading and writing files is the CLI's shell.
 * Every line of a trace holds strings install code chose, and a trace may be handed around, so
 * the parser trusts nothing: a bad header is an error, a bad event line is counted and skipped.
 */
import type { DecoyIndex, DecoyKind } from './decoys.js';
import { TRACE_SCHEMA_VERSION, type PackageRef, type TraceEvent } from './events.js';

/** Where the sandbox put things; paths are as seen inside the sandbox. */
export interface EvaluationContext {
  /** The project root (`/home/node/project`). */
  projectDir: string;
  /** The install user's HOME (`/home/node`). */
  homeDir: string;
  /** TMPDIR of the install (`/tmp`). */
  tmpDir: string;
  /** The project's node_modules (`/home/node/project/node_modules`). */
  nodeModules: string;
  /**
   * The sanctioned way out: addresses (and optionally ports) of the gateway or its loopback
   * forwarder. Loopback is always local to the sandbox and never counts as a direct connection.
   */
  gateway?: Array<{ address: string; port?: number }>;
  /** DNS resolvers scripts may use (default `127.0.0.1`, `::1`): anything else on port 53 is foreign. */
  resolvers?: string[];
  /** Hosts of the package registry (from npm's configuration; none by default); registry traffic is always allowed. */
  registryHosts?: string[];
  /**
   * The packages the project's lockfile installs (`name` is the real package, as in `resolved`).
   * A script fetching anything else from the registry is `registry-misuse`; without the list that
   * comparison is skipped.
   */
  lockedPackages?: readonly PackageRef[];
  /** Path of the tracer's script-shell marker (default `/usr/local/libexec/npm-lifecycle`). */
  lifecycleMarker?: string;
  /**
   * The version of the npm that ran the install (`npm --version` in the sandbox). npm 12 skips
   * dependency scripts `allowScripts` does not list, so one that ran anyway is not unreviewed.
   */
  npmVersion?: string;
  /**
   * Folders the job put the package manager in before any script ran (pnpm in HOME): programs
   * there are the manager's own (its bundled node-gyp), not "run from HOME" — unless a script wrote them.
   */
  toolDirs?: string[];
  /** "Now" for ignore expiry, epoch ms (default `Date.now()`); tests pin it, a trace records it. */
  now?: number;
}

/** The first line of a trace file. */
export interface TraceHeader {
  type: 'trace-header';
  /** {@link TRACE_SCHEMA_VERSION}: of this header and of the events after it. */
  schemaVersion: number;
  /** The run's id (its containers are labelled with it); null when the run never started a sandbox. */
  runId: string | null;
  tool: { name: 'safe-install'; version: string };
  /** The project on the host the run installed (absolute path). */
  project: string;
  /** The safe-install job (`ci`), and the command it ran in the sandbox (`npm ci`). */
  job: string;
  command: string[];
  /** The package manager; its version is known once the sandbox has reported it. */
  packageManager: { name: string; version?: string };
  /** The phases of the job, in order (`install`, `import`, …). */
  phases: string[];
  /** When the trace was opened, epoch ms. */
  startedAt: number;
  /**
   * False in the header written when the run starts; true once the run has finished and the file
   * was rewritten whole (gateway events merged in by time, the final context). A trace a killed
   * run left has `complete: false`: everything seen so far, judged as far as it goes.
   */
  complete: boolean;
  /** How the run ended (`completed`, `install-failed`, `timeout`, …), once known. */
  outcome?: string;
  /** What the policy engine was given besides the events. */
  context: EvaluationContext;
  /**
   * The run's decoys. The values are fake credentials planted for this run only; they are here so
   * a later read or sighting of one (in logs, on a server) can be recognised as this run's decoy.
   */
  decoys: DecoyIndex;
  /**
   * The policy the run was judged by, resolved (`resolved`: the policy package's `Policy`), and
   * the package-manager allowances it imported (`interop`), which a new policy file is combined
   * with when the trace is judged again. Opaque here: the policy package owns their shape.
   */
  policy: { resolved: unknown; interop: unknown };
}

/** A trace file that cannot be read as one. */
export class TraceFileError extends Error {
  constructor(
    message: string,
    /** 1-based line of the file. */
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`);
    this.name = 'TraceFileError';
  }
}

/** Longest header line read (a lockfile of 100 000 packages is about 6 MB of it). */
export const MAX_HEADER_BYTES = 64 * 1024 * 1024;
/** Longest event line read; the runner's own events are far shorter (bodies are capped). */
export const MAX_EVENT_LINE_BYTES = 16 * 1024 * 1024;

const DECOY_KINDS: ReadonlySet<DecoyKind> = new Set<DecoyKind>([
  'npm-token',
  'github-token',
  'aws-access-key-id',
  'aws-secret-access-key',
  'ssh-private-key',
  'gcloud-credentials',
  'docker-auth',
  'kube-token',
  'git-credentials',
  'env-file-value',
]);

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

const isString = (value: unknown): value is string => typeof value === 'string';
const isStringArray = (value: unknown): value is string[] => Array.isArray(value) && value.every(isString);

/** Why `value` is not an evaluation context, or null. */
function contextProblem(value: unknown): string | null {
  if (!isRecord(value)) return 'context is not an object';
  for (const key of ['projectDir', 'homeDir', 'tmpDir', 'nodeModules'] as const) {
    if (!isString(value[key])) return `context.${key} is not a string`;
  }
  if (value.gateway !== undefined) {
    if (!Array.isArray(value.gateway) || !value.gateway.every((g) => isRecord(g) && isString(g.address) && (g.port === undefined || Number.isInteger(g.port)))) {
      return 'context.gateway is not a list of addresses';
    }
  }
  for (const key of ['resolvers', 'registryHosts', 'toolDirs'] as const) {
    if (value[key] !== undefined && !isStringArray(value[key])) return `context.${key} is not a list of strings`;
  }
  if (value.lockedPackages !== undefined) {
    if (!Array.isArray(value.lockedPackages) || !value.lockedPackages.every((p) => isRecord(p) && isString(p.name) && isString(p.version))) {
      return 'context.lockedPackages is not a list of packages';
    }
  }
  for (const key of ['lifecycleMarker', 'npmVersion'] as const) {
    if (value[key] !== undefined && !isString(value[key])) return `context.${key} is not a string`;
  }
  if (value.now !== undefined && !Number.isFinite(value.now)) return 'context.now is not a number';
  return null;
}

function decoysProblem(value: unknown): string | null {
  if (!isRecord(value) || !Array.isArray(value.values) || !Array.isArray(value.files)) return 'decoys is not a decoy index';
  for (const v of value.values) {
    if (!isRecord(v) || !DECOY_KINDS.has(v.kind as DecoyKind) || !isString(v.value) || !isStringArray(v.plantedAt)) return 'decoys.values holds an entry that is not a decoy';
  }
  for (const f of value.files) {
    if (!isRecord(f) || !isString(f.path) || !DECOY_KINDS.has(f.kind as DecoyKind)) return 'decoys.files holds an entry that is not a decoy file';
  }
  return null;
}

/** The header as one line (with its newline). */
export function traceHeaderLine(header: TraceHeader): string {
  return `${JSON.stringify(header)}\n`;
}

/** One event as one line (with its newline). */
export function traceEventLine(event: TraceEvent): string {
  return `${JSON.stringify(event)}\n`;
}

/**
 * Parse the first line of a trace file. Throws {@link TraceFileError} for anything that is not a
 * header this code can read: not JSON, an event (a trace written before headers, or cut from
 * another file), another version, a malformed context or decoy index.
 */
export function parseTraceHeader(line: string): TraceHeader {
  if (line.length > MAX_HEADER_BYTES) throw new TraceFileError(`the header is longer than ${MAX_HEADER_BYTES} bytes`, 1);
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    throw new TraceFileError('the first line is not JSON, so this is not a safe-install trace', 1);
  }
  if (!isRecord(value)) throw new TraceFileError('the first line is not a JSON object', 1);
  if (value.type !== 'trace-header') {
    const hint = isString(value.id) && isString(value.type) ? ' (it is an event: a trace written before traces had a header, or not the start of one)' : '';
    throw new TraceFileError(`the first line is not a trace header${hint}`, 1);
  }
  if (value.schemaVersion !== TRACE_SCHEMA_VERSION) {
    throw new TraceFileError(`trace schema version ${JSON.stringify(value.schemaVersion)}; this safe-install reads version ${TRACE_SCHEMA_VERSION}`, 1);
  }
  const problems: string[] = [];
  if (value.runId !== null && !isString(value.runId)) problems.push('runId is not a string');
  if (!isRecord(value.tool) || value.tool.name !== 'safe-install' || !isString(value.tool.version)) problems.push('tool is not safe-install with a version');
  if (!isString(value.project)) problems.push('project is not a string');
  if (!isString(value.job)) problems.push('job is not a string');
  if (!isStringArray(value.command)) problems.push('command is not a list of strings');
  if (!isRecord(value.packageManager) || !isString(value.packageManager.name) || (value.packageManager.version !== undefined && !isString(value.packageManager.version))) {
    problems.push('packageManager is not a name and version');
  }
  if (!isStringArray(value.phases)) problems.push('phases is not a list of strings');
  if (!Number.isFinite(value.startedAt)) problems.push('startedAt is not a number');
  if (typeof value.complete !== 'boolean') problems.push('complete is not true or false');
  if (value.outcome !== undefined && !isString(value.outcome)) problems.push('outcome is not a string');
  const context = contextProblem(value.context);
  if (context !== null) problems.push(context);
  const decoys = decoysProblem(value.decoys);
  if (decoys !== null) problems.push(decoys);
  if (!isRecord(value.policy) || !isRecord(value.policy.resolved) || !isRecord(value.policy.interop)) problems.push('policy is not a resolved policy and its allowances');
  if (problems.length > 0) throw new TraceFileError(`the header is malformed: ${problems.join('; ')}`, 1);
  return value as unknown as TraceHeader;
}

/**
 * Parse one event line; null when it is not an event (not JSON, not an object, without the
 * fields every event has, or a second header). The caller counts those: a kill can cut the last
 * line of a trace short, and anything else that is not an event is not judged.
 */
export function parseTraceEvent(line: string): TraceEvent | null {
  if (line.length > MAX_EVENT_LINE_BYTES) return null;
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch {
    return null;
  }
  if (!isRecord(value) || !isString(value.id) || value.id === '' || !isString(value.type) || value.type === 'trace-header') return null;
  if (!Number.isFinite(value.ts) || !Number.isInteger(value.pid) || !Number.isInteger(value.ppid) || !isString(value.source)) return null;
  return value as unknown as TraceEvent;
}

/** A whole trace, read. */
export interface ParsedTrace {
  header: TraceHeader;
  events: TraceEvent[];
  /** Lines after the header that were not events (skipped, not judged). */
  badLines: number;
}

/**
 * Parse a trace held in memory (small traces, tests). Large files go through the CLI's streaming
 * reader, which applies the same two functions line by line.
 */
export function parseTrace(text: string): ParsedTrace {
  const lines = text.split('\n');
  // Blank lines carry nothing; the header is the first line that is not blank.
  let index = lines.findIndex((line) => line.trim() !== '');
  if (index < 0) throw new TraceFileError('the file is empty', 1);
  const header = parseTraceHeader(lines[index] as string);
  const events: TraceEvent[] = [];
  let badLines = 0;
  for (index += 1; index < lines.length; index++) {
    const line = lines[index] as string;
    if (line.trim() === '') continue;
    const event = parseTraceEvent(line);
    if (event === null) badLines += 1;
    else events.push(event);
  }
  return { header, events, badLines };
}

/**
 * The trace in time order: the gateway's events, which it hands over when it stops, merged in
 * among the sandbox's by timestamp. Each side keeps its own order (the sandbox's stream is the
 * tracer's order, which the process table depends on, and is not re-sorted); a gateway event goes
 * before the first sandbox event that is later than it. Pure; the input is not changed.
 */
export function mergeByTime(events: readonly TraceEvent[]): TraceEvent[] {
  const gateway: TraceEvent[] = [];
  const rest: TraceEvent[] = [];
  for (const event of events) (event.source === 'gateway' ? gateway : rest).push(event);
  if (gateway.length === 0) return [...events];
  // Stable: equal timestamps keep the gateway's order.
  const sorted = gateway.map((event, index) => ({ event, index })).sort((a, b) => a.event.ts - b.event.ts || a.index - b.index);
  const out: TraceEvent[] = [];
  let g = 0;
  for (const event of rest) {
    while (g < sorted.length && (sorted[g] as { event: TraceEvent }).event.ts < event.ts) out.push((sorted[g++] as { event: TraceEvent }).event);
    out.push(event);
  }
  while (g < sorted.length) out.push((sorted[g++] as { event: TraceEvent }).event);
  return out;
}
