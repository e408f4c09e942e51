/**
 * The one strace invocation the tracer uses. The parser in this folder is written against exactly
 * this output format, so the flags live here, next to it, and nowhere else.
 */

/**
 * The syscalls traced. Process creation and exec give the process tree and attribution; the file,
 * network and signal calls are the evidence; `ptrace` and `setsid` reveal anti-analysis and
 * daemonising, `process_vm_*` reaching into another process (the package manager's, say, whose file
 * calls are not traced). Reads and writes are left out: they are most of the volume and say little that the
 * opens do not.
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
] as const;

/**
 * The syscalls traced in the package manager itself, whose scripts are traced separately: the
 * process tree, its network use and any signal or ptrace — none of the file calls it makes by the
 * thousand while unpacking (what it leaves on disk is in the filesystem diff). Each traced call
 * costs a stop of the traced process; untraced ones cost nothing.
 */
export const MANAGER_SYSCALLS = [
  'execve',
  'execveat',
  'fork',
  'vfork',
  'clone',
  'clone3',
  'exit_group',
  'chdir',
  'fchdir',
  'connect',
  'bind',
  'sendto',
  'sendmsg',
  'sendmmsg',
  'kill',
  'tkill',
  'tgkill',
  'ptrace',
  'setsid',
] as const satisfies readonly TracedSyscall[];

/** A syscall in {@link TRACED_SYSCALLS}. */
export type TracedSyscall = (typeof TRACED_SYSCALLS)[number];

/** Longest string strace prints before cutting it with `...` (`-s`); also caps printed arrays. */
export const STRACE_STRING_LIMIT = 4096;

/** The fixed flags for a given syscall set, in order: */
function fixedFlags(syscalls: readonly TracedSyscall[]): string[] {
  return ['-f', '--seccomp-bpf', '-ttt', '-y', '-s', String(STRACE_STRING_LIMIT), '-q', '-e', 'signal=!SIGCHLD', '-e', `trace=${syscalls.join(',')}`];
}

/**
 * The fixed flags, in order:
 * - `-f` follows forks, vfork, clones and threads;
 * - `--seccomp-bpf` stops only at traced syscalls, so untraced ones run at full speed;
 * - `-ttt` prints absolute timestamps with microseconds (the parser expects them);
 * - `-y` decorates fds with their paths: resolves dirfds, fchdir and the files actually opened;
 * - `-s 4096` keeps argv elements, paths and payload prefixes whole enough to be evidence;
 * - `-q` keeps attach/detach chatter out of the output;
 * - `-e signal=!SIGCHLD` drops the child-exit notices every shell generates;
 * - `-e trace=...` the set above.
 */
export const STRACE_FIXED_FLAGS: readonly string[] = fixedFlags(TRACED_SYSCALLS);

/** Arguments of {@link straceArgs}. */
export interface StraceArgsOptions {
  /** Where strace writes the trace: a file path, or `/dev/fd/N` for a pipe the runner holds. */
  output: string;
  /** The user the command runs as (`-u`): strace runs as root, the install does not. */
  user: string;
  /** The command and its arguments. */
  command: readonly string[];
  /** What to trace: everything (a script, the default) or the package manager's short list. */
  syscalls?: 'all' | 'manager';
}

/**
 * The argv after `strace` for the fixed invocation:
 * `strace -f --seccomp-bpf -ttt -y -s 4096 -q -e signal='!SIGCHLD' -e trace=SET -o OUT -u USER -- CMD...`.
 *
 * Throws on an empty command, output or user: that is a bug in the caller, not input to tolerate.
 */
export function straceArgs({ output, user, command, syscalls = 'all' }: StraceArgsOptions): string[] {
  if (output === '') throw new Error('straceArgs: output must not be empty');
  if (user === '') throw new Error('straceArgs: user must not be empty');
  if (command.length === 0 || command[0] === '') throw new Error('straceArgs: command must not be empty');
  // `--` ends strace's options, so a command starting with `-` is never taken for one.
  const flags = syscalls === 'manager' ? fixedFlags(MANAGER_SYSCALLS) : STRACE_FIXED_FLAGS;
  return [...flags, '-o', output, '-u', user, '--', ...command];
}
