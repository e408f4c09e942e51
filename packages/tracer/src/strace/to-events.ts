/**
 * Turns the reader's entries into trace events, keeping a process table along the way: who spawned
 * whom, each process's cwd and executable, and which package's lifecycle script it belongs to.
 *
 * Attribution rests on one rule. The script-shell wrapper re-execs itself as
 * `MARKER --run NAME VERSION EVENT COMMAND` in the process the package manager spawned for the
 * script; that process and every descendant then carry that script run (numbered; NAME@VERSION is
 * only the script's claim, the host replaces it by the lockfile's word). A marker exec is honoured
 * in a process with no attribution whose parent has none either — a direct child of the package
 * manager — and, inside a script, as a nested script when the process was the script shell
 * (`MARKER -c`) and its creator runs the image's own package manager (exec'd by path, see
 * {@link DEFAULT_PACKAGE_MANAGER_PATHS}) or a copy of npm the project's lockfile installs (a
 * dependency on `npm`, by its path: {@link EventBuilderOptions.lockedManagerPaths}): `npm run build`
 * in a `prepare`. Anywhere else it is code under analysis trying to pass as another package, and
 * only gets reported. Only the image's npm is the package manager (`packageManager` on its exec,
 * the one exemption the rules grant): a locked copy is a dependency's code, judged as its script's.
 *
 * strace prints a child's first calls before its parent's fork returns when the parent is suspended
 * (vfork) or merely slower, so a line from a pid that has not been seen spawned is held until the
 * spawn that names it arrives; only then is it known whose subtree — and which package — it is in.
 */

import { createHash } from 'node:crypto';
import type {
  FileEvent,
  NetworkEvent,
  PackageRef,
  ProcessExecEvent,
  ProcessExitEvent,
  ProcessLingeringEvent,
  ProcessSignalEvent,
  ProcessUntraceableEvent,
  ProcessSpawnEvent,
  RawEvent,
  ScriptEvent,
  TracerNoticeEvent,
} from '@safe-install/schema';
import { MEMFD_PATH_PREFIX, SANDBOX_HELPERS, SCRIPT_SHELL_ARGS } from '@safe-install/schema';
import { decodeStraceString, parseDecorated, pidArgument } from './parse-line.js';
import type { DecodedString, ExitedLine, KilledLine, SignalLine, SupersededLine } from './parse-line.js';
import { dirname, resolvePath } from '@safe-install/schema';
import type { StraceEntry, StraceRecord } from './reader.js';
import {
  parseArray,
  parseFlags,
  parseMode,
  parseSockaddr,
  parseSocketDecoration,
  parseStringArray,
  parseStruct,
  socketInode,
} from './values.js';
import type { SocketAddress } from './values.js';

/** Where the script-shell wrapper lives in the sandbox image. */
export const DEFAULT_LIFECYCLE_MARKER: string = SANDBOX_HELPERS.scriptShell;

/**
 * The sandbox image's own package manager: its npm and npx as the PATH finds them, and their entry
 * scripts. A process is a package manager only when it exec'd one of these paths (or the image's
 * node running one): a copy, a symlink elsewhere or a `node_modules/.bin/npm` is not.
 */
export const DEFAULT_PACKAGE_MANAGER_PATHS: readonly string[] = [
  '/usr/local/bin/npm',
  '/usr/local/bin/npx',
  '/usr/local/lib/node_modules/npm/bin/npm',
  '/usr/local/lib/node_modules/npm/bin/npx',
  '/usr/local/lib/node_modules/npm/bin/npm-cli.js',
  '/usr/local/lib/node_modules/npm/bin/npx-cli.js',
];
/** The image's node, which runs the package manager's entry scripts. */
export const DEFAULT_NODE_PATHS: readonly string[] = ['/usr/local/bin/node'];

/** Options for {@link EventBuilder}. */
export interface EventBuilderOptions {
  /** The cwd of the first (root) process, where the trace starts. */
  rootCwd: string;
  /** Absolute path of the script-shell wrapper whose `--run` exec marks a script. */
  lifecycleMarker?: string;
  /** Paths of the image's package manager (default {@link DEFAULT_PACKAGE_MANAGER_PATHS}). */
  packageManagerPaths?: readonly string[];
  /** Paths of the image's node (default {@link DEFAULT_NODE_PATHS}). */
  nodePaths?: readonly string[];
  /**
   * Absolute paths of copies of npm the project's lockfile installs (a package depending on `npm`:
   * `…/node_modules/npm/bin/npm-cli.js` and its `.bin` links), from the runner's lockfile table.
   * The scripts such a copy starts inside a script are nested runs (who they are follows the
   * lockfile, as for the image's npm); the copy itself gets no exemption.
   */
  lockedManagerPaths?: readonly string[];
  /**
   * The manager's own process is traced (Yarn Berry: no script-shell hook, its shell runs in its
   * own process): every program a package-manager process under a script run starts is a nested
   * script run of its own, whose folder (its cwd at exec) names the package. Its lifecycle is
   * `processTreeLifecycle` (the manager's environment, which names the script, is not in the trace).
   */
  processTree?: boolean;
  processTreeLifecycle?: string;
  /**
   * Entries held for one pid not yet seen spawned before it is taken as an orphan (parent unknown).
   * Bounds memory against a vfork child that keeps its parent suspended while it floods the trace.
   */
  maxWaitingPerPid?: number;
  /** Entries held for all such pids together. */
  maxWaitingTotal?: number;
  /**
   * Script runs already numbered in this trace by earlier builders (a job's earlier steps, one
   * builder each): this builder numbers its runs after them, so `run` stays unique in the trace.
   */
  runsBefore?: number;
}

/** Which package manager a process runs, if any: the image's, or a copy the lockfile installs. */
type ManagerKind = 'image' | 'locked' | null;

/** Which script a process belongs to. Shared by reference across the script's whole subtree. */
export interface Attribution {
  package: PackageRef;
  lifecycle: string;
  /** The pid that exec'd the marker: the script's root process. */
  scriptPid: number;
  /** The run's number (1, 2, …): events carry it as `run`. */
  run: number;
  /** For a script a package manager inside another script started: that script's attribution. */
  parent?: Attribution;
}

/** A read-only view of one process-table entry. */
export interface ProcessSnapshot {
  pid: number;
  /** Parent pid as the kernel sees it (0 when unknown). */
  ppid: number;
  /** Thread-group id: the process a thread belongs to; equal to `pid` for a process. */
  tgid: number;
  thread: boolean;
  cwd: string;
  exe?: string;
  package?: PackageRef;
  lifecycle?: string;
  alive: boolean;
  /** Its parent was never seen (or seen too late): events before that carry ppid 0. */
  orphan: boolean;
  exitCode?: number;
  exitSignal?: string;
}

/** Counters of what the builder had to work around. */
export interface EventBuilderStats {
  /** Pids taken as orphans: their spawn was never seen, or came too late. */
  orphans: number;
  /** Marker execs refused: spoofs from attributed subtrees, and markers with no known parent. */
  refusedMarkers: number;
  /** Entries from pids already gone (late `+++` lines of exec'd-away threads), ignored. */
  staleEntries: number;
}

type Raw<T> = Omit<T, 'id'>;

interface Proc {
  pid: number;
  /** Parent pid as the kernel reports it; what events carry. */
  ppid: number;
  /**
   * The process that created this one (for a thread: its own process). Attribution and ancestry
   * follow this link — held by reference, so a recycled pid cannot graft itself into a chain.
   */
  parent: Proc | null;
  /** The thread-group leader; itself for a process. */
  leader: Proc;
  thread: boolean;
  /** Shared between clones made with CLONE_FS (threads), copied otherwise. */
  fs: { cwd: string };
  /** Descriptors that hold a memfd; shared between clones made with CLONE_FILES, copied otherwise. */
  files: FdTable;
  exe?: string;
  attribution?: Attribution;
  alive: boolean;
  orphan: boolean;
  /** Live threads of a leader. */
  threads: Set<Proc>;
  exitGroup?: { code: number; ts: number };
  exitReported: boolean;
  exitCode?: number;
  exitSignal?: string;
  /** Set on a script's root process. */
  script?: { command: string };
  /**
   * Runs the image's package manager (`image`) or a copy the lockfile installs (`locked`); set at
   * exec, a fork inherits it until it execs.
   */
  manager: ManagerKind;
  /** Runs the script shell as npm starts it (`MARKER -c COMMAND`). */
  scriptShell: boolean;
}

const SPAWN_CALLS = new Set(['fork', 'vfork', 'clone', 'clone3']);
/** The io_uring calls: I/O with none of the calls the tracer stops on (refused by the sandbox). */
const IO_URING_CALLS = new Set(['io_uring_setup', 'io_uring_enter', 'io_uring_register']);
/** `/proc/self/fd/3`, `/proc/123/fd/3`, `/dev/fd/3`: a path that names a descriptor. */
const FD_PATH_RE = /^\/(?:proc\/(self|thread-self|\d{1,10})(?:\/task\/\d{1,10})?\/fd|dev\/fd)\/(\d{1,10})$/;
/** memfd descriptors remembered per process: a process that makes more is flooding. */
const MAX_MEMFDS = 1024;
const SIGNAL_CALLS = new Set(['kill', 'tkill', 'tgkill']);
/** Entries that say only that a process ended or was signalled: nothing to attribute. */
const LIFECYCLE_KINDS = new Set<StraceEntry['kind']>(['exited', 'killed', 'signal', 'superseded']);
/** Payload bytes kept for a send: strace prints at most `-s` bytes per string anyway. */
const MAX_DATA_BYTES = 4096;
/** Connected sockets remembered for sends without an address. */
const MAX_SOCKETS = 65536;

/** Builds {@link RawEvent}s from {@link StraceEntry}s. Feed it with `consume`, finish with `end`. */
export class EventBuilder {
  readonly stats: EventBuilderStats = { orphans: 0, refusedMarkers: 0, staleEntries: 0 };

  readonly #rootCwd: string;
  readonly #marker: string;
  readonly #managerPaths: ReadonlySet<string>;
  readonly #lockedManagerPaths: ReadonlySet<string>;
  readonly #nodePaths: ReadonlySet<string>;
  #runs = 0;
  readonly #processTree: boolean;
  readonly #processTreeLifecycle: string;
  readonly #maxWaitingPerPid: number;
  readonly #maxWaitingTotal: number;
  readonly #procs = new Map<number, Proc>();
  /** Entries from pids not yet seen spawned, in arrival order. */
  readonly #waiting = new Map<number, StraceEntry[]>();
  #waitingTotal = 0;
  readonly #scripts = new Map<number, Proc>();
  /** Threads inside a fork-family call right now: the parents-to-be. */
  readonly #spawning = new Set<Proc>();
  /** Socket inode → the address it was connected to, for sends that name none. */
  readonly #sockets = new Map<string, SocketAddress>();
  #root: Proc | null = null;

  constructor(options: EventBuilderOptions) {
    this.#rootCwd = resolvePath('/', options.rootCwd);
    this.#marker = resolvePath('/', options.lifecycleMarker ?? DEFAULT_LIFECYCLE_MARKER);
    this.#managerPaths = new Set((options.packageManagerPaths ?? DEFAULT_PACKAGE_MANAGER_PATHS).map((path) => resolvePath('/', path)));
    this.#nodePaths = new Set((options.nodePaths ?? DEFAULT_NODE_PATHS).map((path) => resolvePath('/', path)));
    this.#lockedManagerPaths = new Set((options.lockedManagerPaths ?? []).map((path) => resolvePath('/', path)));
    this.#maxWaitingPerPid = options.maxWaitingPerPid ?? 10_000;
    this.#maxWaitingTotal = options.maxWaitingTotal ?? 100_000;
    this.#runs = options.runsBefore ?? 0;
    this.#processTree = options.processTree ?? false;
    this.#processTreeLifecycle = options.processTreeLifecycle ?? 'build';
  }

  /** The number of the last script run numbered in the trace (0 before the first). */
  get lastRun(): number {
    return this.#runs;
  }

  /** Take one entry; returns the events it completes (possibly several, possibly none). */
  consume(entry: StraceEntry): RawEvent[] {
    const out: RawEvent[] = [];
    try {
      this.#consume(entry, out);
    } catch (error) {
      // The builder is meant to be total; should a bug slip through, lose the entry, say so, go on.
      out.push(this.#notice(entry.ts, entry.pid, `tracer error on a ${entry.kind} entry: ${String(error)}`));
    }
    return out;
  }

  /**
   * End of trace. Pids still waiting for their spawn become orphans (ppid 0) and their entries are
   * emitted; a process that called exit_group but whose `+++ exited` never came gets its exit.
   */
  end(): RawEvent[] {
    const out: RawEvent[] = [];
    // Earliest first. Adopting one may release others, or hold a recycled pid anew: repeat until
    // nothing waits.
    while (this.#waiting.size > 0) {
      const round = [...this.#waiting.keys()].sort(
        (a, b) => (this.#waiting.get(a)?.[0]?.ts ?? 0) - (this.#waiting.get(b)?.[0]?.ts ?? 0),
      );
      for (const pid of round) {
        const entries = this.#waiting.get(pid);
        if (entries === undefined) continue; // released while adopting an earlier one
        if (this.#procs.has(pid) && entries.every((e) => LIFECYCLE_KINDS.has(e.kind))) {
          // Late `+++` lines of a thread already accounted for (an exec took its group away).
          this.#waiting.delete(pid);
          this.#waitingTotal -= entries.length;
          this.stats.staleEntries += entries.length;
          continue;
        }
        this.#adoptOrphan(pid, out, 'its spawn never appeared in the trace');
      }
    }
    for (const proc of this.#procs.values()) {
      if (proc.alive && !proc.thread && proc.exitGroup !== undefined) {
        this.#exit(proc, proc.exitGroup.ts, { code: proc.exitGroup.code }, out);
      }
    }
    return out;
  }

  /** Live processes (not threads) still running in the trace, after `pid`'s script ended or not. */
  lingeringAt(scriptPid: number): number[] {
    const script = this.#scripts.get(scriptPid);
    if (script === undefined) return [];
    const out: number[] = [];
    for (const proc of this.#procs.values()) {
      if (!proc.alive || proc.thread || proc === script) continue;
      // Same attribution object: the subtree, plus any orphan provisionally given this script.
      if (proc.attribution !== undefined && proc.attribution === script.attribution) out.push(proc.pid);
      else if (isDescendant(proc, script)) out.push(proc.pid);
    }
    return out.sort((a, b) => a - b);
  }

  /** Pids of all processes (not threads) alive in the trace. */
  liveProcesses(): number[] {
    const out: number[] = [];
    for (const proc of this.#procs.values()) if (proc.alive && !proc.thread) out.push(proc.pid);
    return out.sort((a, b) => a - b);
  }

  /**
   * `pid` and its ancestors, nearest first, following who created whom (a thread's first ancestor is
   * its own process). Empty for a pid never seen.
   */
  chain(pid: number): number[] {
    const out: number[] = [];
    const seen = new Set<Proc>();
    for (let p = this.#procs.get(pid) ?? null; p !== null && !seen.has(p); p = p.parent) {
      seen.add(p);
      out.push(p.pid);
    }
    return out;
  }

  /** The package and lifecycle `pid` belongs to, ready to spread into an event; `{}` if none. */
  attributionOf(pid: number): { package?: PackageRef; lifecycle?: string; run?: number } {
    const a = this.#procs.get(pid)?.attribution;
    return a === undefined ? {} : { package: { ...a.package }, lifecycle: a.lifecycle, run: a.run };
  }

  /** The parent pid events of `pid` carry; 0 when unknown. */
  parentOf(pid: number): number {
    return this.#procs.get(pid)?.ppid ?? 0;
  }

  /**
   * The event for a process still alive after its script (or the install) ended, for the runner to
   * write once it has dealt with it.
   */
  lingeringEvent(pid: number, outcome: 'killed' | 'exited', ts: number): RawEvent {
    const proc = this.#procs.get(pid);
    const base: Raw<EventBaseFields> =
      proc === undefined ? { ts, source: 'tracer', pid, ppid: 0 } : this.#base(proc, ts);
    const event: Raw<ProcessLingeringEvent> = { ...base, type: 'process', action: 'lingering', outcome };
    return event;
  }

  /** The process-table entry for `pid` (the latest, if the pid was reused). */
  processInfo(pid: number): ProcessSnapshot | undefined {
    const proc = this.#procs.get(pid);
    if (proc === undefined) return undefined;
    const snapshot: ProcessSnapshot = {
      pid: proc.pid,
      ppid: proc.ppid,
      tgid: proc.leader.pid,
      thread: proc.thread,
      cwd: proc.fs.cwd,
      alive: proc.alive,
      orphan: proc.orphan,
    };
    const exe = proc.leader.exe;
    if (exe !== undefined) snapshot.exe = exe;
    if (proc.attribution !== undefined) {
      snapshot.package = { ...proc.attribution.package };
      snapshot.lifecycle = proc.attribution.lifecycle;
    }
    if (proc.exitCode !== undefined) snapshot.exitCode = proc.exitCode;
    if (proc.exitSignal !== undefined) snapshot.exitSignal = proc.exitSignal;
    return snapshot;
  }

  // ---------------------------------------------------------------------------------------------
  // Routing

  #consume(entry: StraceEntry, out: RawEvent[]): void {
    const known = this.#procs.get(entry.pid);
    let proc = known?.alive === true ? known : undefined;
    if (proc === undefined && this.#root === null) proc = this.#createRoot(entry.pid);
    if (proc === undefined || this.#waiting.has(entry.pid)) {
      this.#wait(entry, out);
      return;
    }
    switch (entry.kind) {
      case 'syscall':
        this.#syscall(proc, entry, out);
        return;
      case 'unfinished':
        if (SPAWN_CALLS.has(entry.name)) this.#spawning.add(proc);
        return;
      case 'exited':
      case 'killed':
        this.#exitLine(proc, entry, out);
        return;
      case 'superseded':
        this.#superseded(proc, entry);
        return;
      case 'signal':
        // Delivery of a signal is no call of the process's own; the sender's kill is the event.
        // Except seccomp's SIGSYS: the kernel refused a call the tracer never saw.
        this.#seccompSignal(proc, entry, out);
        return;
    }
  }

  /** `--- SIGSYS {si_code=SYS_SECCOMP, si_syscall=__NR_clone, ...} ---`: a call seccomp refused. */
  #seccompSignal(proc: Proc, line: SignalLine, out: RawEvent[]): void {
    if (line.signal !== 'SIGSYS' || !/\bsi_code=SYS_SECCOMP\b/.test(line.info)) return;
    const syscall = /\bsi_syscall=(?:__NR_)?([a-z_][a-z0-9_]{0,63})\b/.exec(line.info)?.[1];
    if (syscall === undefined) return;
    const event: Raw<ProcessUntraceableEvent> = { ...this.#base(proc, line.ts, { ok: false }), type: 'process', action: 'untraceable', syscall, signal: 'SIGSYS' };
    out.push(event);
  }

  #createRoot(pid: number): Proc {
    const root = newProc(pid, 0, null, { cwd: this.#rootCwd });
    this.#procs.set(pid, root);
    this.#root = root;
    return root;
  }

  /**
   * The package manager, started by the runner and not traced itself (its scripts are, each by a
   * tracer of its own): the root of the process tree. Call it first. Returns its exec event.
   */
  startManager(pid: number, argv: readonly string[], ts: number): RawEvent[] {
    if (this.#root !== null) return [];
    const root = this.#createRoot(pid);
    root.exe = argv[0] ?? '';
    const exec: Raw<ProcessExecEvent> = { ...this.#base(root, ts, { ok: true }), type: 'process', action: 'exec', path: root.exe, argv: [...argv], cwd: root.fs.cwd };
    return [exec];
  }

  /** The package manager ended (the runner saw it exit). Returns its exit event. */
  managerExited(status: { code?: number; signal?: string }, ts: number): RawEvent[] {
    const out: RawEvent[] = [];
    if (this.#root !== null && this.#root.alive) this.#exit(this.#root, ts, status, out);
    return out;
  }

  /**
   * A script started in the place of the script shell `shellPid` (a process of the package
   * manager's, untraced), by a tracer of its own: `pid` is the first process of that tracer's
   * output. Nobody in the trace spawned either, so the runner, which checked the shell and started
   * the script, vouches for them here: the shell becomes a child of the package manager and the
   * script the shell's child (spawn events say so), and the marker the script execs is judged by the
   * usual rule — honoured only under the package manager. Call it before the first entry of `pid`.
   * Returns nothing when `pid` is already known (it is then treated like any other process).
   * `cwd` is the shell's working directory, when the runner could read it.
   */
  adoptScriptRoot(pid: number, shellPid: number, ts: number, cwd?: string): RawEvent[] {
    const out: RawEvent[] = [];
    if (this.#procs.get(pid)?.alive === true || pid === shellPid) return out;
    let shell = this.#procs.get(shellPid);
    if (shell === undefined || !shell.alive) {
      const manager = this.#root;
      if (manager === null || !manager.alive || shellPid === manager.pid) return out;
      shell = newProc(shellPid, manager.pid, manager, { cwd: cwd === undefined ? manager.fs.cwd : resolvePath('/', cwd) });
      this.#procs.set(shellPid, shell);
      out.push(this.#adoptedSpawn(manager, shellPid, 'untraced', ts));
    }
    const group = shell.leader;
    const child = newProc(pid, group.pid, group, { cwd: group.fs.cwd });
    if (group.exe !== undefined) child.exe = group.exe;
    if (group.attribution !== undefined) child.attribution = group.attribution;
    this.#procs.set(pid, child);
    out.push(this.#adoptedSpawn(group, pid, 'script-tracer', ts));
    this.#release(pid, out);
    return out;
  }

  #adoptedSpawn(parent: Proc, child: number, syscall: string, ts: number): RawEvent {
    const spawn: Raw<ProcessSpawnEvent> = { ...this.#base(parent, ts, { ok: true }), type: 'process', action: 'spawn', child, syscall, thread: false };
    return spawn;
  }

  /** A notice from whoever drives the builder (the runner), with `pid`'s attribution when known. */
  notice(ts: number, pid: number, message: string): RawEvent {
    const proc = this.#procs.get(pid);
    return this.#notice(ts, pid, message, proc);
  }

  /** Hold an entry of a pid not yet seen spawned. */
  #wait(entry: StraceEntry, out: RawEvent[]): void {
    const list = this.#waiting.get(entry.pid) ?? [];
    if (list.length === 0) this.#waiting.set(entry.pid, list);
    list.push(entry);
    this.#waitingTotal++;
    if (list.length > this.#maxWaitingPerPid || this.#waitingTotal > this.#maxWaitingTotal) {
      this.#adoptOrphan(entry.pid, out, 'too many of its calls came before its spawn');
    }
  }

  /** Give up waiting for `pid`'s spawn: take it as an orphan and emit its held entries. */
  #adoptOrphan(pid: number, out: RawEvent[], why: string): void {
    const entries = this.#waiting.get(pid) ?? [];
    this.#waiting.delete(pid);
    this.#waitingTotal -= entries.length;
    const first = entries.find((e) => e.kind === 'syscall');
    const proc = newProc(pid, 0, null, { cwd: first ? (fdcwdOf(first) ?? this.#rootCwd) : this.#rootCwd });
    proc.orphan = true;
    // A suspended parent (vfork) is still inside its fork call. If every process in that state
    // belongs to one script, the orphan does too — keeps a flooding vfork child from shaking off
    // its package. The marker rule still refuses it: its parent stays unknown.
    const attributions = new Set([...this.#spawning].map((p) => p.attribution));
    const [only] = attributions;
    if (attributions.size === 1 && only !== undefined) proc.attribution = only;
    this.#procs.set(pid, proc);
    this.stats.orphans++;
    out.push(
      this.#notice(
        entries[0]?.ts ?? 0,
        pid,
        `pid ${pid} has no known parent (${why}); its events carry ppid 0`,
        proc,
        entries.length,
      ),
    );
    for (const entry of entries) this.#consume(entry, out);
  }

  // ---------------------------------------------------------------------------------------------
  // Syscalls

  #syscall(proc: Proc, rec: StraceRecord, out: RawEvent[]): void {
    const name = rec.name;
    if (SPAWN_CALLS.has(name)) return this.#spawn(proc, rec, out);
    if (name === 'execve' || name === 'execveat') return this.#exec(proc, rec, out);
    if (IO_URING_CALLS.has(name)) {
      const event: Raw<ProcessUntraceableEvent> = { ...this.#base(proc, rec.ts, callResult(rec)), type: 'process', action: 'untraceable', syscall: name };
      out.push(event);
      return;
    }
    if (name === 'memfd_create') return this.#memfd(proc, rec, out);
    if (SIGNAL_CALLS.has(name)) return this.#signal(proc, rec, out);
    // Process-tree capture: the manager's own file and network calls (unpacking thousands of
    // files, fetching through the gateway) are not its scripts' doing; as with an untraced npm,
    // what it leaves is in the filesystem diff and what it fetches passes the gateway. Its
    // processes, execs, signals and memfds stay in the trace.
    if (this.#processTree && name !== 'exit_group' && name !== 'chdir' && name !== 'fchdir' && this.#isTreeManager(proc)) return;
    switch (name) {
      case 'exit_group': {
        const code = Number(rec.args[0]);
        if (Number.isInteger(code)) proc.leader.exitGroup = { code: code & 0xff, ts: rec.ts };
        return;
      }
      case 'chdir':
      case 'fchdir':
        return this.#chdir(proc, rec);
      case 'open':
      case 'openat':
      case 'openat2':
      case 'creat':
        return this.#open(proc, rec, out);
      case 'connect':
      case 'bind':
      case 'sendto':
      case 'sendmsg':
      case 'sendmmsg':
        return this.#network(proc, rec, out);
      case 'ptrace':
      case 'process_vm_readv':
      case 'process_vm_writev':
        // ptrace(REQUEST, PID) and process_vm_*(PID, ...): enough to say what and on whom.
        // The pid is strace's (the trace's), also when the caller named it inside its namespace.
        out.push({
          ...this.#notice(rec.ts, proc.pid, `${rec.name}(${[rec.name === 'ptrace' ? rec.args[0] : pidText(rec.args[0]), ...(rec.name === 'ptrace' && rec.args.length > 1 ? [pidText(rec.args[1])] : [])].join(', ')}) called`, proc),
          ...callResult(rec),
        });
        return;
      case 'setsid':
        return;
      default:
        return this.#file(proc, rec, out);
    }
  }

  #spawn(parent: Proc, rec: StraceRecord, out: RawEvent[]): void {
    this.#spawning.delete(parent);
    const flags = cloneFlags(rec);
    if (flags.has('CLONE_UNTRACED')) {
      // A child the tracer would not follow. The sandbox refuses it (clone: SIGSYS, clone3:
      // ENOSYS), so this is the attempt. Only a failure is a result to trust: a call seccomp
      // skipped shows the syscall's own number as its "return value" (56 for clone), and a child
      // that did start is never in the trace — so no spawn, and no process to wait for.
      const event: Raw<ProcessUntraceableEvent> = {
        ...this.#base(parent, rec.ts, rec.errno === undefined ? {} : callResult(rec)),
        type: 'process',
        action: 'untraceable',
        syscall: rec.name,
        flags: [...flags].sort(),
      };
      out.push(event);
      return;
    }
    if (!rec.complete || typeof rec.ret !== 'number' || rec.ret <= 0 || rec.ret > 0x7fffffff) return;
    const childPid = rec.ret;
    const thread = flags.has('CLONE_THREAD');
    const spawn: Raw<ProcessSpawnEvent> = {
      ...this.#base(parent, rec.ts, callResult(rec)),
      type: 'process',
      action: 'spawn',
      child: childPid,
      syscall: rec.name,
      thread,
    };
    out.push(spawn);

    const group = parent.leader;
    // A thread, or a process cloned with CLONE_PARENT, has its creator's parent as parent.
    const ppid = thread || flags.has('CLONE_PARENT') ? group.ppid : group.pid;
    const fs = flags.has('CLONE_FS') ? parent.fs : { cwd: parent.fs.cwd };
    const files = flags.has('CLONE_FILES') ? parent.files : copyFdTable(parent.files);
    const existing = this.#procs.get(childPid);
    let child: Proc;
    if (existing !== undefined && existing.alive && existing.orphan && !this.#waiting.has(childPid)) {
      // Its calls came first and were emitted as an orphan's; from now on it has its real parent.
      child = existing;
      child.orphan = false;
      child.ppid = ppid;
      child.parent = group;
      // The creator's attribution is the truth; a provisional one given at adoption yields to it.
      if (group.attribution !== undefined) child.attribution = group.attribution;
      else delete child.attribution;
    } else {
      child = newProc(childPid, ppid, group, fs, files);
      if (thread) {
        child.thread = true;
        child.leader = group;
        group.threads.add(child);
      }
      if (group.exe !== undefined) child.exe = group.exe;
      if (group.attribution !== undefined) child.attribution = group.attribution;
      // A fork of the package manager is the package manager until it execs something else.
      child.manager = group.manager;
      child.scriptShell = group.scriptShell;
      this.#procs.set(childPid, child);
    }
    this.#release(childPid, out);
  }

  /** Emit the entries held for a pid that has just become known. */
  #release(pid: number, out: RawEvent[]): void {
    const held = this.#waiting.get(pid);
    if (held === undefined) return;
    this.#waiting.delete(pid);
    this.#waitingTotal -= held.length;
    for (const entry of held) this.#consume(entry, out);
  }

  #exec(proc: Proc, rec: StraceRecord, out: RawEvent[]): void {
    const at = rec.name === 'execveat';
    const pathArg = decodeStraceString(rec.args[at ? 1 : 0] ?? '');
    const argv = parseStringArray(rec.args[at ? 2 : 1] ?? '', rec.truncated === true || !rec.complete);
    let path: string;
    if (at) path = this.#resolveAt(proc, rec.args[0], pathArg?.value ?? '');
    else path = resolvePath(proc.fs.cwd, pathArg?.value ?? '');
    // A descriptor's path (`/proc/self/fd/3`) runs what the descriptor holds: name the memfd.
    const held = this.#memfdAt(proc, path);
    const via = held === undefined ? undefined : path;
    if (held !== undefined) path = held;
    // The kernel moves a thread's successful exec to the leader's pid; strace's return value for
    // that case is unreliable under --seccomp-bpf, but the pid change itself proves success.
    const ok = rec.formerPid !== undefined ? true : rec.ret === 0;
    const group = proc.leader;

    let script: Raw<ScriptEvent> | null = null;
    if (ok && path === this.#marker && argv !== null && argv.items[1]?.value === SCRIPT_SHELL_ARGS.run) {
      script = this.#claimScript(group, rec, argv.items, out);
    }
    const manager = ok && argv !== null ? this.#managerKind(proc, path, argv.items) : null;
    if (script === null && ok && this.#processTree && manager === null) script = this.#treeScript(group, rec, path, argv?.items ?? []);
    const event: Raw<ProcessExecEvent> = {
      ...this.#base(proc, rec.ts, rec.formerPid !== undefined ? { ok: true } : callResult(rec)),
      type: 'process',
      action: 'exec',
      path,
      argv: (argv?.items ?? []).map((a) => a.value),
      cwd: proc.fs.cwd,
    };
    if (argv === null || argv.truncated || pathArg?.truncated === true || rec.truncated === true)
      event.truncated = true;
    if (manager === 'image') event.packageManager = true;
    if (via !== undefined) event.via = via;
    if (script !== null) {
      out.push(script);
      if (argv?.items[5]?.truncated === true) {
        // -s cut the command: its hash covers only what strace showed, so a policy pin cannot match.
        out.push(this.#notice(rec.ts, group.pid, 'script command truncated by strace; commandHash covers a prefix', group));
      }
    }
    out.push(event);
    if (ok) {
      group.exe = path;
      group.manager = manager;
      group.scriptShell = path === this.#marker && argv !== null && argv.items.length === 3 && argv.items[1]?.value === '-c';
      // exec closes the close-on-exec descriptors and no longer shares the table with anyone.
      group.files = copyFdTable(proc.files, true);
      proc.files = group.files;
    }
  }

  /**
   * Does this exec start a package manager — the image's, or a copy the lockfile installs: its path,
   * or the image's node running it? A name proves nothing; only these exact paths do.
   */
  #managerKind(proc: Proc, path: string, argv: readonly DecodedString[]): ManagerKind {
    const kind = (p: string): ManagerKind => (this.#managerPaths.has(p) ? 'image' : this.#lockedManagerPaths.has(p) ? 'locked' : null);
    const direct = kind(path);
    if (direct !== null) return direct;
    const script = argv[1];
    if (!this.#nodePaths.has(path) || script === undefined || script.truncated) return null;
    return kind(resolvePath(proc.fs.cwd, script.value));
  }

  /** `memfd_create(NAME, FLAGS) = FD</memfd:NAME>(deleted)`: a file in memory, written next. */
  #memfd(proc: Proc, rec: StraceRecord, out: RawEvent[]): void {
    const name = decodeStraceString(rec.args[0] ?? '');
    const path = rec.decoration?.startsWith(MEMFD_PATH_PREFIX) === true ? rec.decoration : `${MEMFD_PATH_PREFIX}${name?.value ?? ''}`;
    if (typeof rec.ret === 'number' && rec.ret >= 0) this.#holdMemfd(proc, rec.ret, path, parseFlags(rec.args[1] ?? '').has('MFD_CLOEXEC'));
    // Made to be written: what a script puts in it carries that script's mark, like any file.
    const event: Raw<FileEvent> = {
      ...this.#base(proc, rec.ts, callResult(rec)),
      type: 'file',
      action: 'open',
      path,
      intent: { read: true, write: true, create: true },
    };
    out.push(event);
  }

  #holdMemfd(proc: Proc, fd: number, path: string, cloexec: boolean): void {
    const table = proc.files.memfds;
    table.delete(fd);
    if (table.size >= MAX_MEMFDS) {
      const oldest = table.keys().next();
      if (oldest.done !== true) table.delete(oldest.value);
    }
    table.set(fd, { path, cloexec });
  }

  /** The memfd a descriptor path (`/proc/self/fd/N`, `/dev/fd/N`) names, when known. */
  #memfdAt(proc: Proc, path: string): string | undefined {
    const m = FD_PATH_RE.exec(path);
    if (m === null) return undefined;
    const who = m[1];
    const owner = who === undefined || who === 'self' || who === 'thread-self' ? proc : this.#procs.get(Number(who));
    return owner?.files.memfds.get(Number(m[2]))?.path;
  }

  /**
   * A `MARKER --run NAME VERSION EVENT COMMAND` exec. Returns the script start to emit, or null
   * after emitting why it was refused.
   */
  #claimScript(group: Proc, rec: StraceRecord, argv: DecodedString[], out: RawEvent[]): Raw<ScriptEvent> | null {
    const [, , name, version, lifecycle, command] = argv;
    const claim = `${name?.value ?? '?'}@${version?.value ?? '?'} (${lifecycle?.value ?? '?'})`;
    const refuse = (why: string): null => {
      this.stats.refusedMarkers++;
      out.push(this.#notice(rec.ts, group.pid, `lifecycle marker exec not honoured: ${why}`, group));
      return null;
    };
    const parent = group.parent;
    // Inside a script, a marker is a nested script only as npm starts one: the process was the
    // script shell (`MARKER -c`) and its creator runs a package manager (the image's, or a copy the
    // lockfile installs: who the run is follows the lockfile either way), under the same
    // script. Anything else claiming a script there is code trying to pass as another's.
    const enclosing = group.attribution;
    const nested =
      enclosing !== undefined && !group.orphan && group.scriptShell && parent !== null && parent.manager !== null && parent.attribution === enclosing;
    if (enclosing !== undefined && !nested) {
      const a = enclosing;
      return refuse(
        `attribution spoof attempted: pid ${group.pid} claimed ${claim} inside ` +
          `${a.package.name}@${a.package.version} (${a.lifecycle}), script pid ${a.scriptPid}` +
          (group.scriptShell ? ', not started by the package manager' : ''),
      );
    }
    if (parent === null || group.orphan) return refuse(`pid ${group.pid} claimed ${claim} but its parent is unknown`);
    if (!nested && parent.attribution !== undefined) {
      return refuse(`attribution spoof attempted: pid ${group.pid} claimed ${claim} under an attributed parent`);
    }
    if (name === undefined || version === undefined || lifecycle === undefined || command === undefined) {
      return refuse(`pid ${group.pid} exec'd the marker with too few arguments`);
    }
    const attribution: Attribution = {
      package: { name: name.value, version: version.value },
      lifecycle: lifecycle.value,
      scriptPid: group.pid,
      run: ++this.#runs,
    };
    if (enclosing !== undefined) attribution.parent = enclosing;
    group.attribution = attribution;
    for (const thread of group.threads) thread.attribution = attribution;
    group.script = { command: command.value };
    this.#scripts.set(group.pid, group);
    const start: Raw<ScriptEvent> = {
      ...this.#base(group, rec.ts),
      type: 'script',
      action: 'start',
      command: command.value,
      // Hash the exact bytes: a command that is not valid UTF-8 must not collide with its repair.
      commandHash: createHash('sha256').update(command.bytes).digest('hex'),
      cwd: group.fs.cwd,
    };
    if (enclosing !== undefined) start.parentRun = enclosing.run;
    return start;
  }

  /**
   * Process-tree capture: a program the traced package manager starts directly (a fork of a
   * manager process that has not been given a run of its own) is a nested script run, its
   * folder that of the package whose script it is. Null for anything else.
   */
  #treeScript(group: Proc, rec: StraceRecord, path: string, argv: readonly DecodedString[]): Raw<ScriptEvent> | null {
    const parent = group.parent;
    const enclosing = group.attribution;
    if (parent === null || group.orphan || parent.manager === null || enclosing === undefined || parent.attribution !== enclosing || group.script !== undefined) return null;
    const command = argv.map((arg) => arg.value).join(' ') || path;
    const attribution: Attribution = { package: { name: '', version: '' }, lifecycle: this.#processTreeLifecycle, scriptPid: group.pid, run: ++this.#runs, parent: enclosing };
    group.attribution = attribution;
    for (const thread of group.threads) thread.attribution = attribution;
    group.script = { command };
    this.#scripts.set(group.pid, group);
    return {
      ...this.#base(group, rec.ts),
      type: 'script',
      action: 'start',
      command,
      commandHash: createHash('sha256').update(Buffer.concat(argv.map((arg) => arg.bytes))).digest('hex'),
      cwd: group.fs.cwd,
      parentRun: enclosing.run,
    };
  }

  /** A package-manager process in a traced tree, not inside a script run of its own. */
  #isTreeManager(proc: Proc): boolean {
    const group = proc.leader;
    return group.manager !== null && group.attribution !== undefined && group.attribution.parent === undefined;
  }

  #chdir(proc: Proc, rec: StraceRecord): void {
    if (rec.ret !== 0) return;
    if (rec.name === 'fchdir') {
      const dir = parseDecorated(rec.args[0] ?? '').decoration;
      if (dir?.startsWith('/') === true) proc.fs.cwd = resolvePath('/', dir);
      return;
    }
    const path = decodeStraceString(rec.args[0] ?? '');
    if (path !== null) proc.fs.cwd = resolvePath(proc.fs.cwd, path.value);
  }

  #open(proc: Proc, rec: StraceRecord, out: RawEvent[]): void {
    let path: string | null;
    let flags: Set<string>;
    switch (rec.name) {
      case 'open':
        path = this.#pathArg(proc, undefined, rec.args[0]);
        flags = parseFlags(rec.args[1] ?? '');
        break;
      case 'creat':
        path = this.#pathArg(proc, undefined, rec.args[0]);
        flags = new Set(['O_WRONLY', 'O_CREAT', 'O_TRUNC']);
        break;
      case 'openat2':
        path = this.#pathArg(proc, rec.args[0], rec.args[1]);
        flags = parseFlags(parseStruct(rec.args[2] ?? '')?.fields.get('flags') ?? '');
        break;
      default:
        path = this.#pathArg(proc, rec.args[0], rec.args[1]);
        flags = parseFlags(rec.args[2] ?? '');
    }
    if (path === null) return;
    // The kernel's own answer beats lexical resolution: it followed symlinks and `..` for real.
    // Not for O_TMPFILE, whose decoration names an unlinked inode, not the directory asked for.
    if (
      typeof rec.ret === 'number' &&
      rec.ret >= 0 &&
      rec.decoration?.startsWith('/') === true &&
      !flags.has('O_TMPFILE')
    ) {
      path = resolvePath('/', rec.decoration);
    }
    if (typeof rec.ret === 'number' && rec.ret >= 0) {
      // The descriptor now holds what was opened; a memfd reopened through /proc stays one.
      if (path.startsWith(MEMFD_PATH_PREFIX)) this.#holdMemfd(proc, rec.ret, path, flags.has('O_CLOEXEC'));
      else proc.files.memfds.delete(rec.ret);
    }
    const write = flags.has('O_WRONLY') || flags.has('O_RDWR');
    const event: Raw<FileEvent> = {
      ...this.#base(proc, rec.ts, callResult(rec)),
      type: 'file',
      action: 'open',
      path,
      intent: {
        read: !flags.has('O_WRONLY') && !flags.has('O_PATH'),
        write,
        create: flags.has('O_CREAT') || flags.has('O_TMPFILE'),
        truncate: flags.has('O_TRUNC'),
      },
    };
    out.push(event);
  }

  /** stat*, unlink*, rmdir, rename*, link*, symlink*, chmod*, mkdir*, utime*. */
  #file(proc: Proc, rec: StraceRecord, out: RawEvent[]): void {
    const a = rec.args;
    const push = (action: FileEvent['action'], path: string | null, extra: Partial<Raw<FileEvent>> = {}): void => {
      if (path === null) return;
      out.push({ ...this.#base(proc, rec.ts, callResult(rec)), type: 'file', action, path, ...extra });
    };
    const withTarget = (target: string | null): Partial<Raw<FileEvent>> => (target === null ? {} : { target });
    const withMode = (arg: string | undefined): Partial<Raw<FileEvent>> => {
      const mode = parseMode(arg ?? '');
      return mode === undefined ? {} : { mode };
    };
    switch (rec.name) {
      case 'stat':
      case 'lstat':
        return push('stat', this.#pathArg(proc, undefined, a[0]));
      case 'newfstatat':
        // glibc's fstat() is newfstatat(fd, "", buf, AT_EMPTY_PATH): a look at an open file, not a path.
        if (parseFlags(a[3] ?? '').has('AT_EMPTY_PATH') && decodeStraceString(a[1] ?? '')?.value === '') return;
        return push('stat', this.#pathArg(proc, a[0], a[1]));
      case 'unlink':
        return push('unlink', this.#pathArg(proc, undefined, a[0]));
      case 'unlinkat':
        return push(parseFlags(a[2] ?? '').has('AT_REMOVEDIR') ? 'rmdir' : 'unlink', this.#pathArg(proc, a[0], a[1]));
      case 'rmdir':
        return push('rmdir', this.#pathArg(proc, undefined, a[0]));
      case 'rename':
      case 'link':
        return push(rec.name, this.#pathArg(proc, undefined, a[0]), withTarget(this.#pathArg(proc, undefined, a[1])));
      case 'renameat':
      case 'renameat2':
      case 'linkat':
        return push(
          rec.name === 'linkat' ? 'link' : 'rename',
          this.#pathArg(proc, a[0], a[1]),
          withTarget(this.#pathArg(proc, a[2], a[3])),
        );
      case 'symlink':
      case 'symlinkat': {
        // path: what the link points to, resolved as the kernel will — from the link's directory.
        const link = rec.name === 'symlink' ? this.#pathArg(proc, undefined, a[1]) : this.#pathArg(proc, a[1], a[2]);
        const content = decodeStraceString(a[0] ?? '');
        if (link === null || content === null) return;
        return push('symlink', resolvePath(dirname(link), content.value), { target: link });
      }
      case 'chmod':
        return push('chmod', this.#pathArg(proc, undefined, a[0]), withMode(a[1]));
      case 'fchmod':
        return push('chmod', this.#fdPath(proc, a[0]), withMode(a[1]));
      case 'fchmodat':
        return push('chmod', this.#pathArg(proc, a[0], a[1]), withMode(a[2]));
      case 'mkdir':
        return push('mkdir', this.#pathArg(proc, undefined, a[0]), withMode(a[1]));
      case 'mkdirat':
        return push('mkdir', this.#pathArg(proc, a[0], a[1]), withMode(a[2]));
      case 'utime':
      case 'utimes':
      case 'utimensat':
      case 'futimesat': {
        const at = rec.name === 'utimensat' || rec.name === 'futimesat';
        const times = at ? a[2] : a[1];
        const mtime = mtimeSet(rec.name, times ?? '', rec.ts);
        if (mtime === 'omit') return;
        // utimensat(fd, NULL, …) is futimens: the descriptor's own file.
        const path = at ? ((a[1] ?? '').trim() === 'NULL' ? this.#fdPath(proc, a[0]) : this.#pathArg(proc, a[0], a[1])) : this.#pathArg(proc, undefined, a[0]);
        return push('utime', path, mtime === undefined ? {} : { mtime });
      }
      default:
        return;
    }
  }

  #network(proc: Proc, rec: StraceRecord, out: RawEvent[]): void {
    const a = rec.args;
    const inode = socketInode(parseDecorated(a[0] ?? '').decoration);
    const emit = (
      action: NetworkEvent['action'],
      addr: SocketAddress | null,
      data?: string,
      result = callResult(rec),
    ): void => {
      const event: Raw<NetworkEvent> = {
        ...this.#base(proc, rec.ts, result),
        type: 'network',
        action,
        family: addr?.family ?? 'unknown',
      };
      if (addr?.address !== undefined) event.address = addr.address;
      if (addr?.port !== undefined) event.port = addr.port;
      if (data !== undefined) event.data = data;
      // The gateway names connections by socket inode; this links its events to this process.
      if (inode !== undefined) event.socket = inode;
      out.push(event);
    };
    switch (rec.name) {
      case 'connect':
      case 'bind': {
        const addr = this.#sockaddr(proc, a[1]);
        if (rec.name === 'connect' && inode !== undefined && addr !== null) {
          // EINPROGRESS is a non-blocking connect under way: the socket is headed there.
          if (addr.family === 'AF_UNSPEC') this.#sockets.delete(inode);
          else if (rec.ret === 0 || rec.errno === 'EINPROGRESS') this.#remember(inode, addr);
        }
        return emit(rec.name, addr);
      }
      case 'sendto': {
        const named = a[4] === undefined || a[4] === 'NULL' ? null : this.#sockaddr(proc, a[4]);
        return emit('sendto', named ?? this.#peer(a[0], inode), payload([a[1]]));
      }
      case 'sendmsg': {
        const msg = parseStruct(a[1] ?? '');
        return emit('sendmsg', this.#msgName(proc, msg, a[0], inode), payload(iovBases(msg)));
      }
      case 'sendmmsg': {
        // One event per message; the return value says how many were actually sent.
        const sent = typeof rec.ret === 'number' ? rec.ret : -1;
        const messages = parseArray(a[1] ?? '', rec.truncated === true)?.items ?? [];
        messages.forEach((item, index) => {
          const msg = parseStruct(parseStruct(item)?.fields.get('msg_hdr') ?? '');
          // Messages past the count were not sent; a failed call's errno belongs to the first.
          const result = index < sent ? { ok: true } : sent < 0 && index === 0 ? callResult(rec) : { ok: false };
          emit('sendmsg', this.#msgName(proc, msg, a[0], inode), payload(iovBases(msg)), rec.complete ? result : {});
        });
        return;
      }
    }
  }

  #msgName(
    proc: Proc,
    msg: ReturnType<typeof parseStruct>,
    fdArg: string | undefined,
    inode: string | undefined,
  ): SocketAddress | null {
    const name = msg?.fields.get('msg_name');
    const named = name === undefined || name === 'NULL' ? null : this.#sockaddr(proc, name);
    return named ?? this.#peer(fdArg, inode);
  }

  /** The peer of a connected socket: remembered from its connect, or from a `-yy` decoration. */
  #peer(fdArg: string | undefined, inode: string | undefined): SocketAddress | null {
    const remembered = inode === undefined ? undefined : this.#sockets.get(inode);
    if (remembered !== undefined) return remembered;
    const decoration = parseDecorated(fdArg ?? '').decoration;
    return decoration === undefined ? null : parseSocketDecoration(decoration);
  }

  #remember(inode: string, addr: SocketAddress): void {
    this.#sockets.delete(inode);
    this.#sockets.set(inode, addr);
    if (this.#sockets.size > MAX_SOCKETS) {
      const oldest = this.#sockets.keys().next();
      if (oldest.done !== true) this.#sockets.delete(oldest.value);
    }
  }

  #sockaddr(proc: Proc, arg: string | undefined): SocketAddress | null {
    const addr = parseSockaddr(arg ?? '');
    if (
      addr?.family === 'AF_UNIX' &&
      addr.address !== undefined &&
      addr.address !== '' &&
      !addr.address.startsWith('@')
    ) {
      // A relative socket path is resolved like any path, against the cwd.
      addr.address = resolvePath(proc.fs.cwd, addr.address);
    }
    return addr;
  }

  #signal(proc: Proc, rec: StraceRecord, out: RawEvent[]): void {
    // kill(pid, sig), tkill(tid, sig), tgkill(tgid, tid, sig): the target is the process (tgid).
    // Named inside the script's PID namespace, the target is translated to strace's pid.
    const target = pidArgument(rec.args[0]);
    const signal = rec.args[rec.name === 'tgkill' ? 2 : 1];
    if (!Number.isInteger(target) || signal === undefined) return;
    const event: Raw<ProcessSignalEvent> = {
      ...this.#base(proc, rec.ts, callResult(rec)),
      type: 'process',
      action: 'signal',
      target,
      signal,
    };
    out.push(event);
  }

  // ---------------------------------------------------------------------------------------------
  // Exits

  #exitLine(proc: Proc, line: ExitedLine | KilledLine, out: RawEvent[]): void {
    this.#exit(proc, line.ts, line.kind === 'exited' ? { code: line.code } : { signal: line.signal }, out);
  }

  #exit(proc: Proc, ts: number, status: { code?: number; signal?: string }, out: RawEvent[]): void {
    proc.alive = false;
    this.#spawning.delete(proc);
    if (proc.thread) {
      // Threads end silently: the process's exit is reported once, by its leader.
      proc.leader.threads.delete(proc);
      return;
    }
    if (proc.exitReported) return;
    proc.exitReported = true;
    if (status.code !== undefined) proc.exitCode = status.code;
    if (status.signal !== undefined) proc.exitSignal = status.signal;
    const base = this.#base(proc, ts);
    const exit: Raw<ProcessExitEvent> = { ...base, type: 'process', action: 'exit', ...status };
    out.push(exit);
    if (proc.script !== undefined) {
      const end: Raw<ScriptEvent> = { ...base, type: 'script', action: 'end', ...status };
      out.push(end);
    }
  }

  /** `+++ superseded by execve in pid T +++` under the leader: thread T now is the leader. */
  #superseded(leader: Proc, line: SupersededLine): void {
    const former = this.#procs.get(line.formerPid);
    if (former !== undefined && former !== leader && former.leader === leader) {
      former.alive = false;
      leader.threads.delete(former);
    }
  }

  // ---------------------------------------------------------------------------------------------
  // Helpers

  /** The fields every event of `proc` carries; `result` is the call's `ok`/`errno`, if a call. */
  #base(proc: Proc, ts: number, result: CallResult = {}): Raw<EventBaseFields> {
    const base: Raw<EventBaseFields> = { ts, source: 'tracer', pid: proc.pid, ppid: proc.ppid };
    const a = proc.attribution;
    if (a !== undefined) {
      base.package = { name: a.package.name, version: a.package.version };
      base.lifecycle = a.lifecycle;
      base.run = a.run;
    }
    return { ...base, ...result };
  }

  #notice(ts: number, pid: number, message: string, proc?: Proc, count?: number): Raw<TracerNoticeEvent> {
    const base: Raw<EventBaseFields> =
      proc === undefined ? { ts, source: 'tracer', pid, ppid: this.#procs.get(pid)?.ppid ?? 0 } : this.#base(proc, ts);
    const notice: Raw<TracerNoticeEvent> = { ...base, type: 'notice', message };
    if (count !== undefined) notice.count = count;
    return notice;
  }

  /** A path argument resolved against a dirfd argument (or the cwd when there is none). */
  #pathArg(proc: Proc, dirfdArg: string | undefined, pathArg: string | undefined): string | null {
    const decoded = decodeStraceString(pathArg ?? '');
    if (decoded === null) return null;
    if (dirfdArg === undefined) return resolvePath(proc.fs.cwd, decoded.value);
    return this.#resolveAt(proc, dirfdArg, decoded.value);
  }

  #resolveAt(proc: Proc, dirfdArg: string | undefined, path: string): string {
    if (path.startsWith('/')) return resolvePath('/', path);
    const { head, decoration } = parseDecorated(dirfdArg ?? 'AT_FDCWD');
    let base: string;
    if (head === 'AT_FDCWD') {
      // The decoration is the kernel's view of the cwd; it corrects any drift in our tracking.
      if (decoration?.startsWith('/') === true) proc.fs.cwd = resolvePath('/', decoration);
      base = proc.fs.cwd;
    } else if (decoration?.startsWith('/') === true) {
      base = decoration;
    } else {
      // An fd whose path strace did not show: name it the way /proc does, honestly.
      base = `/proc/${proc.leader.pid}/fd/${head}`;
    }
    // An empty path with AT_EMPTY_PATH means the dirfd itself.
    return path === '' ? resolvePath('/', base) : resolvePath(base, path);
  }

  /** The path an fd argument refers to, from its decoration. */
  #fdPath(proc: Proc, fdArg: string | undefined): string | null {
    const { head, decoration } = parseDecorated(fdArg ?? '');
    if (decoration?.startsWith('/') === true) return resolvePath('/', decoration);
    return /^\d+$/.test(head) ? `/proc/${proc.leader.pid}/fd/${head}` : null;
  }
}

/** The fields every event shares, before its type-specific ones. */
interface EventBaseFields {
  id: string;
  ts: number;
  source: 'tracer';
  pid: number;
  ppid: number;
  package?: PackageRef;
  lifecycle?: string;
  run?: number;
  ok?: boolean;
  errno?: string;
}

/** What a process's descriptors hold, as far as the trace needs: which are memfds. */
interface FdTable {
  memfds: Map<number, { path: string; cloexec: boolean }>;
}

/** A fork's copy of a table; an exec's (`dropCloexec`) leaves the close-on-exec ones behind. */
function copyFdTable(table: FdTable, dropCloexec = false): FdTable {
  const memfds = new Map<number, { path: string; cloexec: boolean }>();
  for (const [fd, held] of table.memfds) if (!(dropCloexec && held.cloexec)) memfds.set(fd, held);
  return { memfds };
}

function newProc(pid: number, ppid: number, parent: Proc | null, fs: { cwd: string }, files: FdTable = { memfds: new Map() }): Proc {
  const proc = {
    pid,
    ppid,
    parent,
    thread: false,
    fs,
    files,
    alive: true,
    orphan: false,
    threads: new Set<Proc>(),
    exitReported: false,
    manager: null,
    scriptShell: false,
  } as Omit<Proc, 'leader'> as Proc;
  proc.leader = proc;
  return proc;
}

/** A call's outcome as events carry it. */
interface CallResult {
  ok?: boolean;
  errno?: string;
}

/** `ok`/`errno` of a call; none for an incomplete call, whose result is unknown. */
function callResult(rec: StraceRecord): CallResult {
  if (!rec.complete) return {};
  if (rec.ret === '?' && rec.errno === undefined) return {};
  const ok = typeof rec.ret === 'number' && rec.ret >= 0;
  return ok ? { ok } : rec.errno === undefined ? { ok } : { ok, errno: rec.errno };
}

/** A pid argument as the trace writes it: strace's pid when translated, else as written. */
function pidText(arg: string | undefined): string {
  const pid = pidArgument(arg);
  return Number.isNaN(pid) ? (arg ?? '') : String(pid);
}

/** Flags of a fork-family call: vfork implies CLONE_VM|CLONE_VFORK; clone3 has them in its struct. */
function cloneFlags(rec: StraceRecord): Set<string> {
  if (rec.name === 'vfork') return new Set(['CLONE_VM', 'CLONE_VFORK']);
  if (rec.name === 'fork') return new Set();
  if (rec.name === 'clone3') return parseFlags(parseStruct(rec.args[0] ?? '')?.fields.get('flags') ?? '');
  const flags = rec.args.find((arg) => arg.startsWith('flags='));
  return parseFlags(flags?.slice('flags='.length) ?? '');
}

/** The cwd a record's `AT_FDCWD<...>` decoration shows, if any. */
function fdcwdOf(entry: StraceEntry): string | undefined {
  if (entry.kind !== 'syscall') return undefined;
  for (const arg of entry.args) {
    const { head, decoration } = parseDecorated(arg);
    if (head === 'AT_FDCWD' && decoration?.startsWith('/') === true) return resolvePath('/', decoration);
  }
  return undefined;
}

/** The `iov_base` strings of a msghdr's `msg_iov`. */
function iovBases(msg: ReturnType<typeof parseStruct>): string[] {
  const iov = parseArray(msg?.fields.get('msg_iov') ?? '', true);
  return (iov?.items ?? []).map((item) => parseStruct(item)?.fields.get('iov_base') ?? '');
}

/** The payload of a send as text: the strings concatenated, capped, decoded as UTF-8. */
function payload(args: (string | undefined)[]): string | undefined {
  const parts: Uint8Array[] = [];
  let size = 0;
  for (const arg of args) {
    const decoded = decodeStraceString(arg ?? '');
    if (decoded === null) continue;
    parts.push(decoded.bytes);
    size += decoded.bytes.length;
    if (size >= MAX_DATA_BYTES) break;
  }
  if (parts.length === 0) return undefined;
  const bytes = Buffer.concat(parts).subarray(0, MAX_DATA_BYTES);
  return new TextDecoder('utf-8', { fatal: false }).decode(bytes);
}

function isDescendant(proc: Proc, ancestor: Proc): boolean {
  const seen = new Set<Proc>();
  for (let p = proc.parent; p !== null && !seen.has(p); p = p.parent) {
    if (p === ancestor) return true;
    seen.add(p);
  }
  return false;
}

/**
 * The modification time a time-setting call sets, in epoch ms: `NULL` or `UTIME_NOW` is the call's
 * own time `now`; `'omit'` when it leaves it as it is (`UTIME_OMIT`); undefined when strace did not
 * show it (an unreadable pointer). `utime` takes `{actime=A, modtime=M}`, the others an array of
 * two times, the second the modification time (`{tv_sec=S, tv_nsec=N}` or `{tv_sec=S, tv_usec=U}`).
 */
export function mtimeSet(call: string, arg: string, now: number): number | 'omit' | undefined {
  const text = arg.trim();
  if (text === 'NULL') return now;
  if (call === 'utime') return integerOf(parseStruct(text)?.fields.get('modtime'), 1000);
  const second = parseArray(text)?.items[1]?.trim();
  if (second === undefined) return undefined;
  if (second.startsWith('UTIME_NOW')) return now;
  if (second.startsWith('UTIME_OMIT')) return 'omit';
  const fields = parseStruct(second)?.fields;
  if (fields === undefined) return undefined;
  const fraction = fields.get('tv_nsec') ?? fields.get('tv_usec');
  if (fraction?.startsWith('UTIME_NOW') === true) return now;
  if (fraction?.startsWith('UTIME_OMIT') === true) return 'omit';
  const sec = integerOf(fields.get('tv_sec'), 1000);
  if (sec === undefined) return undefined;
  const sub = integerOf(fraction, fields.has('tv_nsec') ? 1e-6 : 1e-3) ?? 0;
  return sec + sub;
}

/** A leading integer of a printed value (`20 /* 1970-… *\/`) times `scale`, or undefined. */
function integerOf(value: string | undefined, scale: number): number | undefined {
  const m = /^-?\d+/.exec(value?.trim() ?? '');
  if (m === null || !Number.isSafeInteger(Number(m[0]))) return undefined;
  const n = Number(m[0]) * scale;
  return Number.isFinite(n) ? n : undefined;
}
