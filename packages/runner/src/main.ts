/**
 * The runner: the sandbox container's entry point (under tini). It runs as root with SYS_PTRACE,
 * SETUID, SETGID and DAC_READ_SEARCH only (see run-install.ts for why each), and:
 *
 * 1. extracts the upload (a tar on stdin) into HOME, as the install user;
 * 2. snapshots HOME and /tmp;
 * 3. starts the package manager under `strace -f -u <install user>`, turns strace's output into
 *    attributed events as it arrives, and streams them to the orchestrator (stdout frames);
 * 4. ends processes that outlive their lifecycle script, after a grace period;
 * 5. diffs the snapshot, sends the status, and — after a successful install — node_modules.
 *
 * The traced code cannot reach any of this: the runner and strace run as root (another uid, which
 * it cannot signal or ptrace), strace's log is in a root-only folder and opened close-on-exec, and
 * the container's stdout, the channel to the orchestrator, is held only by the runner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { PackageRef, RawEvent, TraceEvent } from '@safe-install/schema';
import { createProcNetIdentify, startForwarder, type ClientIdentity, type IdentifyClient } from '@safe-install/gateway';
import { EventBuilder, StraceReader, straceArgs, type StraceEntry } from '@safe-install/tracer';
import { parseRunnerArgs, type RunnerArgs } from './args.js';
import { diffSnapshots, findArgs, parseSnapshot, type Snapshot } from './fs-snapshot.js';
import { FRAME, encodeFrame, type FrameType, type RunnerStatus } from './protocol.js';
import { lifecycleOf, parseCpuList, startScriptBroker, type ScriptOutcome } from './script-broker.js';
import { tailFile } from './tail-file.js';

const MANAGER_LOG = 'manager.log';
const STRACE = '/usr/bin/strace';
/** The script shell npm is configured with (docker/npmrc); also the attribution marker. */
const SCRIPT_SHELL = '/usr/local/libexec/npm-lifecycle';
const SPAWN_SCRIPT_TRACER = '/usr/local/libexec/spawn-script-tracer';
const EXPORT_CHUNK = 1024 * 1024;

function userName(uid: number): string {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , id] = line.split(':');
    if (name && Number(id) === uid) return name;
  }
  throw new Error(`no user with uid ${uid} in /etc/passwd`);
}

/** Writes frames to stdout in order, respecting backpressure. */
function frameWriter() {
  let chain = Promise.resolve();
  const write = (type: FrameType, payload: Buffer | string): Promise<void> => {
    const frame = encodeFrame(type, payload);
    chain = chain.then(
      () =>
        new Promise<void>((resolve, reject) => {
          process.stdout.write(frame, (error) => (error ? reject(error) : resolve()));
        }),
    );
    return chain;
  };
  return { write, flushed: () => chain };
}

/** Run a command as the install user; resolves with its stdout (stderr passes through). */
function runAsUser(args: RunnerArgs, command: string, argv: string[], stdin: 'inherit' | 'ignore' = 'ignore'): Promise<{ code: number | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { uid: args.uid, gid: args.gid, cwd: args.home, stdio: [stdin, 'pipe', 'inherit'] });
    const chunks: Buffer[] = [];
    child.stdout.on('data', (chunk: Buffer) => chunks.push(chunk));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout: Buffer.concat(chunks).toString('utf8') }));
  });
}

/** Keep this process (all its threads) to one CPU. Best effort: without it, only slower. */
function pinSelf(cpu: number): Promise<void> {
  return new Promise((resolve) => {
    spawn('taskset', ['-a', '-p', '-c', String(cpu), String(process.pid)], { stdio: 'ignore' })
      .on('error', () => resolve())
      .on('exit', () => resolve());
  });
}

async function snapshot(args: RunnerArgs): Promise<Snapshot> {
  const pruned = [join(args.cwd, 'node_modules'), join(args.home, '.npm')];
  const { stdout } = await runAsUser(args, 'find', findArgs([args.home, '/tmp'], pruned));
  return parseSnapshot(stdout);
}

async function main(): Promise<void> {
  const args = parseRunnerArgs(process.argv.slice(2));
  const out = frameWriter();
  const timings: Record<string, number> = {};
  const startedAt = new Date().toISOString();
  let phaseStart = performance.now();
  const phase = (name: string) => {
    const now = performance.now();
    timings[name] = Math.round(now - phaseStart);
    phaseStart = now;
  };

  // 1. The upload: a tar on stdin, extracted by tar running as the install user.
  const upload = await runAsUser(args, 'tar', ['-x', '--no-same-owner', '-m', '-C', args.home], 'inherit');
  if (upload.code !== 0) throw new Error(`extracting the upload failed (tar exit ${upload.code})`);
  await runAsUser(args, 'mkdir', ['-p', args.cwd]);
  phase('upload');
  const before = await snapshot(args);
  phase('snapshot');

  // 3. The install, traced.
  let sequence = 0;
  let lingering = 0;
  const lastWriter = new Map<string, { package?: PackageRef; lifecycle?: string }>();
  const send = (events: readonly RawEvent[]) => {
    if (events.length === 0) return;
    const lines = events.map((event) => JSON.stringify({ id: `t${++sequence}`, ...event } as TraceEvent));
    void out.write(FRAME.events, `${lines.join('\n')}\n`);
  };

  const reader = new StraceReader();
  const builder = new EventBuilder({ rootCwd: args.cwd });
  let rootPid: number | null = null;
  let rootExit = null as { code: number | null; signal: string | null } | null;
  let stopped = false;

  const killAllAsUser = (pids: readonly string[]) => {
    // Root here has no CAP_KILL; switching to the install user lets it signal that user's processes.
    // Never spawnSync: the forwarder shares this event loop.
    spawn('kill', ['-KILL', ...pids], { uid: args.uid, gid: args.gid, stdio: 'ignore' }).on('error', () => undefined);
  };

  // 2b. The only way out: the forwarder relays the sandbox's HTTP proxy, DNS and sink addresses to
  // the gateway. A connection is named by its socket inode; the trace says which process made it.
  const socketOwners = new Map<string, ClientIdentity>();
  let forwarder: { close(): Promise<void> } | null = null;
  if (args.gateway) {
    const byProcNet = createProcNetIdentify();
    const identify: IdentifyClient = async (query) => {
      const base = await byProcNet(query);
      // Untraced (benchmarks only), no connect event will ever name the socket: do not wait for one.
      if (!base.socket || !args.trace) return base;
      // strace reports the connect after it returns; give the trace a moment to catch up.
      for (let i = 0; i < 40; i++) {
        const owner = socketOwners.get(base.socket);
        if (owner) return { ...base, ...owner };
        await sleep(25);
      }
      return base;
    };
    forwarder = await startForwarder({
      socketDir: args.gateway,
      identify,
      onError: (error) => process.stderr.write(`network relay: ${error.message}\n`),
    });
  }
  const reapLater = (alive: () => number[]) => {
    setTimeout(() => {
      const pids = alive();
      if (pids.length === 0) return;
      const now = Date.now();
      send(pids.map((pid) => builder.lingeringEvent(pid, 'killed', now)));
      lingering += pids.length;
      killAllAsUser(pids.map(String));
    }, args.lingerGraceMs).unref();
  };

  const handle = (entries: readonly StraceEntry[]): RawEvent[] => {
    const all: RawEvent[] = [];
    for (const entry of entries) {
      const events = builder.consume(entry);
      all.push(...events);
      send(events);
      for (const event of events) {
        if (rootPid === null && event.pid) rootPid = event.pid;
        if (event.type === 'network' && event.socket && !socketOwners.has(event.socket)) {
          socketOwners.set(event.socket, {
            pid: event.pid,
            ...(event.package ? { package: event.package } : {}),
            ...(event.lifecycle ? { lifecycle: event.lifecycle } : {}),
          });
        }
        if (event.type === 'file' && event.ok !== false && (event.intent?.write || event.action !== 'open')) {
          const who = { ...(event.package ? { package: event.package } : {}), ...(event.lifecycle ? { lifecycle: event.lifecycle } : {}) };
          lastWriter.set(event.target ?? event.path, who);
          if (event.action === 'rename' || event.action === 'unlink') lastWriter.set(event.path, who);
        }
        if (event.type === 'script' && event.action === 'end') {
          const scriptPid = event.pid;
          reapLater(() => builder.lingeringAt(scriptPid));
        }
        if (event.type === 'process' && event.action === 'exit' && event.pid === rootPid && rootExit === null) {
          rootExit = { code: event.code ?? null, signal: event.signal ?? null };
          // The package manager is done; whatever still runs outlived the install.
          reapLater(() => builder.liveProcesses());
        }
      }
    }
    return all;
  };

  // The package manager, traced for its processes, network and signals; every lifecycle script,
  // traced in full by a tracer of its own that the script broker starts in its script shell's place.
  const user = userName(args.uid);
  const managerLog = join(args.out, MANAGER_LOG);
  const managerTail = tailFile(managerLog, (chunk) => handle(reader.push(chunk)));
  const scriptTracers = new Map<number, Promise<void>>();
  const cpuList = /^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]?.trim() ?? '';
  const cpus = parseCpuList(cpuList);
  // With CPUs to spare, the runner keeps to the first and the scripts' tracers share the others: the
  // runner's own work (reading traces, relaying the network) then never delays a traced script.
  // The package manager keeps every CPU.
  const scriptCpus = args.trace && cpus.length > 1 ? cpus.slice(1) : [];
  if (scriptCpus.length > 0) await pinSelf(cpus[0]!);
  let scriptCount = 0;
  let manager: ChildProcess | null = null;
  const broker = args.trace
    ? await startScriptBroker({
        installUid: args.uid,
        scriptShell: SCRIPT_SHELL,
        managerTracerPid: () => manager?.pid ?? null,
        scriptTracerPids: () => new Set(scriptTracers.keys()),
        onRefused: (pid, reason) => send([builder.notice(Date.now(), pid ?? 0, `script broker refused a request: ${reason}`)]),
        runScript: async ({ shellPid, command, environ }) => {
          // The script shell's own spawn and exec must be in the process table before the script's
          // first line: the script becomes its child there.
          await managerTail.caughtUp();
          const id = ++scriptCount;
          const log = join(args.out, `script-${id}.log`);
          const { name, version, event } = lifecycleOf(environ);
          // One CPU per script, in turn: a ptrace stop that stays on its CPU is several times cheaper.
          const cpu = scriptCpus.length > 0 ? scriptCpus[(id - 1) % scriptCpus.length]! : -1;
          const tracerArgs = straceArgs({ output: log, user, command: [SCRIPT_SHELL, '--run', name, version, event, command] });
          const child = spawn(SPAWN_SCRIPT_TRACER, [String(shellPid), String(cpu), '--', STRACE, ...tracerArgs], { stdio: ['ignore', 'ignore', 2] });
          const scriptReader = new StraceReader();
          let scriptRoot: number | null = null;
          let ended: (outcome: ScriptOutcome) => void = () => undefined;
          const outcome = new Promise<ScriptOutcome>((resolve) => {
            ended = resolve;
          });
          const tail = tailFile(log, (chunk) => {
            const entries = scriptReader.push(chunk);
            if (scriptRoot === null && entries[0]) {
              scriptRoot = entries[0].pid;
              send(builder.adoptScriptRoot(scriptRoot, shellPid, entries[0].ts));
            }
            for (const event of handle(entries)) {
              // The script's own end is its shell's answer; lingering children do not hold npm up.
              if (event.type === 'script' && event.action === 'end' && event.pid === scriptRoot) {
                ended(event.signal ? { signal: event.signal } : { code: event.code ?? 1 });
              }
            }
          });
          const exited = new Promise<void>((resolve) => {
            child.on('error', (error) => {
              ended({ error: `cannot start the script's tracer: ${error.message}` });
              resolve();
            });
            child.on('exit', (code, signal) => {
              tail.finish();
              void tail.done.then(() => {
                handle(scriptReader.end());
                // Its tracer is gone; its exit status is the script's (or says why it never ran).
                ended(signal ? { signal } : code === 127 && scriptRoot === null ? { error: 'the script tracer could not start' } : { code: code ?? 1 });
                resolve();
              });
            });
          });
          if (child.pid !== undefined) scriptTracers.set(child.pid, exited);
          return outcome;
        },
      })
    : null;
  // The install's output goes to stderr: stdout is the orchestrator's channel.
  manager = args.trace
    ? // Raise the OOM score of strace and (by inheritance) the install above the runner's, so a
      // memory hog in a script is what the kernel kills, never the runner that reports it.
      spawn('/bin/sh', ['-c', 'echo 500 > /proc/self/oom_score_adj; exec taskset -c "$0" "$@"', cpuList || '0-1023', STRACE, ...straceArgs({ output: managerLog, user, command: args.command, syscalls: 'manager' })], {
        cwd: args.cwd,
        stdio: ['ignore', 2, 2],
        env: { ...process.env, SAFE_INSTALL_SCRIPT_BROKER: String(broker!.port) },
      })
    : spawn(args.command[0]!, args.command.slice(1), { cwd: args.cwd, uid: args.uid, gid: args.gid, stdio: ['ignore', 2, 2] });
  if (!args.trace) managerTail.finish();
  // docker stop / timeout: end the whole install now, keep everything seen so far.
  process.on('SIGTERM', () => {
    stopped = true;
    killAllAsUser(['-1']);
  });
  const managerExit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
    manager!.on('exit', (code, signal) => resolve({ code, signal }));
    manager!.on('error', reject);
  });
  managerTail.finish();
  await managerTail.done;
  handle(reader.end());
  // Scripts still traced are lingering ones, on their way out (reaped after the grace period).
  await Promise.all(scriptTracers.values());
  await broker?.close();
  send(builder.end());
  await forwarder?.close();
  phase('install');

  // 5. What changed on disk, attributed to the last traced writer where there is one.
  const after = await snapshot(args);
  const now = Date.now();
  send(
    diffSnapshots(before, after).map(
      ({ path, change }) => ({ ...lastWriter.get(path), type: 'fsdiff', change, path, source: 'fsdiff', ts: now, pid: 0, ppid: 0 }) as RawEvent,
    ),
  );
  phase('fsdiff');

  const exitCode = stopped ? null : args.trace ? (rootExit?.code ?? (rootExit ? null : managerExit.code)) : managerExit.code;
  const stats = reader.stats;
  const status: RunnerStatus = {
    exitCode,
    signal: rootExit?.signal ?? managerExit.signal ?? null,
    stopped,
    startedAt,
    endedAt: new Date().toISOString(),
    events: sequence,
    lingering,
    parser: { lines: stats.lines, syscalls: stats.syscalls, dropped: stats.dropped },
    timings,
  };
  await out.write(FRAME.status, JSON.stringify(status));

  if (args.exportNodeModules && exitCode === 0) {
    // tar runs as the install user: it reads what that user can, and nothing it could not.
    const tar = spawn('tar', ['-c', '-C', args.cwd, 'node_modules'], { uid: args.uid, gid: args.gid, stdio: ['ignore', 'pipe', 'inherit'] });
    for await (const chunk of tar.stdout as AsyncIterable<Buffer>) {
      for (let offset = 0; offset < chunk.length; offset += EXPORT_CHUNK) {
        await out.write(FRAME.exportData, chunk.subarray(offset, offset + EXPORT_CHUNK));
      }
    }
    const code = await new Promise<number | null>((resolve) => (tar.exitCode !== null ? resolve(tar.exitCode) : tar.on('close', resolve)));
    await out.write(FRAME.exportEnd, JSON.stringify(code === 0 ? { ok: true } : { ok: false, error: `tar exited with ${code}` }));
    phase('export');
  }
  await out.flushed();
  process.exitCode = exitCode ?? 125;
}

main().catch(async (error: unknown) => {
  const message = (error as Error)?.message ?? String(error);
  process.stdout.write(encodeFrame(FRAME.runnerError, message), () => process.exit(126));
});
