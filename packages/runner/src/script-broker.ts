/**
 * The script broker: where the script shell (docker/npm-lifecycle) asks for its lifecycle script to
 * be traced. The package manager itself is traced only for its processes, network and signals; each
 * script gets a tracer of its own, with the full syscall set, started by root in the script
 * shell's place (docker/spawn-script-tracer.c). So npm's thousands of file calls while unpacking
 * cost nothing, and a script's tracer can share the script's CPU.
 *
 * The protocol, over loopback TCP (bash's /dev/tcp; the shell has nothing else): the shell sends
 * its pid and a newline; the broker answers one line and closes:
 * - `exit N` or `signal NAME`: the script ran, traced, and ended so;
 * - `direct`: the asker is already inside a traced script (a script running `npm run x`): its own
 *   tracer follows whatever it starts, so it runs the script itself;
 * - anything else: refused, with the reason; the shell then fails the script rather than run it
 *   untraced.
 *
 * Who asks is checked, never taken on trust: the pid must own the connection's socket, run as the
 * install user, and be traced by the package manager's tracer — a direct part of the package
 * manager's own process tree, which scripts are not (they are traced by their own tracers). A
 * script that connects here leaves the connect in its trace.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { readFile, readdir, readlink } from 'node:fs/promises';
import { socketInodeOf } from '@safe-install/gateway';

/** What the broker learns about an asking process from /proc. */
export interface AskerFacts {
  uid: number | null;
  /** TracerPid from /proc/PID/status; 0 when not traced, null when unreadable. */
  tracerPid: number | null;
  /** The connection's socket is among the process's open files. */
  ownsSocket: boolean;
  /** argv from /proc/PID/cmdline. */
  argv: string[];
}

/** What to do with a request. */
export type Verdict = { kind: 'trace'; command: string } | { kind: 'direct' } | { kind: 'refuse'; reason: string };

export interface JudgeContext {
  installUid: number;
  /** The package manager's tracer. */
  managerTracerPid: number | null;
  /** The scripts' tracers running now. */
  scriptTracerPids: ReadonlySet<number>;
  /** The script shell's path: the asker must be running it with `-c COMMAND`. */
  scriptShell: string;
}

/** The pure decision: trace a new script, let an already-traced one go on, or refuse. */
export function judgeRequest(facts: AskerFacts, context: JudgeContext): Verdict {
  if (!facts.ownsSocket) return { kind: 'refuse', reason: 'the connection is not the asking process’s' };
  if (facts.uid !== context.installUid) return { kind: 'refuse', reason: `the asking process runs as uid ${facts.uid ?? 'unknown'}` };
  if (facts.tracerPid !== null && context.scriptTracerPids.has(facts.tracerPid)) return { kind: 'direct' };
  if (facts.tracerPid === null || facts.tracerPid === 0 || facts.tracerPid !== context.managerTracerPid) {
    return { kind: 'refuse', reason: 'the asking process is not part of the package manager' };
  }
  const command = scriptCommandOf(facts.argv, context.scriptShell);
  if (command === null) return { kind: 'refuse', reason: 'the asking process is not the script shell running a script' };
  return { kind: 'trace', command };
}

/** `COMMAND` from a script shell's argv: `[interpreter,] SHELL -c COMMAND`; null otherwise. */
export function scriptCommandOf(argv: readonly string[], scriptShell: string): string | null {
  const at = argv.indexOf(scriptShell);
  if (at < 0 || at > 1 || argv.length !== at + 3 || argv[at + 1] !== '-c') return null;
  return argv[at + 2] ?? null;
}

/** Fields of /proc/PID/status that matter here. */
export function parseProcStatus(text: string): { uid: number | null; tracerPid: number | null } {
  const field = (name: string): string | undefined => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}:`));
    return line?.slice(name.length + 1).trim();
  };
  const number = (value: string | undefined): number | null => {
    if (value === undefined || !/^\d+$/.test(value)) return null;
    return Number(value);
  };
  // Uid: real, effective, saved, filesystem. All four must agree.
  const uids = (field('Uid') ?? '').split(/\s+/);
  const uid = uids.length === 4 && uids.every((u) => u === uids[0]) ? number(uids[0]) : null;
  return { uid, tracerPid: number(field('TracerPid')) };
}

/** NUL-separated strings (/proc/PID/cmdline, /proc/PID/environ). */
export function splitNul(text: string): string[] {
  const parts = text.split('\0');
  if (parts.at(-1) === '') parts.pop();
  return parts;
}

/** The environment variables a script's attribution comes from. */
export function lifecycleOf(environ: readonly string[]): { name: string; version: string; event: string } {
  const env = new Map<string, string>();
  for (const entry of environ) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return { name: env.get('npm_package_name') ?? '', version: env.get('npm_package_version') ?? '', event: env.get('npm_lifecycle_event') ?? '' };
}

/** CPUs this process may run on, from a `Cpus_allowed_list` such as `0-3,6`; empty if unreadable. */
export function parseCpuList(list: string): number[] {
  const out: number[] = [];
  for (const part of list.trim().split(',')) {
    const match = /^(\d+)(?:-(\d+))?$/.exec(part.trim());
    if (!match) return [];
    const from = Number(match[1]);
    const to = Number(match[2] ?? match[1]);
    if (to < from || to - from > 4096) return [];
    for (let cpu = from; cpu <= to; cpu++) out.push(cpu);
  }
  return out;
}

/** What the runner does with a script the broker accepted. */
export interface ScriptRequest {
  shellPid: number;
  command: string;
  environ: string[];
}

/** How a traced script ended, as told to its script shell. */
export type ScriptOutcome = { code: number } | { signal: string } | { error: string };

export interface ScriptBrokerOptions {
  installUid: number;
  scriptShell: string;
  managerTracerPid(): number | null;
  scriptTracerPids(): ReadonlySet<number>;
  /** Start the script's tracer; resolves when the script has ended. */
  runScript(request: ScriptRequest): Promise<ScriptOutcome>;
  /** A refused request, for the trace. */
  onRefused(pid: number | null, reason: string): void;
}

export interface ScriptBroker {
  port: number;
  close(): Promise<void>;
}

async function factsOf(pid: number, socket: Socket): Promise<AskerFacts & { environ: string[] }> {
  const read = (file: string) => readFile(`/proc/${pid}/${file}`, 'utf8').catch(() => '');
  const [status, cmdline, environ] = await Promise.all([read('status'), read('cmdline'), read('environ')]);
  const inode = socket.remotePort
    ? await socketInodeOf({ protocol: 'tcp', remotePort: socket.remotePort, localPort: socket.localPort ?? 0, remoteAddress: socket.remoteAddress ?? '', localAddress: socket.localAddress ?? '' })
    : null;
  let ownsSocket = false;
  if (inode !== null) {
    const fds = await readdir(`/proc/${pid}/fd`).catch(() => [] as string[]);
    for (const fd of fds) {
      if ((await readlink(`/proc/${pid}/fd/${fd}`).catch(() => '')) === `socket:[${inode}]`) {
        ownsSocket = true;
        break;
      }
    }
  }
  return { ...parseProcStatus(status), ownsSocket, argv: splitNul(cmdline), environ: splitNul(environ) };
}

function reply(socket: Socket, line: string): void {
  socket.end(`${line.replace(/[\r\n]/g, ' ')}\n`);
}

/** Listens on an ephemeral loopback port. */
export async function startScriptBroker(options: ScriptBrokerOptions): Promise<ScriptBroker> {
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    socket.on('error', () => undefined);
    let line = '';
    const onData = (chunk: Buffer) => {
      line += chunk.toString('latin1');
      const end = line.indexOf('\n');
      if (end < 0) {
        if (line.length > 32) {
          socket.off('data', onData);
          reply(socket, 'refused: malformed request');
          options.onRefused(null, 'malformed request');
        }
        return;
      }
      socket.off('data', onData);
      void handle(socket, line.slice(0, end));
    };
    socket.on('data', onData);
  });
  const handle = async (socket: Socket, text: string) => {
    const pid = /^\d{1,10}$/.test(text) ? Number(text) : null;
    if (pid === null) {
      options.onRefused(null, `malformed request ${JSON.stringify(text.slice(0, 32))}`);
      return reply(socket, 'refused: malformed request');
    }
    const facts = await factsOf(pid, socket);
    const verdict = judgeRequest(facts, {
      installUid: options.installUid,
      managerTracerPid: options.managerTracerPid(),
      scriptTracerPids: options.scriptTracerPids(),
      scriptShell: options.scriptShell,
    });
    if (verdict.kind === 'direct') return reply(socket, 'direct');
    if (verdict.kind === 'refuse') {
      options.onRefused(pid, verdict.reason);
      return reply(socket, `refused: ${verdict.reason}`);
    }
    const outcome = await options.runScript({ shellPid: pid, command: verdict.command, environ: facts.environ }).catch((error: unknown) => ({ error: String(error) }));
    if ('code' in outcome) reply(socket, `exit ${outcome.code}`);
    else if ('signal' in outcome) reply(socket, `signal ${outcome.signal.replace(/^SIG/, '')}`);
    else reply(socket, `refused: ${outcome.error}`);
  };
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('script broker: no port');
  return {
    port: address.port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
