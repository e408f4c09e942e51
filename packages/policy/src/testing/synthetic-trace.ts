/**
 * Builds synthetic traces for tests: the events the tracer and the gateway would emit for a
 * package manager and its lifecycle scripts, with ids, timestamps, pids and attribution filled in.
 * Not shipped (excluded from the package's files).
 */
import { createHash } from 'node:crypto';
import { SANDBOX_HELPERS, SANDBOX_PATHS, SCRIPT_SHELL_ARGS, type DecoyIndex, type PackageIdentity, type PackageRef, type TraceEvent } from '@safe-install/schema';
import { evaluate } from '../evaluate.js';
import type { Evaluation, EvaluationContext, Policy, PolicyFinding } from '../policy-types.js';
import { defaultPolicy, resolvePolicy } from '../resolve-policy.js';
import { parsePolicyText } from '../validate/parse-policy-text.js';

export const PROJECT: string = SANDBOX_PATHS.project;
export const HOME: string = SANDBOX_PATHS.home;
export const NM: string = SANDBOX_PATHS.nodeModules;
export const MARKER: string = SANDBOX_HELPERS.scriptShell;

export const CONTEXT: EvaluationContext = {
  projectDir: PROJECT,
  homeDir: HOME,
  tmpDir: SANDBOX_PATHS.tmp,
  nodeModules: NM,
  // The registry's host comes from npm's configuration in real runs; tests use a reserved name.
  registryHosts: ['registry.example'],
  now: Date.parse('2026-06-01T12:00:00Z'),
};

export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

type Dist<T> = T extends unknown ? Omit<T, 'id' | 'ts' | 'source' | 'pid' | 'ppid'> & Partial<Pick<TraceEvent, 'source'>> : never;
type Body = Dist<TraceEvent>;

type Intent = 'r' | 'w' | 'rw' | 'c';
export interface CallResult {
  ok?: boolean;
  errno?: string;
  /** An exec the tracer recognised as the image's own package manager (by path). */
  packageManager?: boolean;
}

/** A whole trace under construction. */
export class Trace {
  readonly events: TraceEvent[] = [];
  #ts = 1_800_000_000_000;
  #nextPid = 100;
  #nextSocket = 9000;
  /** The package manager: pid 22, running `npm ci` in the project. */
  readonly pm: Proc;

  constructor() {
    this.pm = new Proc(this, 22, 0, undefined, undefined);
    this.pm.emit({ type: 'process', action: 'exec', path: '/usr/local/bin/node', argv: ['node', '/usr/local/bin/npm', 'ci'], cwd: PROJECT, ok: true });
  }

  tick(): number {
    this.#ts += 1;
    return this.#ts;
  }

  pid(): number {
    return this.#nextPid++;
  }

  #runs = 0;

  socket(): string {
    return String(this.#nextSocket++);
  }

  push(event: TraceEvent): TraceEvent {
    this.events.push(event);
    return event;
  }

  /**
   * Start a lifecycle script the way npm and the tracer's marker do: npm spawns a process that
   * execs the marker (`--run name version event command`), then `sh -c command`.
   */
  script(
    spec: string,
    lifecycle: string,
    command: string,
    options: { cwd?: string; hash?: string; identity?: PackageIdentity; claimed?: PackageRef; parentRun?: number; under?: Proc } = {},
  ): Proc {
    const at = spec.lastIndexOf('@');
    const pkg: PackageRef = { name: spec.slice(0, at), version: spec.slice(at + 1) };
    const pid = this.pid();
    const parent = options.under ?? this.pm;
    parent.emit({ type: 'process', action: 'spawn', child: pid, syscall: 'clone', thread: false, ok: true });
    const cwd = options.cwd ?? `${NM}/${pkg.name}`;
    const root = new Proc(this, pid, parent.pid, pkg, lifecycle);
    root.runNumber = ++this.#runs;
    root.emit({
      type: 'script',
      action: 'start',
      command,
      commandHash: options.hash ?? sha256(command),
      cwd,
      ...(options.identity === undefined ? {} : { identity: options.identity }),
      ...(options.claimed === undefined ? {} : { claimed: options.claimed }),
      ...(options.parentRun === undefined ? {} : { parentRun: options.parentRun }),
    });
    root.emit({ type: 'process', action: 'exec', path: MARKER, argv: [MARKER, SCRIPT_SHELL_ARGS.run, pkg.name, pkg.version, lifecycle, command], cwd, ok: true });
    root.emit({ type: 'process', action: 'exec', path: '/bin/sh', argv: ['/bin/sh', '-c', command], cwd, ok: true });
    root.cwd = cwd;
    return root;
  }

  /** A gateway HTTP event, linked to `from` by its socket when given. */
  http(fields: { method?: string; url: string; host: string; port?: number; decision: 'allowed' | 'denied' | 'sinked' | 'registry'; headers?: Record<string, string>; body?: string }, from?: Proc): TraceEvent {
    const socket = from === undefined ? undefined : from.connect('127.0.0.1', 8080, { socket: this.socket() }).socket;
    const body: Body = {
      type: 'http',
      method: fields.method ?? 'GET',
      url: fields.url,
      host: fields.host,
      port: fields.port ?? 443,
      decision: fields.decision,
      ...(socket === undefined ? {} : { socket }),
      ...(fields.headers === undefined && fields.body === undefined
        ? {}
        : { request: { headers: fields.headers ?? {}, ...(fields.body === undefined ? {} : { body: fields.body }), bodyBytes: fields.body?.length ?? 0 } }),
    } as Body;
    return this.pushGateway(body);
  }

  /** A gateway DNS event, linked to `from` by its socket when given. */
  dns(name: string, from?: Proc, answered: 'allowed' | 'sinked' = 'sinked'): TraceEvent {
    const socket = from === undefined ? undefined : from.connect('127.0.0.1', 53, { socket: this.socket(), family: 'AF_INET' }).socket;
    return this.pushGateway({ type: 'dns', name, qtype: 'A', answered, ...(socket === undefined ? {} : { socket }) } as Body);
  }

  /**
   * An `fsdiff` event as the runner sends it after the install: `mtime` is the file's modification
   * time (default: now), `writer` the last traced writer the runner knew of.
   */
  fsdiff(change: 'created' | 'modified' | 'deleted', path: string, options: { mtime?: number | null; writer?: Proc } = {}): TraceEvent {
    const ts = this.tick();
    const mtime = options.mtime === null ? {} : { mtime: options.mtime ?? ts };
    const who = options.writer?.pkg === undefined ? {} : { package: options.writer.pkg, ...(options.writer.lifecycle === undefined ? {} : { lifecycle: options.writer.lifecycle }) };
    return this.push({ id: `f${this.events.length + 1}`, ts, source: 'fsdiff', pid: 0, ppid: 0, type: 'fsdiff', change, path, ...mtime, ...who } as TraceEvent);
  }

  /** The current time of the trace (the last event's), without advancing it. */
  now(): number {
    return this.#ts;
  }

  /** A `decoy-exfiltration` event as the gateway reports it. */
  decoy(fields: { decoyKind: string; where: 'dns' | 'url' | 'header' | 'body' | 'argv' | 'file'; encoding?: string; seenIn?: string }): TraceEvent {
    return this.pushGateway({ type: 'decoy-exfiltration', encoding: 'plain', ...fields } as Body);
  }

  pushGateway(body: Body): TraceEvent {
    const id = `g${this.events.length + 1}`;
    return this.push({ id, ts: this.tick(), source: 'gateway', pid: 0, ppid: 0, ...body } as TraceEvent);
  }
}

/** A process in the trace; its events carry its package attribution. */
export class Proc {
  cwd = PROJECT;
  /** The script run its events carry (`run`), as the tracer numbers them. */
  runNumber?: number;

  constructor(
    readonly trace: Trace,
    readonly pid: number,
    readonly ppid: number,
    readonly pkg: PackageRef | undefined,
    readonly lifecycle: string | undefined,
  ) {}

  emit(body: Body): TraceEvent {
    const id = `t${this.trace.events.length + 1}`;
    const event = {
      id,
      ts: this.trace.tick(),
      source: 'tracer',
      pid: this.pid,
      ppid: this.ppid,
      ...(this.pkg === undefined ? {} : { package: this.pkg, lifecycle: this.lifecycle }),
      ...(this.runNumber === undefined ? {} : { run: this.runNumber }),
      ...body,
    } as TraceEvent;
    return this.trace.push(event);
  }

  /** fork + exec: a child running `argv` (argv[0] resolved to `path`). */
  run(path: string, argv: string[], result: CallResult = {}): Proc {
    const pid = this.trace.pid();
    this.emit({ type: 'process', action: 'spawn', child: pid, syscall: 'clone', thread: false, ok: true });
    const child = new Proc(this.trace, pid, this.pid, this.pkg, this.lifecycle);
    child.cwd = this.cwd;
    if (this.runNumber !== undefined) child.runNumber = this.runNumber;
    child.exec(path, argv, result);
    return child;
  }

  /** A thread of this process. */
  thread(): Proc {
    const pid = this.trace.pid();
    this.emit({ type: 'process', action: 'spawn', child: pid, syscall: 'clone', thread: true, ok: true });
    const thread = new Proc(this.trace, pid, this.ppid, this.pkg, this.lifecycle);
    if (this.runNumber !== undefined) thread.runNumber = this.runNumber;
    return thread;
  }

  exec(path: string, argv: string[], result: CallResult = {}): TraceEvent {
    return this.emit({
      type: 'process',
      action: 'exec',
      path,
      argv,
      cwd: this.cwd,
      ok: result.ok ?? true,
      ...(result.errno === undefined ? {} : { errno: result.errno }),
      ...(result.packageManager === true ? { packageManager: true } : {}),
    });
  }

  open(path: string, intent: Intent = 'r', result: CallResult = {}): TraceEvent {
    const flags = {
      r: { read: true, write: false, create: false, truncate: false },
      w: { read: false, write: true, create: true, truncate: true },
      rw: { read: true, write: true, create: false, truncate: false },
      c: { read: false, write: true, create: true, truncate: false },
    }[intent];
    return this.emit({ type: 'file', action: 'open', path, intent: flags, ok: result.ok ?? true, ...(result.errno === undefined ? {} : { errno: result.errno }) });
  }

  read(path: string, result: CallResult = {}): TraceEvent {
    return this.open(path, 'r', result);
  }

  write(path: string, result: CallResult = {}): TraceEvent {
    return this.open(path, 'w', result);
  }

  file(action: 'unlink' | 'rmdir' | 'mkdir' | 'stat', path: string, result: CallResult = {}): TraceEvent {
    return this.emit({ type: 'file', action, path, ok: result.ok ?? true, ...(result.errno === undefined ? {} : { errno: result.errno }) });
  }

  rename(from: string, to: string): TraceEvent {
    return this.emit({ type: 'file', action: 'rename', path: from, target: to, ok: true });
  }

  /** Hard link: `to` becomes another name of `from`. */
  link(from: string, to: string): TraceEvent {
    return this.emit({ type: 'file', action: 'link', path: from, target: to, ok: true });
  }

  symlink(pointsTo: string, link: string): TraceEvent {
    return this.emit({ type: 'file', action: 'symlink', path: pointsTo, target: link, ok: true });
  }

  chmod(path: string, mode: string): TraceEvent {
    return this.emit({ type: 'file', action: 'chmod', path, mode, ok: true });
  }

  connect(address: string, port: number | undefined, options: CallResult & { family?: string; socket?: string; data?: string; action?: 'connect' | 'sendto' } = {}): TraceEvent & { socket?: string } {
    const family = options.family ?? (address.startsWith('/') ? 'AF_UNIX' : address.includes(':') ? 'AF_INET6' : 'AF_INET');
    return this.emit({
      type: 'network',
      action: options.action ?? 'connect',
      family,
      address,
      ...(port === undefined ? {} : { port }),
      ...(options.socket === undefined ? {} : { socket: options.socket }),
      ...(options.data === undefined ? {} : { data: options.data }),
      ok: options.ok ?? true,
      ...(options.errno === undefined ? {} : { errno: options.errno }),
    }) as TraceEvent & { socket?: string };
  }

  /** A DNS query sent with sendto, payload as the tracer records it. */
  dnsQuery(server: string, name: string, port = 53): TraceEvent {
    const labels = name.split('.').map((l) => String.fromCharCode(l.length) + l).join('');
    const data = `\u00ab\u00cd\u0001\u0000\u0000\u0001\u0000\u0000\u0000\u0000\u0000\u0000${labels}\u0000\u0000\u0001\u0000\u0001`;
    return this.connect(server, port, { action: 'sendto', data });
  }

  lingering(outcome: 'killed' | 'exited'): TraceEvent {
    return this.emit({ type: 'process', action: 'lingering', outcome });
  }

  signal(target: number, signal: string): TraceEvent {
    return this.emit({ type: 'process', action: 'signal', target, signal, ok: true });
  }

  notice(message: string): TraceEvent {
    return this.emit({ type: 'notice', message });
  }

  exit(code = 0): TraceEvent {
    return this.emit({ type: 'process', action: 'exit', code });
  }

  /** A script's root ending: its exit, then the script's end. */
  end(code = 0): TraceEvent {
    this.exit(code);
    return this.emit({ type: 'script', action: 'end', code });
  }
}

/** A decoy index like the sandbox plants: an npm token in ~/.npmrc and env, AWS keys, an ssh key, a .env. */
export const DECOYS: DecoyIndex = {
  values: [
    { kind: 'npm-token', value: 'npm_Q9vX2mT7bL4kR8wZ1cY6nH3jF5sD0aG2pE7u', plantedAt: [`${HOME}/.npmrc`, 'env:NPM_TOKEN'] },
    { kind: 'github-token', value: 'ghp_7Hq2Lm9Xc4Vb1Nz8Kd3Fw6Ty0Rs5Pa2Je9Ug', plantedAt: ['env:GITHUB_TOKEN'] },
    { kind: 'aws-secret-access-key', value: 'k3J9fQ2vN8xL5wR1tY7uI4oP6aS0dF2gH8jK1lZx', plantedAt: [`${HOME}/.aws/credentials`] },
    { kind: 'env-file-value', value: 'postgres://app:Wq8vT2nX5bK9@db.internal.test:5432/app', plantedAt: [`${PROJECT}/.env`] },
  ],
  files: [
    { path: `${HOME}/.npmrc`, kind: 'npm-token' },
    { path: `${HOME}/.aws/credentials`, kind: 'aws-secret-access-key' },
    { path: `${HOME}/.ssh/id_ed25519`, kind: 'ssh-private-key' },
    { path: `${PROJECT}/.env`, kind: 'env-file-value' },
  ],
};

// --- evaluation helpers ------------------------------------------------------------------------


/** A resolved policy from YAML text (throws on invalid input: tests write valid policies). */
export function policyFrom(yaml: string): Policy {
  const parsed = parsePolicyText(yaml, { file: 'safe-install.config.yaml', format: 'yaml' });
  if (parsed.value === null) throw new Error(parsed.errors.map((e) => e.message).join('\n'));
  const resolved = resolvePolicy({ document: parsed.value, documentFile: 'safe-install.config.yaml' }).value;
  if (resolved === null) throw new Error('bad policy');
  return resolved;
}

/** A policy that exists but allows nothing. */
export const EMPTY_POLICY = (): Policy => policyFrom('version: 1\n');

/** Evaluate a trace (default: no policy at all, the standard decoys). */
export function judge(trace: Trace | readonly TraceEvent[], policy: Policy = defaultPolicy(), decoys: DecoyIndex = DECOYS): Evaluation {
  const events = trace instanceof Trace ? trace.events : trace;
  return evaluate({ events, policy, decoys, context: CONTEXT });
}

/** `rule:severity` of every finding, for compact assertions. */
export function summary(result: Evaluation): string[] {
  return result.findings.map((f) => `${f.ruleId}:${f.severity}`);
}

/** Findings of one rule. */
export function findingsOf(result: Evaluation, rule: string): PolicyFinding[] {
  return result.findings.filter((f) => f.ruleId === rule);
}

/** Findings other than the `script-not-allowed` info every script gets without a policy. */
export function behaviour(result: Evaluation): string[] {
  return summary(result).filter((s) => s !== 'script-not-allowed:info');
}
