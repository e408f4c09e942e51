/**
 * Process events: what install scripts run (by program name and by where the program came from),
 * processes that outlive their script, signals and tracer notices.
 *
 * Name-based rules count failed attempts too (a `sudo` that is not installed still shows intent;
 * a shell's PATH search makes several attempts, grouped into one finding). Path-based rules look
 * at execs that found their file.
 */
import { MEMFD_PATH_PREFIX, SCRIPT_SHELL_ARGS, TRACE_GAP_NOTICE, TRACE_LIMIT_NOTICE, type ProcessEvent, type ProcessExecEvent, type Severity, type TracerNoticeEvent } from '@safe-install/schema';
import { basename, isWithin, normalizePath } from '../match/path-pattern.js';
import type { Analysis } from './analysis.js';
import { report } from './analysis.js';
import { reportDecoysIn } from './analyze-decoys.js';
import {
  AI_BYPASS_FLAGS,
  AI_CLIS,
  AMAZON_Q_MARKERS,
  CLOUD_CLIS,
  DOWNLOADERS,
  GH_TOKEN_COMMANDS,
  HOST_TAMPER_TOOLS,
  MINER_ARGUMENTS,
  MINERS,
  PACKAGE_MANAGER_SCRIPTS,
  PACKAGE_MANAGERS,
  PRIVILEGE_TOOLS,
  PROCESS_LISTERS,
  REGISTRY_TOKEN_COMMANDS,
  SEARCH_TOOLS,
  SECRET_SCANNERS,
  SHELLS,
  STDIN_INTERPRETERS,
  PACKAGE_MANAGER_BINS,
  SYSTEM_PROGRAMS,
  WINDOWS_LOADERS,
} from './known-programs.js';
import { formatArgv, sanitizeText } from '@safe-install/schema';
import type { ScriptRun } from './trace-model.js';
import { packageKey } from './trace-model.js';

export function analyzeProcess(a: Analysis, e: ProcessEvent | TracerNoticeEvent): void {
  if (e.type === 'notice') return analyzeNotice(a, e);
  if (e.package === undefined) return;
  const run = a.model.runOf(e);
  if (run === undefined) return;
  switch (e.action) {
    case 'exec':
      return analyzeExec(a, e, run);
    case 'lingering':
      report(a, e, run, {
        rule: 'lingering-process',
        severity: e.outcome === 'killed' ? 'high' : 'medium',
        // One finding per script and outcome, however many processes it left (a fork bomb of
        // daemons is one finding with a count), the pids as samples.
        subject: e.outcome === 'killed' ? 'processes left running' : 'processes that outlived the script',
        sample: `pid ${e.pid}`,
        message:
          e.outcome === 'killed'
            ? `left a process running after its script ended (pid ${e.pid}, killed by the sandbox)`
            : `left a process running after its script ended (pid ${e.pid}, exited during the grace period)`,
      });
      return;
    case 'untraceable': {
      const uring = e.syscall.startsWith('io_uring_');
      const how = e.signal !== undefined ? `refused with ${e.signal}` : e.errno !== undefined ? `refused: ${e.errno}` : 'the sandbox refuses it';
      report(a, e, run, {
        rule: 'tracer-evasion',
        subject: uring ? 'io_uring' : 'CLONE_UNTRACED',
        message: uring
          ? `called ${e.syscall}: io_uring does file and network I/O the tracer cannot see (${how})`
          : `called ${e.syscall}${e.flags === undefined ? ' with CLONE_UNTRACED (the sandbox refuses no other clone)' : ` with ${e.flags.join('|')}`}: a child the tracer would not follow (${how})`,
      });
      return;
    }
    case 'signal': {
      if (e.target <= 0 || e.target === e.pid || /^(?:0|SIG_0)$/.test(e.signal)) return;
      if (a.model.inSubtree(e.target, run.pid)) return;
      report(a, e, run, {
        rule: 'tracer-tamper',
        severity: 'high',
        subject: `signal to pid ${e.target}`,
        message: `sent ${e.signal} to pid ${e.target}, outside its own process tree`,
      });
      return;
    }
    default:
      return;
  }
}

function analyzeNotice(a: Analysis, e: TracerNoticeEvent): void {
  // Whoever it belongs to — a script, the package manager or the run as a whole — a trace with a
  // hole in it cannot pass: what is missing is exactly what a payload would want unseen.
  if (e.message.startsWith(TRACE_GAP_NOTICE) || e.message.startsWith(TRACE_LIMIT_NOTICE)) {
    report(a, e, e.package === undefined ? undefined : a.model.runOf(e), {
      rule: 'trace-incomplete',
      subject: e.message.startsWith(TRACE_GAP_NOTICE) ? 'tracer lines' : 'trace limit',
      message: e.message,
    });
    return;
  }
  if (e.package === undefined) return;
  const run = a.model.runOf(e);
  if (e.message.includes('attribution spoof attempted')) {
    report(a, e, run, { rule: 'tracer-tamper', subject: 'lifecycle marker', message: 'ran the lifecycle marker to pass as another package\'s script' });
  } else if (e.message.startsWith('ptrace(')) {
    report(a, e, run, { rule: 'tracer-tamper', severity: 'high', subject: 'ptrace', message: `called ${e.message.replace(/ called$/, '')} (debugger detection or escape)` });
  } else if (e.message.startsWith('process_vm_writev(')) {
    report(a, e, run, { rule: 'tracer-tamper', subject: 'process memory', message: `called ${e.message.replace(/ called$/, '')}: wrote into another process's memory (code injection)` });
  } else if (e.message.startsWith('process_vm_readv(')) {
    report(a, e, run, { rule: 'tracer-tamper', severity: 'high', subject: 'process memory', message: `called ${e.message.replace(/ called$/, '')}: read another process's memory` });
  }
}

/**
 * A command that destroys data beyond recovery: shred/wipe/srm, dd writing zeros or noise over a
 * file, or rm -r of HOME or /. Returns what to call it, or null.
 */
export function wiperCommand(names: Set<string>, argv: readonly string[], home: string): string | null {
  for (const n of ['shred', 'wipe', 'srm']) if (names.has(n)) return n;
  if (names.has('dd')) {
    const input = argv.find((x) => x.startsWith('if='))?.slice(3);
    const output = argv.find((x) => x.startsWith('of='))?.slice(3);
    if (output !== undefined && !output.startsWith('/dev/null') && (input === '/dev/zero' || input === '/dev/urandom' || input === '/dev/random')) return 'dd';
  }
  if (names.has('rm') && argv.some((x) => /^-[a-zA-Z]*[rR]/.test(x) || x === '--recursive')) {
    const targets = argv.slice(1).filter((x) => !x.startsWith('-')).map((x) => x.replace(/\/+$/, '') || '/');
    if (targets.some((t) => t === '/' || t === home || t === '~' || t === '/home' || t === `${home}/*` || t === '/*')) return 'rm -r';
  }
  return null;
}

/** Program names an exec goes by: the file's and argv[0]'s. */
function namesOf(e: ProcessExecEvent): Set<string> {
  return new Set([basename(e.path), basename(e.argv[0] ?? '')].filter((n) => n !== ''));
}

function hasAny(names: Set<string>, set: ReadonlySet<string>): string | undefined {
  for (const n of names) if (set.has(n)) return n;
  return undefined;
}

/** The first argument that is not an option, after `skip` leading ones. */
function subcommand(argv: readonly string[], skip: number): string | undefined {
  return argv.slice(skip).find((arg) => !arg.startsWith('-'));
}

const VERSION_ONLY = /^(?:--?version|-v|-V|version|--help|-h|help)$/;

function analyzeExec(a: Analysis, e: ProcessExecEvent, run: ScriptRun): void {
  const names = namesOf(e);
  const argv = e.argv;
  const path = normalizePath(e.path);
  const attempted = e.ok === false ? ` (attempt failed: ${e.errno ?? 'error'})` : '';
  const cmd = formatArgv(argv);

  reportDecoysIn(a, e, run, argv.join(' '), 'argv');
  if (e.ok !== false) judgePlantedBin(a, e, run, path, cmd);

  if (path === a.ctx.marker) {
    // The package's own start is the marker exec in the script's root; anywhere else it is an
    // attempt to start a script in another package's name.
    if (argv[1] === SCRIPT_SHELL_ARGS.run && e.pid !== run.pid) {
      report(a, e, run, { rule: 'tracer-tamper', subject: 'lifecycle marker', message: 'ran the lifecycle marker to pass as another package\'s script' });
    }
    return;
  }

  const lister = hasAny(names, PROCESS_LISTERS);
  if (lister !== undefined) {
    // P28: the process list is where a tracer or analysis tool would show. Low alone; looking and
    // then stopping at once is evasion (correlate.ts).
    report(a, e, run, { rule: 'sandbox-probe', subject: `process list (${lister})`, message: `listed processes: \`${cmd}\`${attempted} (looking for a tracer or analysis tool)` });
    if (e.ok !== false && !a.probes.has(run.key)) a.probes.set(run.key, { ts: e.ts, package: run.package, after: 0, endTs: null });
  }

  const wipe = wiperCommand(names, argv, a.ctx.homeDir);
  if (wipe !== null) {
    report(a, e, run, { rule: 'destructive-wipe', subject: wipe, message: `ran the wiper \`${cmd}\`${attempted}` });
  }

  const windows = hasAny(names, WINDOWS_LOADERS) ?? [...names].find((n) => /\.(?:exe|dll|bat|cmd|vbs|ps1|scr|hta)$/i.test(n));
  if (windows !== undefined) {
    report(a, e, run, { rule: 'windows-loader-exec', subject: windows, message: `ran the Windows loader \`${cmd}\`${attempted}` });
  }

  if (hasAny(names, MINERS) !== undefined || MINER_ARGUMENTS.some((re) => argv.some((arg) => re.test(arg)))) {
    report(a, e, run, { rule: 'crypto-miner', subject: basename(path), message: `ran what looks like a miner: \`${cmd}\`${attempted}` });
  }

  const priv = hasAny(names, PRIVILEGE_TOOLS);
  if (priv !== undefined) {
    report(a, e, run, { rule: 'privilege-escalation', severity: 'high', subject: priv, message: `ran \`${cmd}\` (privilege escalation)${attempted}` });
  }
  const tamper = hasAny(names, HOST_TAMPER_TOOLS);
  if (tamper !== undefined) {
    const harmless = argv.length === 2 && VERSION_ONLY.test(argv[1] ?? '');
    report(a, e, run, {
      rule: 'privilege-escalation',
      severity: harmless ? 'medium' : 'critical',
      subject: tamper,
      message: `ran \`${cmd}\` (host, firewall or container-engine control)${attempted}`,
    });
  }

  judgeSweeps(a, e, run, names, cmd, attempted);
  judgeTokenUse(a, e, run, names, cmd, attempted);
  judgeEnvDump(a, e, run, names, cmd);
  judgePipe(a, e, run, names);

  if (e.ok === false && e.errno === 'ENOENT') return;
  judgeExecPath(a, e, run, path, cmd);
}

function judgeSweeps(a: Analysis, e: ProcessExecEvent, run: ScriptRun, names: Set<string>, cmd: string, attempted: string): void {
  const scanner = hasAny(names, SECRET_SCANNERS);
  if (scanner !== undefined) {
    report(a, e, run, { rule: 'secret-sweep', severity: 'critical', subject: scanner, message: `ran the secret scanner \`${cmd}\`${attempted}`, access: e.ok !== false });
  }
  const ai = hasAny(names, AI_CLIS);
  if (ai !== undefined && (ai !== 'q' || e.argv.some((arg) => AMAZON_Q_MARKERS.includes(arg)))) {
    const bypass = e.argv.some((arg) => AI_BYPASS_FLAGS.some((f) => arg === f || arg.startsWith(`${f}=`) || arg.endsWith(`=${f}`)))
      || (ai === 'gemini' && e.argv.includes('-y'));
    report(a, e, run, {
      rule: 'secret-sweep',
      severity: bypass ? 'critical' : 'high',
      subject: ai,
      message: bypass ? `ran the AI CLI \`${cmd}\` with permission checks off${attempted}` : `ran the AI CLI \`${cmd}\`${attempted}`,
      access: e.ok !== false,
    });
  }
  const search = hasAny(names, SEARCH_TOOLS);
  if (search !== undefined) {
    const { homeDir: home, projectDir: project } = a.ctx;
    const recursive = search !== 'grep' && search !== 'egrep' && search !== 'fgrep' ? true : e.argv.some((arg) => /^-[a-zA-Z]*[rR]/.test(arg) || arg === '--recursive');
    const wide = e.argv.slice(1).some((arg) => {
      if (arg === '/' || arg === '~' || arg.startsWith('~/') || arg === '$HOME') return true;
      const p = normalizePath(arg);
      return arg.startsWith('/') && (p === home || (isWithin(home, p) && p !== home) || (isWithin(p, home) && !isWithin(p, project) && !isWithin(p, run.dir)));
    });
    if (recursive && wide) {
      report(a, e, run, { rule: 'secret-sweep', subject: search, message: `searched HOME or the whole disk: \`${cmd}\`${attempted}`, access: e.ok !== false });
    }
  }
}

function judgeTokenUse(a: Analysis, e: ProcessExecEvent, run: ScriptRun, names: Set<string>, cmd: string, attempted: string): void {
  const argv = e.argv;
  const isNode = names.has('node') || names.has('nodejs');
  const pm = hasAny(names, PACKAGE_MANAGERS) ?? (isNode && PACKAGE_MANAGER_SCRIPTS.has(basename(argv[1] ?? '')) ? basename(argv[1] ?? '') : undefined);
  if (pm !== undefined) {
    let sub = subcommand(argv, isNode && !PACKAGE_MANAGERS.has(basename(e.path)) ? 2 : 1);
    if (sub === 'npm' && argv.length > 2) sub = subcommand(argv, argv.indexOf('npm') + 1); // `yarn npm publish`
    const configToken = sub === 'config' && argv.some((arg) => /_auth|token|^\/\//i.test(arg));
    if ((sub !== undefined && REGISTRY_TOKEN_COMMANDS.has(sub)) || configToken) {
      const publish = sub === 'publish' || sub === 'unpublish';
      report(a, e, run, {
        rule: 'token-use',
        severity: publish ? 'critical' : 'high',
        subject: `${pm} ${sub ?? ''}`.trim(),
        message: `ran \`${cmd}\`, which acts with the registry token${attempted}`,
      });
    }
    return;
  }
  if (names.has('gh')) {
    const sub = subcommand(argv, 1);
    if (sub !== undefined && GH_TOKEN_COMMANDS.has(sub)) {
      report(a, e, run, { rule: 'token-use', subject: `gh ${sub}`, message: `ran \`${cmd}\`, which acts with the GitHub token${attempted}` });
    }
    return;
  }
  if (names.has('git')) {
    const sub = subcommand(argv, 1);
    if (sub === 'credential' || sub === 'push' || (sub === 'config' && argv.some((arg) => /credential/i.test(arg)))) {
      report(a, e, run, { rule: 'token-use', subject: `git ${sub}`, message: `ran \`${cmd}\`, which uses stored git credentials${attempted}` });
    }
    return;
  }
  const cloud = hasAny(names, CLOUD_CLIS);
  if (cloud !== undefined && !(argv.length <= 2 && VERSION_ONLY.test(argv[1] ?? '--version'))) {
    report(a, e, run, { rule: 'token-use', subject: cloud, message: `ran \`${cmd}\`, which acts with cloud or cluster credentials${attempted}` });
  }
}

function judgeEnvDump(a: Analysis, e: ProcessExecEvent, run: ScriptRun, names: Set<string>, cmd: string): void {
  const args = e.argv.slice(1);
  if (names.has('env') && args.every((arg) => arg.startsWith('-') && !['-u', '--unset', '-C', '--chdir', '-S', '--split-string'].includes(arg))) {
    report(a, e, run, { rule: 'env-dump', subject: 'env', message: `ran \`${cmd}\`: prints the whole environment`, access: e.ok !== false });
  } else if (names.has('printenv') && args.every((arg) => arg.startsWith('-'))) {
    report(a, e, run, { rule: 'env-dump', subject: 'printenv', message: `ran \`${cmd}\`: prints the whole environment`, access: e.ok !== false });
  }
}

/** `sh`, `bash -s`, `python3 -`: a program read from stdin. */
function readsStdin(e: ProcessExecEvent, names: Set<string>): boolean {
  if (hasAny(names, STDIN_INTERPRETERS) === undefined) return false;
  const args = e.argv.slice(1);
  if (args.length === 0) return true;
  if (args.includes('-c') || args.includes('-e') || args.includes('--eval') || args.includes('-p')) return false;
  return args.every((arg) => arg.startsWith('-')) && (args.includes('-') || args.includes('-s') || args.every((arg) => /^-[a-z]+$/i.test(arg) && arg !== '-'));
}

function judgePipe(a: Analysis, e: ProcessExecEvent, run: ScriptRun, names: Set<string>): void {
  if (e.ok === false || e.ppid <= 0) return;
  const downloader = hasAny(names, DOWNLOADERS) !== undefined;
  const interpreter = !downloader && readsStdin(e, names);
  if (!downloader && !interpreter) return;
  const siblings = a.pipes.get(e.ppid) ?? {};
  if (downloader) siblings.downloader = e;
  else siblings.interpreter = e;
  a.pipes.set(e.ppid, siblings);
  if (siblings.downloader !== undefined && siblings.interpreter !== undefined && siblings.reported !== true) {
    siblings.reported = true;
    const fetch = formatArgv(siblings.downloader.argv);
    const shell = formatArgv(siblings.interpreter.argv);
    report(a, e, run, {
      rule: 'download-then-execute',
      subject: `${basename(siblings.downloader.path)} | ${basename(siblings.interpreter.path)}`,
      message: `piped a download into an interpreter: \`${fetch}\` | \`${shell}\``,
    });
  }
}

/**
 * How bad running or arming a file written by `writerKey` is, given that package's network use
 * before `ts`: critical after non-registry traffic or a downloader, medium when only the registry
 * was contacted (esbuild's fallback fetches its binary from the registry), null with no network at
 * all — then nothing was downloaded.
 */
export function downloadSeverity(a: Analysis, run: ScriptRun, writerKey: string, ts: number): Severity | null {
  const pkg = packageKey(run.package) === writerKey ? run.package : parseKey(writerKey);
  const before = a.model.egressOf(pkg).filter((g) => g.ts <= ts);
  if (before.length === 0) return null;
  return before.some((g) => !g.registry) ? 'critical' : 'medium';
}

function parseKey(key: string): { name: string; version: string } {
  const at = key.lastIndexOf('@');
  return at > 0 ? { name: key.slice(0, at), version: key.slice(at + 1) } : { name: key, version: '' };
}

/** `/proc/self/fd/3`, `/proc/12/task/13/fd/3`, `/dev/fd/3`: a program named by a descriptor. */
const DESCRIPTOR_PATH = /^\/(?:proc\/(?:self|thread-self|\d+)(?:\/task\/\d+)?\/fd|dev\/fd)\/\d+$/;

/**
 * A program run from memory (a memfd, which the tracer names `/memfd:NAME`) or through a
 * descriptor whose file it could not name: nothing on disk to inspect afterwards. Under a name
 * that is not the memfd's own (`[kworker/0:1]`), it is hiding: critical. Returns whether it reported.
 */
function judgeFileless(a: Analysis, e: ProcessExecEvent, run: ScriptRun, path: string, cmd: string): boolean {
  const memfd = path.startsWith(MEMFD_PATH_PREFIX);
  if (!memfd && !DESCRIPTOR_PATH.test(path)) return false;
  const name = memfd ? path.slice(MEMFD_PATH_PREFIX.length) : '';
  const shown = e.argv[0] ?? '';
  const disguised = shown !== '' && shown !== name && basename(shown) !== name;
  const from = memfd ? `the memory file ${path}${e.via === undefined ? '' : ` (through ${e.via})`}` : `the descriptor ${path}`;
  report(a, e, run, {
    rule: 'fileless-exec',
    ...(disguised ? { severity: 'critical' as const } : {}),
    subject: memfd ? 'memfd' : 'descriptor',
    message: `ran \`${cmd}\` from ${from}${disguised ? `, calling itself ${JSON.stringify(sanitizeText(shown, 80))}` : ''}: fileless execution`,
  });
  return true;
}

function judgeExecPath(a: Analysis, e: ProcessExecEvent, run: ScriptRun, path: string, cmd: string): void {
  let reported = judgeFileless(a, e, run, path, cmd);
  if (a.policy.execListed(run, path)) return;
  const taint = a.taint.get(path);
  if (taint !== undefined) {
    const severity = downloadSeverity(a, run, taint.packageKey, e.ts);
    if (severity !== null) {
      reported = true;
      report(a, e, run, {
        rule: 'download-then-execute',
        severity,
        subject: path,
        message: `ran \`${cmd}\`: a file written by ${taint.writer} (${taint.packageKey}) after network access`,
        suggestion: { field: 'exec', value: path, lifecycle: run.lifecycle, why: `ran \`${cmd}\` (downloaded by the script)`, review: true },
      });
    }
  }
  const { homeDir: home, projectDir: project } = a.ctx;
  // The manager's own programs (pnpm's bundled node-gyp in HOME; Yarn's script wrappers in
  // `/tmp/xfs-*`, a folder glob), as long as no script wrote them.
  const managerOwn = a.ctx.toolDirs.some((dir) => (dir.endsWith('*') ? withinFolderGlob(path, dir) : isWithin(path, dir))) && a.taint.get(path) === undefined;
  const inTmp = a.ctx.tmpDirs.some((t) => isWithin(path, t)) && !managerOwn;
  const inHome = isWithin(path, home) && !isWithin(path, project) && !isWithin(path, run.dir) && !managerOwn;
  if (!reported && (inTmp || inHome)) {
    const npx = isWithin(path, `${home}/.npm/_npx`);
    report(a, e, run, {
      rule: 'exec-from-temp-or-home',
      severity: npx ? 'medium' : 'high',
      subject: path,
      message: npx ? `ran \`${cmd}\` from npx's cache (a package fetched on the fly)` : `ran \`${cmd}\` from ${inTmp ? 'a temporary folder' : 'HOME'}`,
      suggestion: { field: 'exec', value: path, lifecycle: run.lifecycle, why: `ran \`${cmd}\``, review: !npx },
    });
    reported = true;
  }
  // Already reported for where it came from; "not in the list" would say less.
  if (e.ok === false || reported || isBaselineProgram(a.ctx.marker, path)) return;
  const pinned = a.policy.forPackage(run.package).exec;
  if (pinned === null) return;
  report(a, e, run, {
    rule: 'exec-not-allowed',
    subject: path,
    message: `ran \`${cmd}\`, which is not in its exec list`,
    suggestion: { field: 'exec', value: path, lifecycle: run.lifecycle, why: `ran \`${cmd}\`` },
  });
}

/**
 * A `node_modules/.bin` entry that runs in another package's script is the planter's doing, not the
 * runner's: one a script wrote there at install time (blamed on that script's package), or one a
 * package declares in its `bin` under the name of a system program (the lockfile says whose; the
 * host tags the exec with it), which every later script with that folder first in PATH runs instead
 * of the real one.
 */
function judgePlantedBin(a: Analysis, e: ProcessExecEvent, run: ScriptRun, path: string, cmd: string): void {
  const planter = a.plantedBins.get(path);
  if (planter !== undefined && packageKey(planter.package) !== packageKey(run.package)) {
    report(a, e, planter, {
      rule: 'planted-bin',
      subject: path,
      message: `wrote ${path}, which then ran in ${run.package.name}@${run.package.version}'s ${run.lifecycle} script as \`${cmd}\``,
    });
    // What it does from here is the planter's code: its subtree is judged as the planter's.
    a.model.plant(e.pid, path, run, planter, e.ts);
    return;
  }
  const owner = e.binOf;
  if (owner === undefined || !SYSTEM_PROGRAMS.has(basename(path))) return;
  if (owner.name === run.package.name && owner.version === run.package.version) return;
  // The registry's npm declaring `npm` is the project's own copy of npm, not a shadow of it.
  if (owner.source === 'registry' && PACKAGE_MANAGER_BINS.get(owner.name)?.has(basename(path)) === true) return;
  report(a, e, undefined, {
    rule: 'planted-bin',
    package: { name: owner.name, version: owner.version },
    subject: path,
    message: `declares the bin ${basename(path)}, shadowing the system program: it ran in ${run.package.name}@${run.package.version}'s ${run.lifecycle} script as \`${cmd}\``,
  });
  a.model.plant(e.pid, path, run, { identity: owner }, e.ts);
}

/** `path` is inside a folder matching `glob` (`/tmp/xfs-*`: one folder level, its name starting with what precedes the `*`). */
export function withinFolderGlob(path: string, glob: string): boolean {
  const prefix = glob.slice(0, -1);
  if (!path.startsWith(prefix)) return false;
  const rest = path.slice(prefix.length);
  const slash = rest.indexOf('/');
  return slash > 0 && !rest.slice(0, slash).includes('..');
}

/** Programs every script runs: the marker, the shell npm starts it with, and Node. */
export function isBaselineProgram(marker: string, path: string): boolean {
  const name = basename(path);
  if (path === marker) return true;
  if (SHELLS.has(name) && /^\/(?:usr\/)?(?:local\/)?s?bin\//.test(path)) return true;
  return (name === 'node' || name === 'nodejs') && /^\/(?:usr\/)?(?:local\/)?bin\//.test(path);
}
