/**
 * The process tree of a trace per package and lifecycle script, for `safe-install trace show`:
 * each script run's processes (who started whom, what each exec'd, how it ended) and, under each
 * process, its file, network, DNS and other events.
 *
 * Streaming: events are fed in trace order (`observe`) and nothing but the tree is kept — a node
 * per process, and under it at most `eventsPerProcess` event lines (the rest are counted by type),
 * so a trace of millions of events costs the size of its process tree. Which events count is the
 * caller's predicate (the CLI's filters); the group filter (package, lifecycle) is applied first.
 * Lines hold the trace's strings as they are: the printer sanitizes them.
 *
 * Pure; no I/O.
 */
import type { PackageRef, TraceEvent } from '@safe-install/schema';

/** One process of the tree. */
export interface ViewProcess {
  pid: number;
  /** The programs it ran, in order (`/bin/sh -c "node x.js"`, then what it exec'd); at most a few. */
  execs: string[];
  /** How it ended: `exit 0`, `killed by SIGKILL`, `outlived its script (killed)`. */
  ended: string[];
  children: ViewProcess[];
  /** Event lines kept (matching the filter), in trace order. */
  lines: string[];
  /** The id of each kept line's event (same order as `lines`): where a finding's evidence links to. */
  lineIds: string[];
  /** Matching events not kept as lines, by event type. */
  more: Record<string, number>;
  /** Matching events of this process (kept or not). */
  matched: number;
  /** It or a process below it has a matching event (kept up to date as events come). */
  subtreeMatched: boolean;
  parent: ViewProcess | null;
}

/** A lifecycle script run (or, `package` null, what ran outside any script). */
export interface ViewGroup {
  key: string;
  package: PackageRef | null;
  lifecycle: string | null;
  command?: string;
  /** The id of the script's start event. */
  startId?: string;
  /** `exit 0`, `exit 7`, `killed by SIGTERM`; absent while no end was seen. */
  result?: string;
  startTs?: number;
  endTs?: number;
  /** Processes of the group whose parent is not in it. */
  roots: ViewProcess[];
  /** Matching events of the group. */
  matched: number;
}

export interface TraceViewOptions {
  /** Is this group shown at all (the package and lifecycle filters)? */
  group?: (pkg: PackageRef | null, lifecycle: string | null) => boolean;
  /** Does this event count (type, phase, path and host filters)? */
  event?: (e: TraceEvent) => boolean;
  /** Event lines kept per process (default 20). */
  eventsPerProcess?: number;
  /** Events kept as lines whatever the per-process limit (a report keeps every finding's evidence). */
  keep?: (e: TraceEvent) => boolean;
  /** Processes tracked at most; beyond, their events are counted in `untracked`. */
  maxProcesses?: number;
}

const OUTSIDE = '\0';
const MAX_EXECS = 4;


/** One event as a line of the tree (its process is the node it sits under). */
export function eventLine(e: TraceEvent): string | null {
  const failed = e.ok === false ? ` ✗ ${e.errno ?? 'failed'}` : '';
  switch (e.type) {
    case 'file': {
      const intent = e.intent === undefined ? '' : ` (${[e.intent.read ? 'read' : '', e.intent.write ? 'write' : '', e.intent.create ? 'create' : '', e.intent.truncate ? 'truncate' : ''].filter(Boolean).join(', ')})`;
      return `${e.action} ${e.path}${e.target !== undefined ? ` → ${e.target}` : ''}${intent}${failed}`;
    }
    case 'network':
      return `${e.action} ${e.family}${e.address !== undefined ? ` ${e.address}${e.port !== undefined ? `:${e.port}` : ''}` : ''}${failed}`;
    case 'dns':
      return `dns ${e.name} ${e.qtype} (${e.answered})`;
    case 'http':
      return `http ${e.method} ${e.url} (${e.decision}${e.status !== undefined ? ` ${e.status}` : ''})`;
    case 'fsdiff':
      return `fsdiff ${e.change} ${e.path}`;
    case 'decoy-exfiltration':
      return `decoy ${e.decoyKind} seen in ${e.where} (${e.encoding})${e.seenIn !== undefined ? `, event ${e.seenIn}` : ''}`;
    case 'notice':
      return `notice ${e.message}${e.count !== undefined ? ` (×${e.count})` : ''}`;
    case 'process':
      if (e.action === 'signal') return `signal ${e.signal} to pid ${e.target}${failed}`;
      if (e.action === 'untraceable') return `refused ${e.syscall}${e.flags ? ` ${e.flags.join('|')}` : ''} (${e.signal ?? e.errno ?? 'refused'})`;
      if (e.action === 'exec' && e.ok === false) return null; // PATH lookups: noise
      return null;
    default:
      return null;
  }
}

function argvText(path: string, argv: readonly unknown[]): string {
  const args = argv.slice(1, 32).map((a) => {
    const s = String(a).slice(0, 200);
    return /^[\w@%+=:,./-]+$/.test(s) ? s : JSON.stringify(s);
  });
  return [path, ...args].join(' ');
}

export class TraceView {
  readonly #groups = new Map<string, ViewGroup>();
  readonly #order: ViewGroup[] = [];
  /** The current process of each pid (a new spawn of a reused pid starts a new node). */
  readonly #procs = new Map<number, { node: ViewProcess; group: ViewGroup; leader: number }>();
  /** Nodes of processes in a group other than their own (`group key \0 pid`). */
  readonly #elsewhere = new Map<string, ViewProcess>();
  readonly #lastRun = new Map<string, string>();
  /** Processes seen created and not yet placed: their parent's pid. */
  readonly #born = new Map<number, number>();
  readonly #options: Required<Omit<TraceViewOptions, 'group' | 'event' | 'keep'>> & TraceViewOptions;
  #processes = 0;
  /** Matching events of processes beyond the limit. */
  untracked = 0;
  /** Matching events in all. */
  matched = 0;

  constructor(options: TraceViewOptions = {}) {
    this.#options = { eventsPerProcess: 20, maxProcesses: 200_000, ...options };
  }

  /**
   * The group of an event: its script run (the tracer numbers them); an attributed event without a
   * number (the gateway's, an fs diff's) belongs to the last run of its package and lifecycle.
   */
  #groupKey(e: TraceEvent): string {
    if (e.package === undefined) return OUTSIDE;
    const script = `${e.package.name}@${e.package.version}\0${e.lifecycle ?? '?'}`;
    if (e.run !== undefined) {
      const key = `run:${e.run}`;
      if (e.type === 'script' && e.action === 'start' && this.#lastRun.size < 100_000) this.#lastRun.set(script, key);
      return key;
    }
    return this.#lastRun.get(script) ?? script;
  }

  #group(e: TraceEvent): ViewGroup | null {
    const key = this.#groupKey(e);
    let group = this.#groups.get(key);
    if (group === undefined) {
      const pkg = e.package === undefined ? null : { name: e.package.name, version: e.package.version };
      const lifecycle = e.package === undefined ? null : (e.lifecycle ?? '?');
      if (this.#options.group !== undefined && !this.#options.group(pkg, lifecycle)) {
        this.#groups.set(key, NONE);
        return null;
      }
      group = { key, package: pkg, lifecycle, roots: [], matched: 0 };
      this.#groups.set(key, group);
      this.#order.push(group);
    }
    return group === NONE ? null : group;
  }

  #newNode(pid: number): ViewProcess | null {
    if (this.#processes >= this.#options.maxProcesses) return null;
    this.#processes += 1;
    return { pid, execs: [], ended: [], children: [], lines: [], lineIds: [], more: {}, matched: 0, subtreeMatched: false, parent: null };
  }

  /** The node of `pid` in `group`, made (under its parent when the parent is in the group) when new. */
  #node(pid: number, ppid: number, group: ViewGroup): ViewProcess | null {
    const known = this.#procs.get(pid);
    if (known !== undefined) {
      const leader = known.leader === pid ? known : this.#procs.get(known.leader);
      if (leader !== undefined && leader.group === group) return leader.node;
      // Attributed to another script than its own: a node of its own there, the process keeps its home.
      const key = `${group.key}\0${known.leader}`;
      const there = this.#elsewhere.get(key);
      if (there !== undefined) return there;
      const node = this.#newNode(known.leader);
      if (node === null) return null;
      group.roots.push(node);
      this.#elsewhere.set(key, node);
      return node;
    }
    // New: under its parent when the parent is in this group (its home or a node of it here), else a root.
    const parentPid = this.#born.get(pid) ?? ppid;
    this.#born.delete(pid);
    const node = this.#newNode(pid);
    if (node === null) return null;
    const parent = this.#procs.get(parentPid);
    const parentHere = parent !== undefined && parent.group === group ? parent.node : this.#elsewhere.get(`${group.key}\0${parentPid}`);
    if (parentHere !== undefined) adopt(parentHere, node);
    else group.roots.push(node);
    this.#procs.set(pid, { node, group, leader: pid });
    return node;
  }

  /** Feed every event, in trace order. */
  observe(e: TraceEvent): void {
    if (e.type === 'process' && e.action === 'spawn') {
      // The child's first own event places it; remember whose it is and whether it is a thread.
      if (e.ok === false || !(e.child > 0)) return;
      const parent = this.#procs.get(e.pid);
      const leaderPid = parent === undefined ? e.pid : parent.leader;
      const leader = this.#procs.get(leaderPid);
      if (e.thread) {
        if (leader !== undefined) this.#procs.set(e.child, { node: leader.node, group: leader.group, leader: leaderPid });
        return;
      }
      // A process: placed by its own first event (its script may not be its parent's), under its parent when they share one.
      this.#procs.delete(e.child);
      if (this.#born.size < 1_000_000) this.#born.set(e.child, leaderPid);
      return;
    }
    const group = this.#group(e);
    if (group === null) return;
    if (e.type === 'script') {
      if (e.action === 'start') {
        if (e.command !== undefined) group.command = e.command;
        group.startId = e.id;
        group.startTs = e.ts;
      } else {
        group.result = e.signal !== undefined ? `killed by ${e.signal}` : e.code !== undefined ? `exit ${e.code}` : 'ended';
        group.endTs = e.ts;
      }
      return;
    }
    const node = this.#node(e.pid, e.ppid, group);
    if (e.type === 'process' && (e.action === 'exec' || e.action === 'exit' || e.action === 'lingering')) {
      if (node === null) return;
      if (e.action === 'exec' && e.ok !== false && node.execs.length < MAX_EXECS && typeof e.path === 'string' && Array.isArray(e.argv)) node.execs.push(argvText(e.path, e.argv));
      else if (e.action === 'exit') node.ended.push(e.signal !== undefined ? `killed by ${e.signal}` : `exit ${e.code ?? '?'}`);
      else if (e.action === 'lingering') node.ended.push(`outlived its script (${e.outcome})`);
      if (e.action !== 'exec' || e.ok === false || this.#options.event === undefined || !this.#options.event(e)) return;
      // An exec that the filter asks for (a --path on programs) counts as a match of its process.
      matchedIn(node);
      group.matched += 1;
      this.matched += 1;
      return;
    }
    if (this.#options.event !== undefined && !this.#options.event(e)) return;
    this.matched += 1;
    group.matched += 1;
    if (node === null) {
      this.untracked += 1;
      return;
    }
    matchedIn(node);
    if (node.lines.length < this.#options.eventsPerProcess || this.#options.keep?.(e) === true) {
      const line = eventLine(e);
      if (line !== null) {
        node.lines.push(line);
        node.lineIds.push(e.id);
        return;
      }
    }
    node.more[e.type] = (node.more[e.type] ?? 0) + 1;
  }

  /** The groups in the order they were first seen. */
  groups(): readonly ViewGroup[] {
    return this.#order;
  }
}

const NONE: ViewGroup = { key: '', package: null, lifecycle: null, roots: [], matched: 0 };

function adopt(parent: ViewProcess, child: ViewProcess): void {
  parent.children.push(child);
  child.parent = parent;
}

/** Count a match, and mark the way up as leading to one (stopping where it already is: linear overall). */
function matchedIn(node: ViewProcess): void {
  node.matched += 1;
  for (let cur: ViewProcess | null = node; cur !== null && !cur.subtreeMatched; cur = cur.parent) cur.subtreeMatched = true;
}
