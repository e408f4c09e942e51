/**
 * The one strace invocation the tracer uses. The parser in this folder is written against exactly
 * this output format, so the flags live here, next to it, and nowhere else.
 */

/**
 * The syscalls traced. Process creation and exec give the process tree and attribution; the file,
 * network and signal calls are the evidence (`stat` too: `[ -f /.dockerenv ]` and a shell's search
 * of PATH open nothing; node's own lookups use `statx`, which is left out, as is every `fstat`); `ptrace` and `setsid` reveal anti-analysis and
 * daemonising, `process_vm_*` reaching into another process (the package manager's, say, whose file
 * calls are not traced). Reads and writes are left out: they are most of the volume and say little that the
 * opens do not. `memfd_create` names an in-memory file that can be run without a path (fileless
 * execution); the io_uring calls are the sandbox's refused ones (see {@link TRACER_REFUSED_SYSCALLS}).
 * The time-setting calls (`utimensat`, and the older `utime`, `utimes`, `futimesat` a program can
 * still make directly) are traced because the filesystem diff attributes an unseen change by the
 * file's modification time: a script that sets it must be seen setting it.
 */
export const TRACED_SYSCALLS = [
  'execve',
  'execveat',
  'fork',
  'vfork',
  'clone',
  'clone3',
  'exit_group',
  'chdir',
  'fchdir',
  'open',
  'openat',
  'openat2',
  'creat',
  'unlink',
  'unlinkat',
  'rmdir',
  'rename',
  'renameat',
  'renameat2',
  'link',
  'linkat',
  'symlink',
  'symlinkat',
  'chmod',
  'fchmod',
  'fchmodat',
  'mkdir',
  'mkdirat',
  'utime',
  'utimes',
  'utimensat',
  'futimesat',
  'stat',
  'lstat',
  'newfstatat',
  'connect',
  'bind',
  'sendto',
  'sendmsg',
  'sendmmsg',
  'kill',
  'tkill',
  'tgkill',
  'ptrace',
  'process_vm_readv',
  'process_vm_writev',
  'setsid',
  'memfd_create',
  'io_uring_setup',
  'io_uring_enter',
  'io_uring_register',
] as const;

/**
 * Calls the sandbox's seccomp filter (docker/syscall-filter.c) hands to the tracer
 * (`SECCOMP_RET_TRACE`) instead of refusing them itself: a refusal by seccomp outranks the tracer's
 * own stop, so the attempt would never reach the trace. The tracer records each one and makes it
 * fail with ENOSYS (`-e inject`), the answer a kernel without io_uring gives, so programs fall back
 * to ordinary calls. Every one of them must be traced (an untraced call stopped by seccomp would
 * be let through) and the filter must list exactly these.
 */
export const TRACER_REFUSED_SYSCALLS = ['io_uring_setup', 'io_uring_enter', 'io_uring_register'] as const;

/** A syscall in {@link TRACED_SYSCALLS}. */
export type TracedSyscall = (typeof TRACED_SYSCALLS)[number];

/** Longest string strace prints before cutting it with `...` (`-s`); also caps printed arrays. */
export const STRACE_STRING_LIMIT = 4096;

/**
 * The fixed flags, in order:
 * - `-f` follows forks, vfork, clones and threads;
 * - `--seccomp-bpf` stops only at traced syscalls, so untraced ones run at full speed;
 * - `-ttt` prints absolute timestamps with microseconds (the parser expects them);
 * - `-y` decorates fds with their paths: resolves dirfds, fchdir and the files actually opened;
 * - `-s 4096` keeps argv elements, paths and payload prefixes whole enough to be evidence;
 * - `--pidns-translation` adds, to every pid a traced process names or gets back (a fork's result,
 *   a kill's target) from inside a PID namespace of its own, the same pid as strace sees it —
 *   the pid the output's lines carry — as `N /* M in strace's PID NS *\/`: a script runs in its own
 *   namespace (see docker/npm-lifecycle.c), and the trace keeps strace's pids throughout;
 * - `-q` keeps attach/detach chatter out of the output;
 * - `-e signal=!SIGCHLD` drops the child-exit notices every shell generates;
 * - `-e inject=...:error=ENOSYS` fails the calls the sandbox hands to the tracer, after recording them;
 * - `-e trace=...` the set above.
 */
export const STRACE_FIXED_FLAGS: readonly string[] = [
  '-f',
  '--seccomp-bpf',
  '-ttt',
  '-y',
  '-s',
  String(STRACE_STRING_LIMIT),
  '--pidns-translation',
  '-q',
  '-e',
  'signal=!SIGCHLD',
  '-e',
  `inject=${TRACER_REFUSED_SYSCALLS.join(',')}:error=ENOSYS`,
  '-e',
  `trace=${TRACED_SYSCALLS.join(',')}`,
];

/** Arguments of {@link straceArgs}. */
export interface StraceArgsOptions {
  /** Where strace writes the trace: a file path, or `/dev/fd/N` for a pipe the runner holds. */
  output: string;
  /**
   * The user the command runs as (`-u`): strace runs as root, the install does not. Left out when
   * the command drops its privileges itself (a script's namespace entry must start as root).
   */
  user?: string;
  /** The command and its arguments. */
  command: readonly string[];
}

/**
 * The argv after `strace` for the fixed invocation:
 * `strace -f --seccomp-bpf -ttt -y -s 4096 --pidns-translation -q -e signal='!SIGCHLD' -e inject=REFUSED:error=ENOSYS -e trace=SET -o OUT [-u USER] -- CMD...`.
 *
 * Throws on an empty command, output or user: that is a bug in the caller, not input to tolerate.
 */
export function straceArgs({ output, user, command }: StraceArgsOptions): string[] {
  if (output === '') throw new Error('straceArgs: output must not be empty');
  if (user !== undefined && user === '') throw new Error('straceArgs: user must not be empty');
  if (command.length === 0 || command[0] === '') throw new Error('straceArgs: command must not be empty');
  // `--` ends strace's options, so a command starting with `-` is never taken for one.
  return [...STRACE_FIXED_FLAGS, '-o', output, ...(user === undefined ? [] : ['-u', user]), '--', ...command];
}
