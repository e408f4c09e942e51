/**
 * The runner: the sandbox container's entry point (under tini). It runs as root with SYS_PTRACE,
 * SETUID, SETGID, DAC_READ_SEARCH and SYS_ADMIN only (see run-install.ts for why each), and:
 *
 * 1. extracts the upload (a tar on stdin) into HOME, as the install user;
 * 2. snapshots HOME, /tmp and the project (and node_modules when the first script starts);
 * 3. runs the job's steps in order (job.ts in the schema; `ci` is one step). A `scripts` step starts
 *    the package manager as the install user, and each of its lifecycle scripts under a
 *    `strace -f -u <install user>` of its own (script-broker.ts, script-tracer.ts); turns the
 *    tracers' output into attributed events as it arrives, and streams them to the orchestrator
 *    (stdout frames), each stamped with its step's phase. A `tree` step starts its command through
 *    the script shell, so that its whole process tree is traced as one script (job-steps.ts);
 * 4. ends processes that outlive their lifecycle script, after a grace period, and everything of
 *    the install user at the end of each step;
 * 5. diffs the snapshots after each step, sends the status, and — after a successful job whose last
 *    step exports — every node_modules folder and the files that step wrote into the project (see
 *    fs-snapshot.ts `exportList`).
 *
 * The traced code cannot reach any of this: the runner and the tracers run as root (another uid,
 * which it cannot signal or ptrace), their logs are in a root-only folder and opened close-on-exec,
 * the package manager and the script shells are not dumpable (execute-only binaries), and the
 * container's stdout, the channel to the orchestrator, is held only by the runner.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { setTimeout as sleep } from 'node:timers/promises';
import { closeSync, existsSync, lstatSync, mkdtempSync, openSync, readFileSync, readSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { RUNNER_PID_FILE, SANDBOX_PATHS, SCRIPT_BROKER_ENV, isManagerFile, type JobLockfile, type JobStep, type PackageRef, type RawEvent, type TraceEvent } from '@safe-install/schema';
import { createProcNetIdentify, startForwarder, type ClientIdentity, type IdentifyClient } from '@safe-install/gateway';
import { DEFAULT_PACKAGE_MANAGER_PATHS, EventBuilder, MAX_BUN_LOCK_BYTES, bunLockedPackages, parseBunLock, MAX_PNPM_LOCK_BYTES, MAX_YARN_BERRY_LOCK_BYTES, parseYarnBerryLock, yarnBerryLockedPackages, lockedPackageManagerPaths, lockedPackages, lockfileAttribution, parsePnpmLock, pnpmLockedPackages, type EventAttribution, type LockedPackages, type StraceEntry } from '@safe-install/tracer';
import { parseRunnerArgs, type RunnerArgs } from './args.js';
import { diffSnapshots, exportList, findArgs, parseSnapshot, splitProject, type Snapshot } from './fs-snapshot.js';
import { jobOutcome, shouldContinue, stepProcess, subjectAttribution, type StepResult } from './job-steps.js';
import { FRAME, encodeFrame, type FrameType, type RunnerStatus } from './protocol.js';
import { packageManagerVersion } from './package-manager.js';
import { parseCpuList, processesOf, socketHolders, statusOf } from './proc.js';
import { relayCapped } from './relay-output.js';
import { startReaper } from './reaper.js';
import { startScriptBroker } from './script-broker.js';
import { sealTool } from './seal-tool.js';
import { yarnLockfileOf } from './yarn-tree.js';
import { SCRIPT_SHELL, startScriptTracer, type ScriptTracer } from './script-tracer.js';

const NODE_GYP_DEV_DIR = '/usr/local/share/node-gyp';
const EXPORT_CHUNK = 1024 * 1024;

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

/** HOME and /tmp, without the package manager's cache (the job's cacheFolders) and the project (which has a snapshot of its own). */
async function snapshot(args: RunnerArgs): Promise<Snapshot> {
  const pruned = [args.cwd, ...(args.job.cacheFolders ?? []).map((folder) => join(args.home, folder))];
  const { stdout } = await runAsUser(args, 'find', findArgs([args.home, '/tmp'], pruned));
  return parseSnapshot(stdout);
}

/** The project, node_modules included, `.git` left out (it never comes back; see docs/architecture.md). */
async function snapshotProject(args: RunnerArgs): Promise<Snapshot> {
  const { stdout } = await runAsUser(args, 'find', findArgs([args.cwd], [join(args.cwd, '.git')]));
  return parseSnapshot(stdout);
}

/** Run `tar` as the install user with `input` on its stdin; stderr kept (the first lines) for the message. */
function tarAsUser(args: RunnerArgs, argv: string[], input: string): { stdout: NodeJS.ReadableStream; done: Promise<{ code: number | null; stderr: string }> } {
  const tar = spawn('tar', argv, { uid: args.uid, gid: args.gid, cwd: args.cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  tar.stderr.on('data', (chunk: Buffer) => {
    if (stderr.length < 4096) stderr += chunk.toString('utf8');
  });
  tar.stdin.on('error', () => undefined);
  tar.stdin.end(input);
  const done = new Promise<{ code: number | null; stderr: string }>((resolve) => {
    tar.on('error', (error) => resolve({ code: null, stderr: error.message }));
    tar.on('close', (code) => resolve({ code, stderr }));
  });
  return { stdout: tar.stdout, done };
}

/**
 * Who sits in which folder, from the project's lockfile as uploaded: read before the package
 * manager starts, so no install code has touched it yet (the host checked the same bytes). Every
 * event and every gateway connection is attributed by it as it happens. `ci` always uploads one
 * (the host refuses a project without); a command run without one (the image's self-test, the
 * tracing benchmark) keeps the scripts' own names: null.
 */
/**
 * A `tree` step attributed by the lockfile runs a package manager with no script-shell hook (Yarn
 * Berry): its entry script (the host's command: `[env …] node <path>`, or `<path>`) is a package manager,
 * and each program it starts is a run of its own (to-events.ts `processTree`).
 */
function processTreeOptions(step: JobStep): { processTree?: boolean; packageManagerPaths?: string[] } {
  if (step.trace !== 'tree' || step.attribution !== 'lockfile') return {};
  const node = step.command.indexOf('node');
  const entry = node >= 0 ? step.command[node + 1] : step.command[0];
  return entry?.startsWith('/') === true ? { processTree: true, packageManagerPaths: [...DEFAULT_PACKAGE_MANAGER_PATHS, entry] } : { processTree: true };
}

function lockfileOf(projectDir: string, name: JobLockfile | undefined): LockedPackages | null {
  if (name === 'pnpm-lock.yaml') return pnpmLockfileOf(projectDir);
  if (name === 'bun.lock') return bunLockfileOf(projectDir);
  // Both Yarns call it yarn.lock: Berry's is YAML with `__metadata`, Yarn 1's has its own format.
  if (name === 'yarn.lock') return isYarnBerryLock(projectDir) ? yarnBerryLockfileOf(projectDir) : yarnLockfileOf(projectDir);
  let lock: unknown = null;
  for (const candidate of name === undefined ? ['npm-shrinkwrap.json', 'package-lock.json'] : [name]) {
    const path = join(projectDir, candidate);
    try {
      if (!lstatSync(path).isFile()) continue;
      lock = JSON.parse(readFileSync(path, 'utf8'));
      break;
    } catch {
      continue;
    }
  }
  return lock === null ? null : lockedPackages(lock);
}

/** Yarn Berry's lockfile, each workspace known by its package.json as uploaded. Unreadable or refused: null. */
/** Berry's lockfile starts with its `__metadata` block (after a comment header); Yarn 1's never has one. */
function isYarnBerryLock(projectDir: string): boolean {
  try {
    const fd = openSync(join(projectDir, 'yarn.lock'), 'r');
    try {
      const head = Buffer.alloc(1024);
      const read = readSync(fd, head, 0, head.length, 0);
      return /^__metadata:/m.test(head.subarray(0, read).toString('utf8'));
    } finally {
      closeSync(fd);
    }
  } catch {
    return false;
  }
}

function yarnBerryLockfileOf(projectDir: string): LockedPackages | null {
  const path = join(projectDir, 'yarn.lock');
  try {
    if (!lstatSync(path).isFile() || lstatSync(path).size > MAX_YARN_BERRY_LOCK_BYTES) return null;
    const lock = parseYarnBerryLock(readFileSync(path));
    const names = new Map<string, PackageRef>();
    for (const folder of lock.workspaces.keys()) {
      try {
        const manifest = JSON.parse(readFileSync(join(projectDir, folder, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
        if (typeof manifest.name === 'string') names.set(folder, { name: manifest.name, version: typeof manifest.version === 'string' ? manifest.version : '' });
      } catch {
        // no readable manifest: known by the lockfile's name
      }
    }
    return yarnBerryLockedPackages(lock, names);
  } catch {
    return null;
  }
}

/**
 * pnpm's lockfile, with each importer's own name and version from its package.json (both as
 * uploaded, before anything ran). Unreadable or refused: null, as for a project without a lockfile
 * (the host refused such a lockfile before the run).
 */
function pnpmLockfileOf(projectDir: string): LockedPackages | null {
  const path = join(projectDir, 'pnpm-lock.yaml');
  try {
    if (!lstatSync(path).isFile() || lstatSync(path).size > MAX_PNPM_LOCK_BYTES) return null;
    const lock = parsePnpmLock(readFileSync(path));
    const names = new Map<string, PackageRef>();
    for (const folder of lock.importers.keys()) {
      try {
        const manifest = JSON.parse(readFileSync(join(projectDir, folder, 'package.json'), 'utf8')) as { name?: unknown; version?: unknown };
        if (typeof manifest.name === 'string') names.set(folder === '.' ? '' : folder, { name: manifest.name, version: typeof manifest.version === 'string' ? manifest.version : '' });
      } catch {
        // no manifest: known by its folder
      }
    }
    return pnpmLockedPackages(lock, names);
  } catch {
    return null;
  }
}

/** Bun's lockfile, read as the host read it (the workspaces' names from the lockfile itself). Unreadable or refused: null. */
function bunLockfileOf(projectDir: string): LockedPackages | null {
  const path = join(projectDir, 'bun.lock');
  try {
    if (!lstatSync(path).isFile() || lstatSync(path).size > MAX_BUN_LOCK_BYTES) return null;
    return bunLockedPackages(parseBunLock(readFileSync(path)));
  } catch {
    return null;
  }
}

/** Everything a step leaves for the job's end: its exit, its tracers' counts. */
interface StepRun {
  result: StepResult;
  tracers: ScriptTracer[];
}

/** The step running now, and how its events are attributed. */
interface StepContext {
  step: JobStep;
  builder: EventBuilder;
  attribution: EventAttribution | null;
}

async function main(): Promise<void> {
  const args = parseRunnerArgs(process.argv.slice(2));
  const { job } = args;
  // The host stops a job (its deadline, the trace limit) by signalling this process: a job is an
  // exec, which the engine cannot signal itself. Root-only folder; one job at a time per sandbox.
  writeFileSync(RUNNER_PID_FILE, `${process.pid}\n`, { mode: 0o600 });
  // This job's own folder for its scripts' trace pipes: a sandbox runs several jobs, one after
  // another, and each numbers its scripts from 1.
  const traceOut = mkdtempSync(join(args.out, 'job-'));
  const out = frameWriter();
  const timings: Record<string, number> = {};
  const startedAt = new Date().toISOString();
  let phaseStart = performance.now();
  // Summed, so that a job's steps add up under one name each (`fsdiff`) and `ci`'s names stay.
  const phase = (name: string) => {
    const now = performance.now();
    timings[name] = (timings[name] ?? 0) + Math.round(now - phaseStart);
    phaseStart = now;
  };

  // 1. The upload: a tar on stdin, extracted by tar running as the install user.
  const upload = await runAsUser(args, 'tar', ['-x', '--no-same-owner', '-m', '-C', args.home], 'inherit');
  if (upload.code !== 0) throw new Error(`extracting the upload failed (tar exit ${upload.code})`);
  await runAsUser(args, 'mkdir', ['-p', args.cwd]);
  // node-gyp's dev dir, ready in the image (see the Dockerfile): native builds need no download.
  if (existsSync(NODE_GYP_DEV_DIR)) await runAsUser(args, 'sh', ['-c', 'mkdir -p "$HOME/.cache" && ln -sfn "$0" "$HOME/.cache/node-gyp"', NODE_GYP_DEV_DIR]);
  phase('upload');
  let [before, projectBefore] = await Promise.all([snapshot(args), snapshotProject(args)]);
  phase('snapshot');

  let sequence = 0;
  let lingering = 0;
  // Read before any step runs: no install code has touched the lockfile yet. A `relock` step reads
  // it again when it starts: the lockfile an earlier step wrote, which ran no install code.
  let locked = lockfileOf(args.cwd, job.lockfile);
  let lockfile: EventAttribution | null = locked === null ? null : lockfileAttribution(locked, args.cwd);
  // The step running now (the gateway's connections are identified by its trace).
  let current: StepContext | null = null;
  // A step's events: stamped with its phase and attributed its way — also those sent late, by a
  // reaper of that step.
  const sender = ({ step, attribution }: StepContext) => (events: readonly RawEvent[]) => {
    if (events.length === 0) return;
    const lines = events.map((event) => JSON.stringify({ id: `t${++sequence}`, ...(attribution === null ? event : attribution.apply(event)), phase: step.phase } as TraceEvent));
    void out.write(FRAME.events, `${lines.join('\n')}\n`);
  };
  let stopped = false;

  // Started before the install, while pids are plenty: it can end a fork bomb (reaper.ts).
  const reaper = startReaper(args.uid, args.gid);
  const killAllAsUser = (pids: readonly string[]) => reaper.kill(pids);
  const traced = job.steps.some((step) => step.trace !== 'none');

  // 2b. The only way out: the forwarder relays the sandbox's HTTP proxy, DNS and sink addresses to
  // the gateway. A connection is named by its socket inode; /proc says which process holds it, the
  // trace which package that process belongs to.
  const socketOwners = new Map<string, ClientIdentity>();
  let forwarder: { close(): Promise<void> } | null = null;
  if (args.gateway) {
    const byProcNet = createProcNetIdentify();
    const identify: IdentifyClient = async (query) => {
      const base = await byProcNet(query);
      if (!base.socket || !traced) return base;
      const tracedOwner = socketOwners.get(base.socket);
      if (tracedOwner) return { ...base, ...tracedOwner };
      for (const pid of await socketHolders(base.socket)) {
        const { tracerPid } = await statusOf(pid);
        // Untraced: the package manager's own (every process of a script is traced).
        if (tracerPid === 0) return { ...base, pid };
        if (current === null) break;
        // The lockfile's package, not the script's claim: the gateway allows hosts by it.
        const { run, ...owner } = current.builder.attributionOf(pid);
        const pkg = run === undefined ? undefined : current.attribution?.packageOf(run);
        if (owner.package) return { ...base, pid, ...owner, ...(pkg === undefined ? {} : { package: pkg }) };
      }
      // Gone already, or not yet in the trace: strace reports the connect after it returns.
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
      // The gateway writes the trust store (the run's CA) before it listens; npm reads it at start.
      waitForGateway: true,
      onError: (error) => process.stderr.write(`network relay: ${error.message}\n`),
    });
  }

  // The package manager runs untraced (node is execute-only in the image, so no script can reach
  // into it); every lifecycle script runs under a tracer of its own, started by the script broker in
  // its script shell's place (see script-broker.ts and docs/architecture.md).
  const cpuList = /^Cpus_allowed_list:\s*(.*)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1]?.trim() ?? '';
  const cpus = parseCpuList(cpuList);
  // With CPUs to spare, the runner keeps to the first and the scripts' tracers share the others: the
  // runner's own work (reading traces, relaying the network) then never delays a traced script.
  // The package manager keeps every CPU.
  const scriptCpus = traced && cpus.length > 1 ? cpus.slice(1) : [];
  if (scriptCpus.length > 0) await pinSelf(cpus[0]!);
  // docker stop / timeout: end the whole job now, keep everything seen so far.
  process.on('SIGTERM', () => {
    stopped = true;
    killAllAsUser(['-1']);
  });
  let scriptsStarted = 0;
  let runsBefore = 0;

  // 3. The steps, in order, each traced its way (scripts: each lifecycle script; tree: the whole
  // process tree of its command, as one script run), each followed by its own filesystem diff.
  const runs: StepRun[] = [];
  // The project as uploaded: what the job wrote into it (every step's) is what may come back.
  const projectStart = splitProject(projectBefore, args.cwd).sources;
  let projectAfter: Snapshot = projectBefore;
  let halted = false;
  for (const [index, step] of job.steps.entries()) {
    if (halted || stopped) {
      runs.push({ result: { phase: step.phase, ran: false, exitCode: null, signal: null }, tracers: [] });
      continue;
    }
    if (step.relock === true) {
      locked = lockfileOf(args.cwd, job.lockfile);
      lockfile = locked === null ? null : lockfileAttribution(locked, args.cwd);
    }
    const attribution = step.attribution === 'subject' && step.subject !== undefined ? subjectAttribution(step.subject) : lockfile;
    // A copy of npm the lockfile installs (a dependency on `npm`) runs nested scripts like the
    // image's npm; only the image's is the package manager.
    const builder = new EventBuilder({ rootCwd: args.cwd, runsBefore, lockedManagerPaths: locked === null ? [] : lockedPackageManagerPaths(locked, args.cwd), ...processTreeOptions(step) });
    current = { step, builder, attribution };
    const send = sender(current);
    const run = await runStep(step, builder, send);
    runsBefore = builder.lastRun;
    runs.push(run);
    phase(step.phase);

    // 5. What changed on disk, attributed to the last traced writer where there is one.
    const [after, projectNow] = await Promise.all([snapshot(args), snapshotProject(args)]);
    const now = Date.now();
    const sourcesBefore = splitProject(projectBefore, args.cwd).sources;
    const { sources: sourcesAfter, modules: modulesAfter } = splitProject(projectNow, args.cwd);
    // Process-tree capture: the baseline was taken when the tree started, before the manager
    // unpacked anything; of node_modules, only what a traced script wrote is its doing. So for the
    // files the manager itself writes beside them (Yarn PnP's .pnp.cjs, .yarn/cache, .yarn/unplugged).
    const treeCapture = processTreeOptions(step).processTree === true;
    const managerFiles = treeCapture ? (step.managerFiles ?? []) : [];
    const projectChanges = diffSnapshots(sourcesBefore, sourcesAfter).filter((change) => managerFiles.length === 0 || run.lastWriter.has(change.path) || !isManagerFile(change.path.startsWith(`${args.cwd}/`) ? change.path.slice(args.cwd.length + 1) : change.path, managerFiles));
    const modulesChanges = run.modulesBaseline ? diffSnapshots(splitProject(await run.modulesBaseline, args.cwd).modules, modulesAfter).filter((change) => !treeCapture || run.lastWriter.has(change.path)) : [];
    send(
      [...diffSnapshots(before, after), ...projectChanges, ...modulesChanges].map(
        ({ path, change, mtime }) =>
          ({ ...run.lastWriter.get(path), type: 'fsdiff', change, path, ...(mtime === undefined ? {} : { mtime }), source: 'fsdiff', ts: now, pid: 0, ppid: 0 }) as RawEvent,
      ),
    );
    before = after;
    projectBefore = projectNow;
    projectAfter = projectNow;
    phase('fsdiff');
    halted = !shouldContinue(step, run.result, stopped);
    if (!halted && index < job.steps.length - 1) {
      // Nothing outlives its step: what is left is reported by the step's reapers after the grace
      // period, then everything of the install user ends before the next step starts. A step that
      // started no script (pnpm's tools step) has no reaper to wait for: only the kill below.
      if (run.tracers.length > 0) await sleep(args.lingerGraceMs + 600);
      run.close();
      // The reaper acknowledges nothing: wait until the install user has no process but it.
      const except = new Set(reaper.pid === undefined ? [] : [reaper.pid]);
      for (let i = 0; i < 50; i++) {
        if ((await processesOf(args.uid, except)).length === 0) break;
        killAllAsUser(['-1']);
        await sleep(100);
      }
      phase(`${step.phase}-reap`);
      // A tool the step fetched becomes root's before anything of the next step runs (seal-tool.ts);
      // only when no process of the install user is left that could race the walk.
      if (step.seal !== undefined) {
        if ((await processesOf(args.uid, except)).length > 0) throw new Error(`the ${step.phase} step left processes behind; its tool is not sealed`);
        sealTool(args.home, SANDBOX_PATHS.tmp, step.seal);
        // The copy is part of the next step's baseline: not something that step wrote.
        before = await snapshot(args);
        phase(`${step.phase}-seal`);
      }
    }
  }
  await forwarder?.close();
  rmSync(traceOut, { recursive: true, force: true });

  /** One step: its process started as the install user, traced as the step says, until all is done. */
  async function runStep(step: JobStep, builder: EventBuilder, send: (events: readonly RawEvent[]) => void) {
    // node_modules' baseline: taken when the first lifecycle script asks to run (npm runs scripts
    // only after it unpacked every package), before that script starts.
    let modulesBaseline: Promise<Snapshot> | null = null;
    const lastWriter = new Map<string, { package?: PackageRef; lifecycle?: string }>();
    const scriptTracers = new Map<number, ScriptTracer>();
    const reported = new Set<number>();
    // A step closed for good: its reapers stop (a pid they remember may be another step's by now).
    let closed = false;
    // After the grace period, kill what is left — and keep killing, every half second, until nothing
    // is: a fork bomb starts new processes faster than one kill of a pid list ends them. Each pid is
    // reported once.
    const reapLater = (alive: () => number[], owner: { package?: PackageRef; lifecycle?: string } = {}, tracer?: ScriptTracer) => {
      const reap = () => {
        if (closed) return;
        const pids = alive();
        if (pids.length === 0) return;
        const now = Date.now();
        const fresh = pids.filter((pid) => !reported.has(pid));
        for (const pid of fresh) reported.add(pid);
        // A process the builder could not place (its parent's spawn came later) is still the script's.
        send(fresh.map((pid) => ({ ...owner, ...builder.lingeringEvent(pid, 'killed', now) }) as RawEvent));
        lingering += fresh.length;
        // The script's namespace init first: its end takes every process of the namespace with it,
        // in the kernel, which a fork bomb cannot outrun. The pid list covers what it might miss.
        const init = tracer?.namespaceInit;
        killAllAsUser([...(init ? [init] : []), ...pids].map(String));
        setTimeout(reap, 500).unref();
      };
      setTimeout(reap, args.lingerGraceMs).unref();
    };

    const handle = (entries: readonly StraceEntry[]): RawEvent[] => {
      const all: RawEvent[] = [];
      for (const entry of entries) {
        const events = builder.consume(entry);
        all.push(...events);
        // Attributes the events in place (the lockfile's package), before anything below reads them.
        send(events);
        for (const event of events) {
          if (event.type === 'network' && event.socket && !socketOwners.has(event.socket)) {
            socketOwners.set(event.socket, {
              pid: event.pid,
              ...(event.package ? { package: event.package } : {}),
              ...(event.lifecycle ? { lifecycle: event.lifecycle } : {}),
            });
          }
          // A time set is no write: the policy names the setter of an unexplained change itself.
          if (event.type === 'file' && event.ok !== false && (event.intent?.write || (event.action !== 'open' && event.action !== 'stat' && event.action !== 'utime'))) {
            const who = { ...(event.package ? { package: event.package } : {}), ...(event.lifecycle ? { lifecycle: event.lifecycle } : {}) };
            lastWriter.set(event.target ?? event.path, who);
            if (event.action === 'rename' || event.action === 'unlink') lastWriter.set(event.path, who);
          }
          if (event.type === 'script' && event.action === 'end') {
            const scriptPid = event.pid;
            // The script's tracer: its root is the namespace entry, the script's own process is further down.
            const tracer = [...scriptTracers.values()].find((candidate) => candidate.scriptPid === scriptPid);
            const owner = { ...(event.package ? { package: event.package } : {}), ...(event.lifecycle ? { lifecycle: event.lifecycle } : {}) };
            reapLater(() => [...new Set([...builder.lingeringAt(scriptPid), ...(tracer?.livePids() ?? [])])].sort((a, b) => a - b), owner, tracer);
          }
        }
      }
      return all;
    };

    let manager: ChildProcess | null = null;
    const broker = step.trace !== 'none'
      ? await startScriptBroker({
          installUid: args.uid,
          scriptShell: SCRIPT_SHELL,
          managerPid: () => manager?.pid ?? null,
          scriptTracerPids: () => new Set(scriptTracers.keys()),
          onRefused: (pid, reason) => send([builder.notice(Date.now(), pid ?? 0, `script broker refused a request: ${reason}`)]),
          runScript: async (request) => {
            modulesBaseline ??= snapshotProject(args);
            await modulesBaseline;
            // Counted, not sized: two requests can be setting up at once, and each needs its own log.
            const id = ++scriptsStarted;
            // One CPU per script, in turn: a ptrace stop that stays on its CPU is several times cheaper.
            const cpu = scriptCpus.length > 0 ? scriptCpus[(id - 1) % scriptCpus.length]! : -1;
            const hide = [args.out, ...(args.gateway ? [args.gateway] : [])];
            const tracer = await startScriptTracer({ request, id, out: traceOut, uid: args.uid, gid: args.gid, title: step.command.join(' '), hide, cpu, builder, handle, send });
            if (tracer.pid !== undefined) scriptTracers.set(tracer.pid, tracer);
            return tracer.outcome;
          },
        })
      : null;
    // The step's output goes to stderr, capped (relay-output.ts): stdout is the orchestrator's
    // channel. taskset gives the step back every CPU (the runner may have just kept itself to one).
    const { argv, env } = stepProcess(step, SCRIPT_SHELL);
    manager = spawn('taskset', ['-c', cpuList || '0-1023', ...argv], {
      cwd: args.cwd,
      uid: args.uid,
      gid: args.gid,
      stdio: ['ignore', 'pipe', 'pipe'],
      env: { ...process.env, ...env, ...(broker ? { [SCRIPT_BROKER_ENV]: String(broker.port) } : {}) },
    });
    const relayed = relayCapped([manager.stdout!, manager.stderr!], process.stderr);
    if (manager.pid !== undefined) send(builder.startManager(manager.pid, argv, Date.now()));
    // A stop that came before this step's process existed: end it now.
    if (stopped) killAllAsUser(['-1']);
    const managerExit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve, reject) => {
      manager!.on('exit', (code, signal) => resolve({ code, signal }));
      manager!.on('error', reject);
    });
    send(builder.managerExited(managerExit.signal ? { signal: managerExit.signal } : { code: managerExit.code ?? 1 }, Date.now()));
    // The step's process is done; whatever still runs outlived it. Scripts still traced are
    // lingering ones, on their way out (reaped after the grace period).
    reapLater(() => builder.liveProcesses());
    // After the grace period, whatever of the install user is left is ended, again and again until
    // every tracer is done: a fork bomb respawns faster than one kill of a pid list can end it, and
    // `kill -1` (everything of that user but the reaper) needs no free pid.
    const tracersDone = Promise.all([...scriptTracers.values()].map((tracer) => tracer.done));
    let tracing = true;
    void tracersDone.then(() => (tracing = false));
    const sweep = setTimeout(function again() {
      if (!tracing) return;
      killAllAsUser(['-1']);
      setTimeout(again, 500).unref();
    }, args.lingerGraceMs + 500);
    sweep.unref();
    await tracersDone;
    await broker?.close();
    // Everything still holding the step's output was reaped with its script; never wait forever.
    await Promise.race([relayed, sleep(2000)]);
    send(builder.end());
    return {
      result: { phase: step.phase, ran: true, exitCode: stopped ? null : managerExit.code, signal: managerExit.signal ?? null },
      tracers: [...scriptTracers.values()],
      modulesBaseline,
      lastWriter,
      close: () => (closed = true),
    };
  }

  const { exitCode, signal } = jobOutcome(runs.map((run) => run.result));
  const stats = { lines: 0, syscalls: 0, dropped: 0 };
  for (const { reader } of runs.flatMap((run) => run.tracers)) {
    stats.lines += reader.stats.lines;
    stats.syscalls += reader.stats.syscalls;
    stats.dropped += reader.stats.dropped;
  }
  const status: RunnerStatus = {
    exitCode: stopped ? null : exitCode,
    signal,
    stopped,
    startedAt,
    endedAt: new Date().toISOString(),
    events: sequence,
    lingering,
    parser: { lines: stats.lines, syscalls: stats.syscalls, dropped: stats.dropped },
    timings,
    steps: runs.map((run) => run.result),
  };
  // The install step's manager first: a job may fetch its manager with another one (pnpm by npm).
  const byPhase = [...job.steps.filter((step) => step.phase === 'install'), ...job.steps.filter((step) => step.phase !== 'install')];
  const managerVersion = byPhase.map((step) => packageManagerVersion(step.command[0] ?? '')).find((version) => version !== null) ?? null;
  if (managerVersion !== null) status.packageManager = managerVersion;
  await out.write(FRAME.status, JSON.stringify(status));

  const last = job.steps.at(-1)!;
  if (last.export === 'install' && runs.at(-1)?.result.ran === true && status.exitCode === 0) {
    // Every node_modules folder and the files the job wrote into the project, in one tar made by
    // tar running as the install user: it reads what that user can, and nothing it could not. A
    // file it cannot read fails the export (and the host says so after the verdict), never the run.
    const list = exportList(args.cwd, projectAfter, diffSnapshots(projectStart, splitProject(projectAfter, args.cwd).sources));
    if (list.refusal !== null) {
      await out.write(FRAME.exportEnd, JSON.stringify({ ok: false, error: list.refusal }));
    } else {
      // NUL-separated names, read as names only (`--verbatim-files-from`: a name like `-C` is a name).
      const tar = tarAsUser(args, ['-c', '--null', '--verbatim-files-from', '-T', '-'], list.paths.map((path) => `${path}\0`).join(''));
      for await (const chunk of tar.stdout as AsyncIterable<Buffer>) {
        for (let offset = 0; offset < chunk.length; offset += EXPORT_CHUNK) {
          await out.write(FRAME.exportData, chunk.subarray(offset, offset + EXPORT_CHUNK));
        }
      }
      const { code, stderr } = await tar.done;
      const why = stderr.split('\n').filter((line) => line.trim() !== '').slice(0, 3).join('; ');
      await out.write(FRAME.exportEnd, JSON.stringify(code === 0 ? { ok: true } : { ok: false, error: `tar exited with ${code}${why ? `: ${why}` : ''}` }));
    }
    phase('export');
  }
  reaper.close();
  await out.flushed();
  process.exitCode = status.exitCode ?? 125;
}

main().catch(async (error: unknown) => {
  const message = (error as Error)?.message ?? String(error);
  process.stdout.write(encodeFrame(FRAME.runnerError, message), () => process.exit(126));
});
