/**
 * The trace event schema. One event per line in a trace file (JSON Lines), after its header
 * (trace-file.ts).
 *
 * Every event keeps the result of the call it records (`ok` and, on failure, `errno`): a failed
 * `connect` is evidence too, and ossf/package-analysis's habit of recording failed calls as if they
 * succeeded is exactly what we do not want.
 */

/**
 * Bumped on any incompatible change to the event shapes or the trace file. 2: the file's first
 * line is a header (trace-file.ts).
 */
export const TRACE_SCHEMA_VERSION = 2;

/** A package as npm names it. */
export interface PackageRef {
  name: string;
  version: string;
}

/**
 * Where a locked package comes from: the project itself (`project`: the root), one of its
 * workspaces, the registry, a `file:` tarball or folder, a git repository, another URL; `unlocked`
 * for a folder the lockfile does not list.
 */
export type PackageSource = 'project' | 'workspace' | 'registry' | 'file' | 'git' | 'remote' | 'unlocked';

/**
 * Who a package is, as the project's lockfile says — never as the package says of itself.
 *
 * `name` is the real package: for a registry package the name in its `resolved` URL (else the
 * lockfile's `name`, else the folder's), so an npm alias (`"trusted": "npm:other@1"`) is `other`;
 * for a `file:`, git or URL dependency the name it was declared under (the folder's name), since
 * the name in its own package.json is only its claim. Policies match `name@version`; `resolved`
 * and `integrity` say which bytes those are (npm's `allowScripts` matches file and git
 * dependencies by `resolved`).
 */
export interface PackageIdentity extends PackageRef {
  /** The package's folder relative to the project (`''` for the root, `node_modules/a`, `packages/b`). */
  path: string;
  /** The name it is installed under (its folder's name); differs from `name` for an alias. */
  installedAs: string;
  source: PackageSource;
  /** The lockfile's `resolved`: a registry URL, `file:…`, `git+…`; absent when the lockfile omits it. */
  resolved?: string;
  /** The lockfile's `integrity` (SRI). */
  integrity?: string;
}

/** Where an event came from. */
export type EventSource = 'tracer' | 'gateway' | 'sandbox' | 'fsdiff';

export interface EventBase {
  /** Unique within one trace; findings cite events by id. */
  id: string;
  /** Milliseconds since the Unix epoch, microsecond precision. */
  ts: number;
  source: EventSource;
  /** Process id inside the sandbox; 0 when the event has no process (gateway, fs diff). */
  pid: number;
  /** Parent pid at the time of the event; 0 when unknown. */
  ppid: number;
  /** The package whose lifecycle script caused the event, when attribution is possible. */
  package?: PackageRef;
  /** The lifecycle event (`preinstall`, `install`, `postinstall`, `prepare`, ...). */
  lifecycle?: string;
  /**
   * The lifecycle script run the event is attributed to: the `run` of that run's `script` start
   * event (numbered by the tracer, unique in a trace). `package` is that run's package.
   */
  run?: number;
  /**
   * The step of the sandbox job the event belongs to (`install`, `import`, `run`, `probe`, …; see
   * job.ts). Set by the runner on every event of a step; absent on the host's own notices.
   */
  phase?: string;
  /** Did the call succeed? Absent for events that are not calls (exits, summaries). */
  ok?: boolean;
  /** errno name on failure (`ENOENT`, `EPERM`, ...). */
  errno?: string;
}

export interface ProcessSpawnEvent extends EventBase {
  type: 'process';
  action: 'spawn';
  /** The new process or thread. */
  child: number;
  /**
   * The syscall that created it: fork, vfork, clone, clone3. Or, for processes no tracer saw
   * created: `untraced` for a script shell the (untraced) package manager started, `script-tracer`
   * for a lifecycle script started in its script shell's place by its own tracer (see the runner).
   */
  syscall: string;
  /** True when the clone created a thread (CLONE_THREAD), not a process. */
  thread: boolean;
}

export interface ProcessExecEvent extends EventBase {
  type: 'process';
  action: 'exec';
  /** Absolute path of the executable as passed to execve (resolved against cwd). */
  path: string;
  argv: string[];
  cwd: string;
  /** True when strace cut the argument list or an argument short. */
  truncated?: boolean;
  /**
   * The process now runs the sandbox image's own package manager (its npm or npx, by path, or
   * the image's node running it): set by the tracer, never inferred from a name.
   */
  packageManager?: boolean;
  /**
   * The package whose `bin` this path is, when it is a `node_modules/.bin` entry the lockfile
   * assigns to a package (set on the host): a planted `.bin/node` is its planter's doing.
   */
  binOf?: PackageIdentity;
  /**
   * The path the program named, when the executable was reached through a file descriptor and
   * `path` is what the descriptor held: `/proc/self/fd/3` for `path` `/memfd:x (deleted)`.
   */
  via?: string;
}

export interface ProcessExitEvent extends EventBase {
  type: 'process';
  action: 'exit';
  /** Exit code, when the process exited. */
  code?: number;
  /** Signal name, when the process was killed. */
  signal?: string;
}

/** A process still alive after its lifecycle script ended. */
export interface ProcessLingeringEvent extends EventBase {
  type: 'process';
  action: 'lingering';
  /** What happened to it after the grace period. */
  outcome: 'killed' | 'exited';
}

/** A signal sent to another process (kill, tkill, tgkill) — e.g. an attempt on the tracer. */
export interface ProcessSignalEvent extends EventBase {
  type: 'process';
  action: 'signal';
  target: number;
  signal: string;
}

/**
 * A call to a kernel interface a syscall tracer cannot follow, refused by the sandbox's seccomp
 * filter: io_uring (file and socket I/O with no open, read, write or connect), or a process created
 * with `CLONE_UNTRACED` (not followed by the tracer). The call failed: `errno` says how (ENOSYS
 * from the tracer for io_uring), or `signal` when the kernel refused it with SIGSYS (a clone with
 * CLONE_UNTRACED; the tracer then sees the signal, not the call, so `flags` is absent).
 */
export interface ProcessUntraceableEvent extends EventBase {
  type: 'process';
  action: 'untraceable';
  /** `io_uring_setup`, `io_uring_enter`, `io_uring_register`, `clone`, `clone3`. */
  syscall: string;
  /** The clone flags asked for, when the tracer saw the call. */
  flags?: string[];
  /** `SIGSYS` when seccomp refused the call with a signal. */
  signal?: string;
}

export type ProcessEvent =
  | ProcessUntraceableEvent
  | ProcessSpawnEvent
  | ProcessExecEvent
  | ProcessExitEvent
  | ProcessLingeringEvent
  | ProcessSignalEvent;

/** `stat`: a look at whether (and what) a path is, without opening it — `[ -f /.dockerenv ]`. */
export type FileAction = 'open' | 'stat' | 'unlink' | 'rename' | 'link' | 'symlink' | 'chmod' | 'mkdir' | 'rmdir' | 'utime';

/**
 * How a memfd (an in-memory file from `memfd_create`) appears as a path: `/memfd:NAME`, what its
 * descriptor shows in `/proc/PID/fd`. No file on disk has such a name (the root is read-only).
 */
export const MEMFD_PATH_PREFIX = '/memfd:';

export interface FileEvent extends EventBase {
  type: 'file';
  action: FileAction;
  /** Absolute path, resolved against the process cwd and dirfds. */
  path: string;
  /** Second path for rename, link and symlink (the new name). */
  target?: string;
  /** For open: what the caller intended. */
  intent?: { read: boolean; write: boolean; create: boolean; truncate?: boolean };
  /** For chmod, mkdir and creating opens: the requested mode, octal string. */
  mode?: string;
  /**
   * For utime (`utimensat`, `utime`, `utimes`, `futimesat`): the modification time the call set
   * (epoch ms; the call's own time when it asked for "now"). Absent when strace could not show it.
   * A call that leaves the modification time as it is (`UTIME_OMIT`) is not an event.
   */
  mtime?: number;
}

export interface NetworkEvent extends EventBase {
  type: 'network';
  action: 'connect' | 'bind' | 'sendto' | 'sendmsg';
  /** AF_INET, AF_INET6, AF_UNIX, AF_NETLINK, ... */
  family: string;
  /** IP address or unix socket path; absent when the call named no address. */
  address?: string;
  port?: number;
  /** First bytes of the payload for sendto/sendmsg, when strace decoded them. */
  data?: string;
  /** Kernel inode of the socket (`socket:[N]`), to link gateway events to this process. */
  socket?: string;
}

/** Start and end of a lifecycle script, as seen by the tracer's script-shell. */
export interface ScriptEvent extends EventBase {
  type: 'script';
  action: 'start' | 'end';
  /** The script's command line (start). */
  command?: string;
  /** sha256 of the command, so a policy can pin a script's content. */
  commandHash?: string;
  /** The package's directory. */
  cwd?: string;
  /** Start of a script that a package manager run inside another script started (`npm run build` in a `prepare`): that script's run. */
  parentRun?: number;
  /** Start: who the package is, from the lockfile entry of the script's folder (set on the host). */
  identity?: PackageIdentity;
  /**
   * Start: the name and version the script's environment claimed (`npm_package_name`/`_version`,
   * from the package's own package.json), when they differ from `package`. Evidence only.
   */
  claimed?: PackageRef;
  code?: number;
  signal?: string;
}

/** A DNS query seen by the gateway's sink. */
export interface DnsEvent extends EventBase {
  type: 'dns';
  name: string;
  qtype: string;
  answered: 'allowed' | 'sinked';
  /** Inode of the client's socket inside the sandbox, when known (links the query to a process). */
  socket?: string;
}

/** An HTTP(S) request seen by the gateway. */
export interface HttpEvent extends EventBase {
  type: 'http';
  method: string;
  url: string;
  host: string;
  port: number;
  status?: number;
  /** Response bytes sent back to the sandbox. */
  bytes?: number;
  /**
   * `registry`: served by the registry proxy (from cache or upstream); `allowed`: forwarded by
   * policy; `denied`: refused (CONNECT to a host not allowed); `sinked`: answered by the gateway
   * itself, nothing forwarded.
   */
  decision: 'allowed' | 'denied' | 'sinked' | 'registry';
  /** For registry requests: whether the upstream was contacted (false: served from cache). */
  upstream?: boolean;
  /** Inode of the client's socket inside the sandbox, when known (links the request to a process). */
  socket?: string;
  /** For sinked requests: the request as the sandbox sent it, kept as evidence. */
  request?: { headers: Record<string, string>; body?: string; bodyBytes: number };
}

/** A decoy value seen where it should never be: a DNS name, a URL, a header, a body, argv. */
export interface DecoyExfiltrationEvent extends EventBase {
  type: 'decoy-exfiltration';
  /** Which decoy: `npm-token`, `github-token`, `aws-secret-key`, ... (see DecoyIndex). */
  decoyKind: string;
  where: 'dns' | 'url' | 'header' | 'body' | 'argv' | 'file';
  /** How it was encoded when found: `plain`, `hex`, `base64`, `base32`, `url`. */
  encoding: string;
  /** The event in which it was seen. */
  seenIn?: string;
}

/** A file that differs between the sandbox before and after the install. */
export interface FsDiffEvent extends EventBase {
  type: 'fsdiff';
  change: 'created' | 'modified' | 'deleted';
  path: string;
  /**
   * For created and modified files: the file's modification time after the install (epoch ms), so
   * a change no traced call explains is attributed to the script that was running then. The
   * event's own `ts` is when the diff was taken.
   */
  mtime?: number;
}

/**
 * How notices that mean "the trace is not whole" begin. The runner (lost tracer lines) and the
 * host (the run's trace limit) write them; the policy's `trace-incomplete` rule fails the run on
 * them, so a trace that could be blinded never passes.
 */
export const TRACE_GAP_NOTICE = 'trace incomplete:';
export const TRACE_LIMIT_NOTICE = 'trace limit reached:';

/**
 * The tail of a gap notice that shows what was lost: the first unreadable line, cut to 200
 * characters and JSON-escaped (it is untrusted: no control character reaches a terminal raw).
 */
export function gapSample(line: string | null): string {
  return line === null ? '' : `; the first: ${JSON.stringify(line.slice(0, 200))}`;
}

/** Something the tracer could not parse or had to drop, counted rather than hidden. */
export interface TracerNoticeEvent extends EventBase {
  type: 'notice';
  message: string;
  count?: number;
}

export type TraceEvent =
  | ProcessEvent
  | FileEvent
  | NetworkEvent
  | ScriptEvent
  | DnsEvent
  | HttpEvent
  | FsDiffEvent
  | DecoyExfiltrationEvent
  | TracerNoticeEvent;

export type TraceEventType = TraceEvent['type'];

/**
 * An event before the id, attribution and ordering that the merge step gives it.
 * The tracer emits these; the runner numbers them (`id`) as it streams them to the host.
 */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type RawEvent = DistributiveOmit<TraceEvent, 'id'>;
