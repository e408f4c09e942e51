/**
 * The script broker: where the script shell (docker/npm-lifecycle) asks for its lifecycle script to
 * be traced. The package manager itself is traced only for its processes, network and signals; each
 * script gets a tracer of its own, with the full syscall set, started by root in the script
 * shell's place (docker/spawn-script-tracer.c). So npm's thousands of file calls while unpacking
 * cost nothing, and a script's tracer can share the script's CPU.
 *
 * The protocol, over loopback TCP (the script shell is docker/npm-lifecycle.c): the shell sends
 * its pid and a newline; the broker answers one line and closes:
 * - `exit N` or `signal NAME`: the script ran, traced, and ended so;
 * - `direct`: the asker is already inside a traced script (a script running `npm run x`): its own
 *   tracer follows whatever it starts, so it runs the script itself;
 * - anything else: refused, with the reason; the shell then fails the script rather than run it
 *   untraced.
 *
 * Who asks is checked, never taken on trust: the pid must own the connection's socket, run as the
 * install user, be untraced and be the package manager or descend from it. Every process a script starts is
 * traced by that script's tracer (and stays so when it daemonises), so only the package manager's
 * own processes pass. A script that connects here leaves the connect in its trace.
 */
import { createServer, type Server, type Socket } from 'node:net';
import { socketInodeOf } from '@safe-install/gateway';
import { ancestorsOf, argvOf, cwdOf, environOf, holdsSocket, statusOf } from './proc.js';

/** What the broker learns about an asking process from /proc. */
export interface AskerFacts {
  uid: number | null;
  /** TracerPid from /proc/PID/status; 0 when not traced, null when unreadable. */
  tracerPid: number | null;
  /** The process itself, then its ancestors, nearest first. */
  lineage: number[];
  /** The connection's socket is among the process's open files. */
  ownsSocket: boolean;
  /** argv from /proc/PID/cmdline. */
  argv: string[];
}

/** What to do with a request. */
export type Verdict = { kind: 'trace'; command: string } | { kind: 'direct' } | { kind: 'refuse'; reason: string };

export interface JudgeContext {
  installUid: number;
  /** The package manager, as the runner started it. */
  managerPid: number | null;
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
  if (facts.tracerPid !== 0 || context.managerPid === null || !facts.lineage.includes(context.managerPid)) {
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

/** The environment variables a script's attribution comes from. */
export function lifecycleOf(environ: readonly string[]): { name: string; version: string; event: string } {
  const env = new Map<string, string>();
  for (const entry of environ) {
    const eq = entry.indexOf('=');
    if (eq > 0) env.set(entry.slice(0, eq), entry.slice(eq + 1));
  }
  return { name: env.get('npm_package_name') ?? '', version: env.get('npm_package_version') ?? '', event: env.get('npm_lifecycle_event') ?? '' };
}

/** What the runner does with a script the broker accepted. */
export interface ScriptRequest {
  shellPid: number;
  command: string;
  environ: string[];
  /** The shell's working directory (the package's folder), when readable. */
  cwd?: string;
}

/** How a traced script ended, as told to its script shell. */
export type ScriptOutcome = { code: number } | { signal: string } | { error: string };

export interface ScriptBrokerOptions {
  installUid: number;
  scriptShell: string;
  managerPid(): number | null;
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

async function factsOf(pid: number, socket: Socket): Promise<AskerFacts> {
  const [status, argv, ancestors] = await Promise.all([statusOf(pid), argvOf(pid), ancestorsOf(pid)]);
  const inode = socket.remotePort
    ? await socketInodeOf({ protocol: 'tcp', remotePort: socket.remotePort, localPort: socket.localPort ?? 0, remoteAddress: socket.remoteAddress ?? '', localAddress: socket.localAddress ?? '' })
    : null;
  return { uid: status.uid, tracerPid: status.tracerPid, lineage: [pid, ...ancestors], ownsSocket: inode !== null && (await holdsSocket(pid, inode)), argv };
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
      managerPid: options.managerPid(),
      scriptTracerPids: options.scriptTracerPids(),
      scriptShell: options.scriptShell,
    });
    if (verdict.kind === 'direct') return reply(socket, 'direct');
    if (verdict.kind === 'refuse') {
      options.onRefused(pid, verdict.reason);
      return reply(socket, `refused: ${verdict.reason}`);
    }
    const [environ, cwd] = await Promise.all([environOf(pid), cwdOf(pid)]);
    const outcome = await options.runScript({ shellPid: pid, command: verdict.command, environ, ...(cwd === undefined ? {} : { cwd }) }).catch((error: unknown) => ({ error: String(error) }));
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
