/**
 * The runner: the sandbox container's entry point (under tini). It runs as root with SYS_PTRACE,
 * SETUID and SETGID only, starts the package manager under `strace -f -u <install user>`, turns
 * strace's output into attributed events as it arrives, appends them to events.jsonl, and ends
 * processes that outlive their lifecycle script. Its exit code is the package manager's.
 *
 * Nothing here trusts the traced code: it cannot write to the output directory (root, 0700), it
 * cannot signal the runner or strace (another uid, no CAP_KILL), and it cannot ptrace them.
 */
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, openSync, readFileSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import type { RawEvent, TraceEvent } from '@safe-install/schema';
import { EventBuilder, StraceReader, straceArgs, type StraceEntry } from '../strace/index.js';
import { parseRunnerArgs } from './args.js';
import { RUNNER_FILES, type RunnerStatus } from './protocol.js';
import { tailFile } from './tail-file.js';

function userName(uid: number): string {
  for (const line of readFileSync('/etc/passwd', 'utf8').split('\n')) {
    const [name, , id] = line.split(':');
    if (name && Number(id) === uid) return name;
  }
  throw new Error(`no user with uid ${uid} in /etc/passwd`);
}

const args = parseRunnerArgs(process.argv.slice(2));
const startedAt = new Date().toISOString();
const eventsFd = openSync(join(args.out, RUNNER_FILES.events), 'a', 0o600);
const stracePath = join(args.out, RUNNER_FILES.strace);

let sequence = 0;
let lingeringCount = 0;
/** Append events now: a kill of the container must not lose what was already seen. */
function write(events: readonly RawEvent[]): void {
  if (events.length === 0) return;
  const lines = events.map((event) => JSON.stringify({ id: `t${++sequence}`, ...event } as TraceEvent));
  writeSync(eventsFd, `${lines.join('\n')}\n`);
}

const reader = new StraceReader();
const builder = new EventBuilder({ rootCwd: args.cwd });
let rootPid: number | null = null;
let rootExit: { code: number | null; signal: string | null } | null = null;

/** Kill processes as the install user: root here has no CAP_KILL, but may switch uid. */
function killAsInstallUser(pids: readonly number[]): void {
  if (pids.length === 0) return;
  spawnSync('kill', ['-KILL', ...pids.map(String)], { uid: args.uid, gid: args.gid, stdio: 'ignore' });
}

/** After the grace period, report and end what a finished script (or the whole install) left behind. */
function reapLater(describe: () => number[]): void {
  setTimeout(() => {
    const alive = describe();
    if (alive.length === 0) return;
    const now = Date.now();
    write(alive.map((pid) => builder.lingeringEvent(pid, 'killed', now)));
    lingeringCount += alive.length;
    killAsInstallUser(alive);
  }, args.lingerGraceMs).unref();
}

function handle(entries: readonly StraceEntry[]): void {
  for (const entry of entries) {
    const events = builder.consume(entry);
    write(events);
    for (const event of events) {
      if (rootPid === null && event.pid) rootPid = event.pid;
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
}

const tail = tailFile(stracePath, (chunk) => handle(reader.push(chunk)));
const strace = spawn('strace', straceArgs({ output: stracePath, user: userName(args.uid), command: args.command }), {
  cwd: args.cwd,
  stdio: ['ignore', 'inherit', 'inherit'],
});

strace.on('exit', async (code, signal) => {
  tail.finish();
  await tail.done;
  handle(reader.end());
  write(builder.end());
  const stats = reader.stats;
  const status: RunnerStatus = {
    exitCode: rootExit?.code ?? (rootExit ? null : code),
    signal: rootExit?.signal ?? signal ?? null,
    startedAt,
    endedAt: new Date().toISOString(),
    events: sequence,
    lingering: lingeringCount,
    parser: { lines: stats.lines, syscalls: stats.syscalls, dropped: stats.dropped },
  };
  closeSync(eventsFd);
  writeFileSync(join(args.out, RUNNER_FILES.status), `${JSON.stringify(status)}\n`, { mode: 0o600 });
  process.exit(status.exitCode ?? 128);
});

// tini forwards SIGTERM (docker stop); pass it on so strace ends the install and we still flush.
process.on('SIGTERM', () => strace.kill('SIGTERM'));
