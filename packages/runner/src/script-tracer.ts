/**
 * One lifecycle script's tracer: started by root in its script shell's place
 * (`spawn-script-tracer`, see docker/), its strace output followed as it grows and fed to the one
 * event builder, and the script's end told back to the shell as soon as the script itself has
 * ended — processes it left behind are reaped later and do not hold the package manager up.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { SANDBOX_HELPERS, SCRIPT_SHELL_ARGS, TRACE_GAP_NOTICE, gapSample, type RawEvent } from '@safe-install/schema';
import { StraceReader, straceArgs, type EventBuilder, type StraceEntry } from '@safe-install/tracer';
import type { ScriptOutcome, ScriptRequest } from './script-broker.js';
import { lifecycleOf } from './script-broker.js';
import { followFifo, makeFifo } from './follow-fifo.js';

export const STRACE = '/usr/bin/strace';
/** The script shell npm is configured with (docker/npmrc); also the attribution marker. */
export const SCRIPT_SHELL: string = SANDBOX_HELPERS.scriptShell;
/** docker/spawn-script-tracer.c, installed under a name that says nothing to a script that lists the folder. */
const SPAWN_SCRIPT_TRACER = SANDBOX_HELPERS.spawnScriptTracer;

export interface ScriptTracerOptions {
  request: ScriptRequest;
  /** Which script of the install this is (names its log). */
  id: number;
  /** Root-only folder for the log. */
  out: string;
  /** The install user, whom the script runs as. */
  uid: number;
  gid: number;
  /** The package manager's command line: the title of the script's namespace init (its parent). */
  title: string;
  /** Folders the script must not see (the trace folder, the gateway's): unmounted in its namespace. */
  hide: readonly string[];
  /** The CPU the tracer keeps to; -1 for none. The script itself always has every CPU. */
  cpu: number;
  builder: EventBuilder;
  /** Takes the events of each batch of entries (the runner's one handler for all traces). */
  handle(entries: readonly StraceEntry[]): RawEvent[];
  send(events: readonly RawEvent[]): void;
}

export interface ScriptTracer {
  pid: number | undefined;
  /** How the script ended: resolves when its own process has. */
  outcome: Promise<ScriptOutcome>;
  /** Resolves when the tracer has exited and its log is read to the end. */
  done: Promise<void>;
  reader: StraceReader;
  /** The tracer's first process (the script's namespace entry), once its trace has begun. */
  readonly root: number | null;
  /** The script's own process (the marker's, whose end is the script's end), once it started. */
  readonly scriptPid: number | null;
  /**
   * Every process this tracer follows that has not ended, whatever the event builder could
   * attribute: a process whose parent died before its spawn was read is still this script's.
   */
  livePids(): number[];
  /**
   * The init of the script's PID namespace (the entry's first child), once forked. Killing it ends
   * every process in the namespace at once, in the kernel: the one kill a fork bomb cannot outrun,
   * where a list of pids is stale before it is sent.
   */
  readonly namespaceInit: number | null;
}

const FORKS = new Set(['clone', 'clone3', 'fork', 'vfork']);

export async function startScriptTracer(options: ScriptTracerOptions): Promise<ScriptTracer> {
  const { request, builder } = options;
  // A pipe, not a file: the log can never fill up and blind the tracer (see follow-fifo.ts).
  const log = join(options.out, `script-${options.id}.log`);
  await makeFifo(log);
  const { name, version, event } = lifecycleOf(request.environ);
  // The script's namespace entry (docker/npm-lifecycle.c, --enter) starts as root, makes the
  // script's PID and mount namespace, and drops to the install user before the marker exec.
  const enter = [SCRIPT_SHELL, SCRIPT_SHELL_ARGS.enter, String(options.uid), String(options.gid), options.title, options.hide.join(':'), name, version, event, request.command];
  const tracerArgs = straceArgs({ output: log, command: enter });
  const child = spawn(SPAWN_SCRIPT_TRACER, [String(request.shellPid), String(options.cpu), '--', STRACE, ...tracerArgs], { stdio: ['ignore', 'ignore', 2] });

  const reader = new StraceReader();
  let root: number | null = null;
  // The marker's process (in the namespace, under the entry and its init): its end is the script's.
  let scriptPid: number | null = null;
  let ended: (outcome: ScriptOutcome) => void = () => undefined;
  const outcome = new Promise<ScriptOutcome>((resolve) => {
    ended = resolve;
  });
  // A line the reader could not turn into a call is a syscall the policy never sees: say so, as
  // the script's own event, so the run fails closed instead of passing on a partial trace.
  let gapsReported = 0;
  const reportGaps = () => {
    const gaps = reader.stats.dropped - gapsReported;
    if (gaps === 0) return;
    const first = reader.droppedSamples[gapsReported] ?? null;
    gapsReported = reader.stats.dropped;
    const notice = builder.notice(Date.now(), root ?? request.shellPid, `${TRACE_GAP_NOTICE} ${gaps} line(s) of this script's trace could not be read${gapSample(first)}`);
    options.send([{ ...(notice as Extract<RawEvent, { type: 'notice' }>), count: gaps }]);
  };
  const live = new Set<number>();
  let namespaceInit: number | null = null;
  const tail = followFifo(log, (chunk) => {
    const entries = reader.push(chunk);
    if (root === null && entries[0]) {
      root = entries[0].pid;
      options.send(builder.adoptScriptRoot(root, request.shellPid, entries[0].ts, request.cwd));
    }
    for (const entry of entries) {
      if (entry.kind === 'exited' || entry.kind === 'killed') live.delete(entry.pid);
      else live.add(entry.pid);
      // The entry (root) forks exactly once, in the new namespace: that child is its init.
      if (namespaceInit === null && entry.kind === 'syscall' && entry.pid === root && FORKS.has(entry.name) && typeof entry.ret === 'number' && entry.ret > 0) namespaceInit = entry.ret;
    }
    for (const e of options.handle(entries)) {
      if (e.type === 'script' && e.action === 'start' && scriptPid === null) scriptPid = e.pid;
      if (e.type === 'script' && e.action === 'end' && e.pid === scriptPid) ended(e.signal ? { signal: e.signal } : { code: e.code ?? 1 });
    }
    reportGaps();
  });
  const done = new Promise<void>((resolve) => {
    child.on('error', (error) => {
      ended({ error: `cannot start the script's tracer: ${error.message}` });
      tail.finish();
      void tail.done.finally(resolve);
    });
    child.on('exit', (code, signal) => {
      tail.finish();
      void tail.done.catch(() => undefined).then(() => {
        options.handle(reader.end());
        reportGaps();
        // The tracer is gone; its exit status is the script's (or says why it never started).
        ended(signal ? { signal } : code === 127 && root === null ? { error: 'the script tracer could not start' } : { code: code ?? 1 });
        resolve();
      });
    });
  });
  return {
    pid: child.pid,
    outcome,
    done,
    reader,
    get root() {
      return root;
    },
    // The entry and its init are the sandbox's, not the script's: they outlive it only while its processes do.
    livePids: () => [...live].filter((pid) => pid !== root && pid !== namespaceInit),
    get scriptPid() {
      return scriptPid;
    },
    get namespaceInit() {
      return namespaceInit;
    },
  };
}
