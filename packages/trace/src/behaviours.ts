/**
 * The behaviours of a trace, per package and lifecycle script, in a form two runs can be compared
 * in: the programs a script ran (exec path and argv shape), the hosts it reached, the DNS names it
 * looked up, the files it wrote outside its own package folder, the script commands, and the
 * policy's findings. `safe-install trace diff`, `safe-install diff` and `approve` (a version bump
 * against the approved run) compare two of these with {@link diffBehaviours} (behaviour-diff.ts).
 *
 * Keyed by package *name* and lifecycle, so `foo@2.0.0` and `foo@2.0.1` are the same script. Every
 * value is normalised so an identical rerun gives identical sets: pids, timestamps and event ids
 * are never part of a value; the run id, the run's decoy values, the package's own version and
 * folder, random temp names, long hex or mixed alphanumeric ids and data-carrying DNS labels are
 * replaced by placeholders (`{run}`, `{decoy:npm-token}`, `{version}`, `{pkg}`, `*`).
 *
 * Pure and streaming: feed events in trace order (`observe`); memory is bounded by the number of
 * distinct behaviours (each set is capped, and what is dropped is counted), not by the trace.
 */
import type { DecoyIndex, PackageRef, TraceEvent, TraceHeader } from '@safe-install/schema';
import { isWithin, normalizePath } from '@safe-install/schema';

/** The kinds of behaviour, in the order a summary names them. */
export const BEHAVIOUR_KINDS = ['script', 'exec', 'host', 'dns', 'file', 'finding'] as const;
export type BehaviourKind = (typeof BEHAVIOUR_KINDS)[number];

/** What the collector needs to know of the run (a trace header's context, decoys and run id). */
export interface BehaviourContext {
  projectDir: string;
  nodeModules: string;
  homeDir: string;
  tmpDir: string;
  /** Path of the tracer's script-shell marker; its execs are the sandbox's, not the package's. */
  lifecycleMarker?: string | undefined;
  decoys?: DecoyIndex | undefined;
  runId?: string | null | undefined;
}

/** One package's lifecycle script (or, with `package` null, what ran outside any script). */
export interface ScriptBehaviour {
  /** {@link behaviourKey}: the package name and lifecycle. */
  key: string;
  /** The package as last seen (its version is the one installed); null outside any script. */
  package: PackageRef | null;
  lifecycle: string | null;
  /** The distinct normalised values of each kind, in first-seen order. */
  values: Record<BehaviourKind, Set<string>>;
  /** Distinct values not kept because the set was full: a comparison against this side is partial. */
  dropped: Record<BehaviourKind, number>;
}

export interface TraceBehaviours {
  scripts: Map<string, ScriptBehaviour>;
}

/** A policy finding, as much of it as the comparison needs. */
export interface BehaviourFinding {
  ruleId: string;
  package?: PackageRef | undefined;
  lifecycle?: string | undefined;
}

/** Most distinct values kept per kind and script; a hostile trace cannot grow the sets further. */
export const MAX_VALUES_PER_KIND = 2000;
/** Most scripts tracked; events of further scripts are counted into the `null` bucket's drops. */
export const MAX_SCRIPTS = 20_000;
/** Longest value kept (a longer one is cut; the cut is deterministic, so still comparable). */
export const MAX_VALUE_LENGTH = 400;

/** The key of a package's lifecycle script: name and lifecycle (never the version). */
export function behaviourKey(name: string | null, lifecycle: string | null): string {
  return name === null ? '\0' : `${name}\0${lifecycle ?? '?'}`;
}

const DEFAULT_MARKER = '/usr/local/libexec/npm-lifecycle';

/** Paths that are not files a script writes: its terminal, the bit bucket, its own descriptors. */
function isPseudoFile(path: string): boolean {
  return /^\/dev\/(?:null|zero|full|u?random|tty\d*|console|stdin|stdout|stderr|ptmx|pts\/|fd\/)/.test(path) || /^\/proc\/(?:self|thread-self|\d+)\/fd\//.test(path);
}

const ISO_TIME = /\d{4}-\d{2}-\d{2}[T_ ]\d{2}[_:-]\d{2}[_:-]\d{2}(?:[._]\d+)?Z?/g;
// A long run of hex, or a mixed letters-and-digits token of 8+ (random names, hashes, run-specific ids).
const LONG_ID = /(?<![A-Za-z0-9])(?=[A-Za-z0-9]*\d)(?=[A-Za-z0-9]*[A-Za-z])[A-Za-z0-9]{8,}(?![A-Za-z0-9])|(?<![0-9a-f])[0-9a-f]{8,}(?![0-9a-f])/g;
// Within a temp folder, mkdtemp's six random characters and numbered names (`npm-1234-…`).
const TEMP_TOKEN = /(?<![A-Za-z0-9])(?=[A-Za-z0-9]*(?:\d|[A-Z][a-z]|[a-z][A-Z]))[A-Za-z0-9]{6,}(?![A-Za-z0-9])|\d{2,}/g;

export class BehaviourCollector {
  readonly #ctx: BehaviourContext;
  readonly #marker: string;
  readonly #scripts = new Map<string, ScriptBehaviour>();
  /** Script runs by the tracer's run number: their package folder. */
  readonly #runDirs = new Map<number, string>();
  /** Package folders by name, from script starts (an event without a run number). */
  readonly #dirsByName = new Map<string, string>();
  /** Decoy values, longest first (a value inside another is replaced after it). */
  readonly #decoys: Array<{ value: string; kind: string }>;

  constructor(ctx: BehaviourContext) {
    this.#ctx = ctx;
    this.#marker = ctx.lifecycleMarker ?? DEFAULT_MARKER;
    this.#decoys = (ctx.decoys?.values ?? [])
      .filter((d) => d.value.length >= 6)
      .map((d) => ({ value: d.value, kind: d.kind }))
      .sort((a, b) => b.value.length - a.value.length);
  }

  #script(pkg: PackageRef | undefined, lifecycle: string | undefined): ScriptBehaviour {
    const key = pkg === undefined ? behaviourKey(null, null) : behaviourKey(pkg.name, lifecycle ?? null);
    let script = this.#scripts.get(key);
    if (script === undefined) {
      if (this.#scripts.size >= MAX_SCRIPTS && pkg !== undefined) {
        const outside = this.#script(undefined, undefined);
        outside.dropped.script += 1;
        return outside;
      }
      script = {
        key,
        package: pkg === undefined ? null : { name: pkg.name, version: pkg.version },
        lifecycle: pkg === undefined ? null : (lifecycle ?? '?'),
        values: { script: new Set(), exec: new Set(), host: new Set(), dns: new Set(), file: new Set(), finding: new Set() },
        dropped: { script: 0, exec: 0, host: 0, dns: 0, file: 0, finding: 0 },
      };
      this.#scripts.set(key, script);
    } else if (pkg !== undefined && script.package !== null && script.package.version !== pkg.version) {
      script.package = { name: pkg.name, version: pkg.version };
    }
    return script;
  }

  #add(script: ScriptBehaviour, kind: BehaviourKind, value: string): void {
    const v = value.length > MAX_VALUE_LENGTH ? value.slice(0, MAX_VALUE_LENGTH) : value;
    const set = script.values[kind];
    if (set.has(v)) return;
    if (set.size >= MAX_VALUES_PER_KIND) script.dropped[kind] += 1;
    else set.add(v);
  }

  /** Replace what differs from run to run in a path, argument or command. */
  #shape(text: string, pkg: PackageRef | undefined, dir: string | undefined): string {
    let out = text;
    for (const decoy of this.#decoys) if (out.includes(decoy.value)) out = out.split(decoy.value).join(`{decoy:${decoy.kind}}`);
    const runId = this.#ctx.runId;
    if (runId && runId.length >= 6 && out.includes(runId)) out = out.split(runId).join('{run}');
    if (dir !== undefined && dir !== '/' && out.includes(dir)) out = out.replace(new RegExp(`${escapeRegExp(dir)}(?=/|$|[\\s"'=:])`, 'g'), '{pkg}');
    // The package's own version, in its argv or paths: a version bump is not a new behaviour.
    if (pkg !== undefined && /^\d+\.\d+\.\d+/.test(pkg.version) && out.includes(pkg.version)) out = out.split(pkg.version).join('{version}');
    out = out.replace(ISO_TIME, '{time}');
    out = out.replace(/\/proc\/\d+(?=\/|$)/g, '/proc/N');
    const tmp = this.#ctx.tmpDir.replace(/\/+$/, '') || '/tmp';
    if (out.includes(`${tmp}/`)) {
      out = out.replace(new RegExp(`${escapeRegExp(tmp)}/[^\\s"']*`, 'g'), (path) => path.replace(TEMP_TOKEN, (token) => (/^\d+$/.test(token) ? 'N' : '*')));
    }
    return out.replace(LONG_ID, '*');
  }

  #dirOf(e: TraceEvent): string | undefined {
    if (e.run !== undefined) {
      const dir = this.#runDirs.get(e.run);
      if (dir !== undefined) return dir;
    }
    if (e.package === undefined) return undefined;
    return this.#dirsByName.get(e.package.name) ?? normalizePath(`${this.#ctx.nodeModules}/${e.package.name}`);
  }

  /** Feed every event, in trace order. */
  observe(e: TraceEvent): void {
    if (e.type === 'script') {
      if (e.action !== 'start' || e.package === undefined) return;
      const dir = normalizePath(e.cwd ?? `${this.#ctx.nodeModules}/${e.package.name}`);
      if (e.run !== undefined && this.#runDirs.size < 100_000) this.#runDirs.set(e.run, dir);
      if (this.#dirsByName.size < 100_000) this.#dirsByName.set(e.package.name, dir);
      this.#add(this.#script(e.package, e.lifecycle), 'script', this.#shape(e.command ?? '', e.package, dir));
      return;
    }
    const value = this.#valueOf(e);
    if (value === null) return;
    this.#add(this.#script(e.package, e.package === undefined ? undefined : e.lifecycle), value.kind, value.text);
  }

  #valueOf(e: TraceEvent): { kind: BehaviourKind; text: string } | null {
    const dir = this.#dirOf(e);
    switch (e.type) {
      case 'process': {
        if (e.action !== 'exec' || e.ok === false || typeof e.path !== 'string' || !Array.isArray(e.argv)) return null;
        const path = normalizePath(e.path);
        if (path === this.#marker) return null;
        // Cut before shaping: a value is bounded anyway, and a hostile argv must not cost a regex over megabytes.
        const args = e.argv.slice(1, 64).map((arg) => quoteArg(this.#shape(String(arg).slice(0, MAX_VALUE_LENGTH), e.package, dir)));
        return { kind: 'exec', text: [this.#shape(path, e.package, dir), ...args].join(' ') };
      }
      case 'http':
        if (typeof e.host !== 'string') return null;
        return { kind: 'host', text: hostPort(e.host, e.port) };
      case 'dns':
        if (typeof e.name !== 'string') return null;
        return { kind: 'dns', text: dnsShape(e.name) };
      case 'network': {
        if (e.action === 'bind' || typeof e.address !== 'string') return null;
        if (e.family === 'AF_INET' || e.family === 'AF_INET6') {
          // Loopback is the sandbox's own (its DNS and proxy forwarders): the gateway's events say where it led.
          if (isLoopback(e.address)) return null;
          return { kind: 'host', text: hostPort(e.address, e.port) };
        }
        // A unix socket that is not there reached nothing (glibc tries nscd's on every lookup); an
        // attempt on a sensitive one (the Docker socket) is the policy's finding, compared as such.
        if (e.family === 'AF_UNIX') return e.ok === false && e.errno === 'ENOENT' ? null : { kind: 'host', text: `unix:${this.#shape(e.address, e.package, dir)}` };
        return null;
      }
      case 'file': {
        if (e.package === undefined) return null;
        const written = writtenPath(e);
        if (written === null || typeof written !== 'string') return null;
        const path = normalizePath(written);
        if (isPseudoFile(path) || (dir !== undefined && isWithin(path, dir))) return null;
        return { kind: 'file', text: this.#shape(path, e.package, dir) };
      }
      case 'fsdiff': {
        if (e.package === undefined || typeof e.path !== 'string') return null;
        const path = normalizePath(e.path);
        if (dir !== undefined && isWithin(path, dir)) return null;
        return { kind: 'file', text: this.#shape(path, e.package, dir) };
      }
      default:
        return null;
    }
  }

  /** Add the policy's findings (judged on the same trace). */
  addFindings(findings: Iterable<BehaviourFinding>): void {
    for (const finding of findings) {
      this.#add(this.#script(finding.package, finding.package === undefined ? undefined : finding.lifecycle), 'finding', finding.ruleId);
    }
  }

  result(): TraceBehaviours {
    return { scripts: this.#scripts };
  }
}

/** The behaviours of a whole trace held in memory (tests, small traces). */
export function behavioursOf(events: Iterable<TraceEvent>, ctx: BehaviourContext, findings: Iterable<BehaviourFinding> = []): TraceBehaviours {
  const collector = new BehaviourCollector(ctx);
  for (const event of events) collector.observe(event);
  collector.addFindings(findings);
  return collector.result();
}

/** The path a file event writes (creates, changes, removes), or null for a read or a look. */
function writtenPath(e: Extract<TraceEvent, { type: 'file' }>): string | null {
  switch (e.action) {
    case 'open':
      return e.intent !== undefined && (e.intent.write || e.intent.create || e.intent.truncate === true) ? e.path : null;
    case 'rename':
    case 'link':
    case 'symlink':
      return e.target ?? null;
    case 'unlink':
    case 'chmod':
    case 'mkdir':
    case 'rmdir':
    case 'utime':
      return e.path;
    default:
      return null;
  }
}

function isLoopback(address: string): boolean {
  const a = address.toLowerCase();
  return a.startsWith('127.') || a === '::1' || a.startsWith('::ffff:127.') || a === 'localhost';
}

function hostPort(host: string, port: unknown): string {
  // A host name may carry data in its labels as a DNS name does; an IPv6 address goes in brackets.
  const raw = host.trim().toLowerCase().replace(/^\[(.*)\]$/, '$1');
  const ip = raw.includes(':') || /^[\d.]+$/.test(raw);
  const h = !ip ? dnsShape(raw) : raw.includes(':') ? `[${raw}]` : raw;
  return Number.isInteger(port) ? `${h}:${port as number}` : h;
}

/**
 * A DNS name with its data-carrying labels replaced by `*`: a label holding an encoded host name
 * or secret differs every run (`69702d….exfil.invalid` → `*.exfil.invalid`), the domain does not.
 */
export function dnsShape(name: string): string {
  let n = name.trim().toLowerCase();
  if (n.endsWith('.')) n = n.slice(0, -1);
  return n
    .split('.')
    .map((label) => (label.length >= 20 || /^[0-9a-f]{8,}$/.test(label) || (label.length >= 8 && /\d/.test(label) && /[a-z]/.test(label)) ? '*' : label))
    .join('.');
}

function quoteArg(arg: string): string {
  return /^[\w@%+=:,./{}*-]+$/.test(arg) ? arg : JSON.stringify(arg);
}

function escapeRegExp(text: string): string {
  return text.replace(/[\\^$.*+?()[\]{}|]/g, '\\$&');
}

/** The collector's context from a trace file's header. */
export function behaviourContextOf(header: Pick<TraceHeader, 'context' | 'decoys' | 'runId'>): BehaviourContext {
  const { projectDir, nodeModules, homeDir, tmpDir, lifecycleMarker } = header.context;
  return { projectDir, nodeModules, homeDir, tmpDir, lifecycleMarker, decoys: header.decoys, runId: header.runId };
}
