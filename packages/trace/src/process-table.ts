/**
 * The process table of a trace and its lifecycle script runs: who spawned whom, what each process
 * runs, and which script run each attributed event belongs to. The policy engine judges with it
 * and the report lists the runs from it, so both read a trace the same way.
 *
 * It is updated as events are fed in order (`observe`), so a chain or an image is the one at the
 * time of the event being looked at.
 */
import type { PackageIdentity, PackageRef, ScriptEvent, TraceEvent } from '@safe-install/schema';
import { basename, isWithin, normalizePath } from '@safe-install/schema';

/** One run of one lifecycle script. */
export interface ScriptRun {
  /** Id of the `script` start event; unique per run. */
  key: string;
  /** The script's root process (the one that exec'd the marker). */
  pid: number;
  package: PackageRef;
  lifecycle: string;
  command: string;
  commandHash?: string;
  /** The package's own folder. */
  dir: string;
  /**
   * The project's own (root or workspace) script, not a dependency's: from the lockfile identity
   * (a `file:` folder dependency is a dependency wherever it sits); for a trace without one, a
   * folder in the project outside node_modules.
   */
  projectOwn: boolean;
  /** Who the package is, from the lockfile (set on the host; absent in traces made without it). */
  identity?: PackageIdentity;
  /** For a script a package manager inside another script started: that enclosing run. */
  parent?: ScriptRun;
  startTs: number;
  /**
   * When the script ended (its `script` end event), pushed later by processes it left running
   * (their `lingering` events); null while it runs, or when no end was seen.
   */
  endTs: number | null;
  /** When its `script` end event came (not moved by lingering processes); null without one. */
  exitTs: number | null;
  /** The script's exit code or the signal that ended it, from its end event. */
  code?: number;
  signal?: string;
  /** Files the script runs as its program (`node install.js` → `<dir>/install.js`). */
  scriptFiles: Set<string>;
  /** False when no start event was seen and the run was inferred from attribution. */
  seen: boolean;
  /**
   * A planted program's run (see {@link ProcessTable.plant}): the planter's code running inside
   * another package's script, through the `.bin` entry `bin`; `ranIn` is that script, kept as context.
   */
  planted?: { bin: string; ranIn: ScriptRun };
}

/** One process on the way from a lifecycle script's root process to the one that acted. */
export interface ProcessStep {
  pid: number;
  /** argv[0] of the program the process was running (its last exec, or its parent's image). */
  argv0: string;
  /** Path of that program, when an exec was seen. */
  exe?: string;
}

/** The program a process runs. */
export interface ProcessImage {
  path: string;
  /** The first few arguments; enough to recognise `node npm-cli.js`. */
  argv: string[];
  /** The tracer saw the image's own package manager exec'd (by path, not by name). */
  manager: boolean;
}

/** Where the project is in the sandbox: a script's folder and whether it is the project's own. */
export interface TraceLayout {
  projectDir: string;
  nodeModules: string;
}

interface Proc {
  pid: number;
  parent: number | null;
  leader: number;
  image?: ProcessImage;
}

export function packageKey(pkg: PackageRef): string {
  return `${pkg.name}@${pkg.version}`;
}

const MAX_CHAIN = 32;

export class ProcessTable {
  readonly #procs = new Map<number, Proc>();
  readonly #runsByPid = new Map<number, ScriptRun>();
  /** Processes running a planted `.bin` program: they and what they start are the planter's. */
  readonly #plantedByPid = new Map<number, ScriptRun>();
  readonly #runs: ScriptRun[] = [];
  /** Runs by the tracer's run number. */
  readonly #runsByNumber = new Map<number, ScriptRun>();
  readonly #inferred = new Map<string, ScriptRun>();

  constructor(readonly layout: TraceLayout) {}

  #proc(pid: number, ppid = 0): Proc {
    let p = this.#procs.get(pid);
    if (p === undefined) {
      p = { pid, parent: ppid > 0 ? ppid : null, leader: pid };
      this.#procs.set(pid, p);
    }
    return p;
  }

  #leaderOf(pid: number): Proc {
    const p = this.#proc(pid);
    return p.leader === pid ? p : this.#proc(p.leader);
  }

  /** Feed every event, in trace order, before looking at it. */
  observe(e: TraceEvent): void {
    const p = this.#proc(e.pid, e.ppid);
    if (e.type === 'process' && e.action === 'spawn' && e.ok !== false && e.child > 0) {
      const parent = this.#leaderOf(e.pid);
      const child = this.#proc(e.child);
      child.parent = e.thread ? p.pid : parent.pid;
      child.leader = e.thread ? parent.pid : e.child;
      const image = this.imageOf(parent.pid);
      if (image !== undefined && !e.thread) child.image = image;
    } else if (e.type === 'process' && e.action === 'exec' && e.ok !== false) {
      // After exec the caller is a single-threaded process running the new program.
      const image = { path: normalizePath(e.path), argv: e.argv.slice(0, 4), manager: e.packageManager === true };
      const leader = this.#leaderOf(e.pid);
      p.leader = p.pid;
      p.image = image;
      if (leader !== p) leader.image = image;
    } else if (e.type === 'script' && e.action === 'start' && e.package !== undefined) {
      this.#startRun(e);
    } else if (e.type === 'script' && e.action === 'end') {
      const run = this.#runsByPid.get(e.pid) ?? (e.package === undefined ? undefined : this.runOf(e));
      if (run !== undefined && run.endTs === null) {
        run.endTs = e.ts;
        run.exitTs = e.ts;
        if (e.code !== undefined) run.code = e.code;
        if (e.signal !== undefined) run.signal = e.signal;
      }
    } else if (e.type === 'process' && e.action === 'lingering' && e.package !== undefined) {
      const run = this.runOf(e);
      if (run !== undefined && run.endTs !== null && e.ts > run.endTs) run.endTs = e.ts;
    }
  }

  #startRun(e: ScriptEvent): void {
    const pkg = e.package as PackageRef;
    const dir = normalizePath(e.cwd ?? `${this.layout.nodeModules}/${pkg.name}`);
    const command = e.command ?? '';
    const run: ScriptRun = {
      key: e.id,
      pid: e.pid,
      package: pkg,
      lifecycle: e.lifecycle ?? '?',
      command,
      dir,
      projectOwn:
        e.identity !== undefined
          ? e.identity.source === 'project' || e.identity.source === 'workspace'
          : isWithin(dir, this.layout.projectDir) && !dir.split('/').includes('node_modules'),
      startTs: e.ts,
      endTs: null,
      exitTs: null,
      scriptFiles: scriptFilesOf(command, dir),
      seen: true,
    };
    if (e.commandHash !== undefined) run.commandHash = e.commandHash;
    if (e.identity !== undefined) run.identity = e.identity;
    const parent = e.parentRun === undefined ? undefined : this.#runsByNumber.get(e.parentRun);
    if (parent !== undefined) run.parent = parent;
    if (e.run !== undefined && !this.#runsByNumber.has(e.run)) this.#runsByNumber.set(e.run, run);
    this.#runsByPid.set(e.pid, run);
    this.#runs.push(run);
  }

  /** The script runs seen starting, in the order they started. */
  runs(): readonly ScriptRun[] {
    return this.#runs;
  }

  /** The script run an attributed event belongs to. */
  runOf(e: { pid: number; package?: PackageRef; lifecycle?: string }): ScriptRun | undefined {
    const pkg = e.package;
    if (pkg === undefined) return undefined;
    const key = packageKey(pkg);
    let pid: number | null = e.pid;
    for (let i = 0; pid !== null && i < 256; i++) {
      const run = this.#runsByPid.get(pid);
      if (run !== undefined && packageKey(run.package) === key) return run;
      // Below a planted program's exec the tracer still says "the script that ran it"; the code is the planter's.
      const planted = this.#plantedByPid.get(pid);
      if (planted !== undefined) return planted;
      const proc: Proc | undefined = this.#procs.get(pid);
      if (proc === undefined) break;
      pid = proc.leader !== pid ? proc.leader : proc.parent;
    }
    for (let i = this.#runs.length - 1; i >= 0; i--) {
      const run = this.#runs[i] as ScriptRun;
      if (packageKey(run.package) === key && (e.lifecycle === undefined || run.lifecycle === e.lifecycle)) return run;
    }
    // No start event (a partial trace): infer one per package and lifecycle.
    const lifecycle = e.lifecycle ?? '?';
    const inferredKey = `${key}:${lifecycle}`;
    let run = this.#inferred.get(inferredKey);
    if (run === undefined) {
      const dir = `${this.layout.nodeModules}/${pkg.name}`;
      run = { key: inferredKey, pid: e.pid, package: pkg, lifecycle, command: '', dir, projectOwn: false, startTs: 0, endTs: null, exitTs: null, scriptFiles: new Set(), seen: false };
      this.#inferred.set(inferredKey, run);
    }
    return run;
  }

  /**
   * From now on, `pid` (which just exec'd the planted `.bin` entry `bin` inside `ranIn`) and every
   * process it starts are `planter`'s: the run returned stands for the planter's code in that
   * subtree, with `ranIn` as context. `planter` is the run that wrote the entry, or for a `bin` a
   * package declares (no run of its own) the lockfile identity of the declaring package. A nested
   * script started below keeps its own run (its start event says who it is).
   */
  plant(pid: number, bin: string, ranIn: ScriptRun, planter: ScriptRun | { identity: PackageIdentity }, ts: number): ScriptRun {
    const base: ScriptRun =
      'key' in planter
        ? { ...planter, scriptFiles: new Set() }
        : {
            key: '',
            pid,
            package: { name: planter.identity.name, version: planter.identity.version },
            // No script of its own: its code runs in this lifecycle, of the script that ran it.
            lifecycle: ranIn.lifecycle,
            command: '',
            dir: normalizePath(`${this.layout.projectDir}/${planter.identity.path}`),
            projectOwn: planter.identity.source === 'project' || planter.identity.source === 'workspace',
            identity: planter.identity,
            startTs: ts,
            endTs: null,
            exitTs: null,
            scriptFiles: new Set(),
            seen: true,
          };
    const run: ScriptRun = { ...base, key: `${base.key || packageKey(base.package)}\0planted:${pid}@${ts}`, pid, startTs: ts, endTs: null, planted: { bin, ranIn } };
    delete run.parent;
    this.#plantedByPid.set(pid, run);
    return run;
  }

  /**
   * The script runs (seen starting) that were running at `ts`: started at or before it, and not
   * ended before it. A run whose end was never seen counts as running to the end of the trace.
   */
  runsAt(ts: number): ScriptRun[] {
    return this.#runs.filter((r) => r.startTs <= ts && (r.endTs === null || ts <= r.endTs));
  }

  /** The program `pid` runs: its last exec, or what it inherited. */
  imageOf(pid: number): ProcessImage | undefined {
    let p: Proc | undefined = this.#procs.get(pid);
    for (let i = 0; p !== undefined && i < 256; i++) {
      const leader = this.#procs.get(p.leader);
      if (leader?.image !== undefined) return leader.image;
      if (p.image !== undefined) return p.image;
      p = p.parent === null ? undefined : this.#procs.get(p.parent);
    }
    return undefined;
  }

  /**
   * Is `pid` running the sandbox image's own package manager? Only the tracer's word counts (it
   * saw the image's npm exec'd by path): a script named `npm-cli.js`, a `node_modules/.bin/npm` or
   * a process calling itself npm is not one, and gets none of its exemptions.
   */
  isPackageManager(pid: number): boolean {
    return this.imageOf(pid)?.manager === true;
  }

  /** Is `pid` the process `root` or one of its descendants? */
  inSubtree(pid: number, root: number): boolean {
    let cur: number | null = pid;
    for (let i = 0; cur !== null && i < 256; i++) {
      if (cur === root) return true;
      const p: Proc | undefined = this.#procs.get(cur);
      if (p === undefined) return false;
      cur = p.leader !== cur ? p.leader : p.parent;
    }
    return false;
  }

  /** Has `pid` ever been seen in the trace? */
  known(pid: number): boolean {
    return this.#procs.has(pid);
  }

  /** The processes from the script's root to `pid` (threads folded into their process). */
  chain(pid: number, run: ScriptRun | undefined): ProcessStep[] {
    const steps: ProcessStep[] = [];
    let cur: Proc | undefined = this.#leaderOf(pid);
    for (let i = 0; cur !== undefined && i < MAX_CHAIN; i++) {
      const image = this.imageOf(cur.pid);
      const step: ProcessStep = { pid: cur.pid, argv0: image?.argv[0] ?? (image !== undefined ? basename(image.path) : '?') };
      if (image !== undefined) step.exe = image.path;
      steps.push(step);
      if (run !== undefined && cur.pid === run.pid) break;
      if (cur.parent === null) break;
      cur = this.#leaderOf(cur.parent);
      if (run === undefined && steps.length >= 8) break;
    }
    return steps.reverse();
  }
}

/** The script runs of a whole trace, in the order they started. */
export function scriptRunsOf(events: readonly TraceEvent[], layout: TraceLayout): readonly ScriptRun[] {
  const table = new ProcessTable(layout);
  for (const event of events) table.observe(event);
  return table.runs();
}

/** Files a script command runs as its program: `node install.js`, `sh ./scripts/setup.sh`. */
function scriptFilesOf(command: string, dir: string): Set<string> {
  const out = new Set<string>();
  for (const token of command.split(/[\s;&|()'"]+/)) {
    if (/^(?:\.{0,2}\/)?[\w@./-]+\.(?:c?js|mjs|ts|sh|py|pl|rb)$/.test(token) && !token.startsWith('/')) {
      out.add(normalizePath(`${dir}/${token}`));
    }
  }
  return out;
}
