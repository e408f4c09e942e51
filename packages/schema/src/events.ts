/**
 * The trace event schema. One event per line in a trace file (JSON Lines).
 *
 * Every event keeps the result of the call it records (`ok` and, on failure, `errno`): a failed
 * `connect` is evidence too, and ossf/package-analysis's habit of recording failed calls as if they
 * succeeded is exactly what we do not want.
 */

/** Bumped on any incompatible change to the event shapes. */
export const TRACE_SCHEMA_VERSION = 1;

/** A package as npm names it. */
export interface PackageRef {
  name: string;
  version: string;
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

export type ProcessEvent =
  | ProcessSpawnEvent
  | ProcessExecEvent
  | ProcessExitEvent
  | ProcessLingeringEvent
  | ProcessSignalEvent;

/** `stat`: a look at whether (and what) a path is, without opening it — `[ -f /.dockerenv ]`. */
export type FileAction = 'open' | 'stat' | 'unlink' | 'rename' | 'link' | 'symlink' | 'chmod' | 'mkdir' | 'rmdir';

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
 * The tracer emits these; `finalizeTrace` turns them into TraceEvents.
 */
export type DistributiveOmit<T, K extends PropertyKey> = T extends unknown ? Omit<T, K> : never;
export type RawEvent = DistributiveOmit<TraceEvent, 'id'>;
