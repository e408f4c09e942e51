import { STRACE_FIXED_FLAGS, TRACED_SYSCALLS, TRACER_REFUSED_SYSCALLS, straceArgs } from './strace-args.js';

describe('straceArgs', () => {
  it('builds the fixed invocation', () => {
    expect(straceArgs({ output: '/dev/fd/3', user: 'node', command: ['npm', 'ci'] })).toEqual([
      '-f',
      '--seccomp-bpf',
      '-ttt',
      '-y',
      '-s',
      '4096',
      '--pidns-translation',
      '-q',
      '-e',
      'signal=!SIGCHLD',
      '-e',
      'inject=io_uring_setup,io_uring_enter,io_uring_register:error=ENOSYS',
      '-e',
      'trace=execve,execveat,fork,vfork,clone,clone3,exit_group,chdir,fchdir,open,openat,openat2,creat,unlink,unlinkat,rmdir,rename,renameat,renameat2,link,linkat,symlink,symlinkat,chmod,fchmod,fchmodat,mkdir,mkdirat,utime,utimes,utimensat,futimesat,stat,lstat,newfstatat,connect,bind,sendto,sendmsg,sendmmsg,kill,tkill,tgkill,ptrace,process_vm_readv,process_vm_writev,setsid,memfd_create,io_uring_setup,io_uring_enter,io_uring_register',
      '-o',
      '/dev/fd/3',
      '-u',
      'node',
      '--',
      'npm',
      'ci',
    ]);
  });

  it('leaves -u out for a command that drops its privileges itself', () => {
    const args = straceArgs({ output: 'out.txt', command: ['/x', '--enter'] });
    expect(args).not.toContain('-u');
    expect(args.slice(args.indexOf('-o'))).toEqual(['-o', 'out.txt', '--', '/x', '--enter']);
  });

  it('ends strace’s options before the command, whatever it looks like', () => {
    const args = straceArgs({ output: 'out.txt', user: 'u', command: ['-e', 'trace=none'] });
    expect(args.slice(args.indexOf('--'))).toEqual(['--', '-e', 'trace=none']);
  });

  it('keeps the traced set and the fixed flags in step', () => {
    expect(new Set(TRACED_SYSCALLS).size).toBe(TRACED_SYSCALLS.length);
    expect(STRACE_FIXED_FLAGS.at(-1)).toBe(`trace=${TRACED_SYSCALLS.join(',')}`);
  });

  it('traces every call the sandbox hands to the tracer, and fails it', () => {
    // A call stopped by the sandbox's SECCOMP_RET_TRACE that strace does not trace would run.
    for (const name of TRACER_REFUSED_SYSCALLS) expect(TRACED_SYSCALLS).toContain(name);
    expect(STRACE_FIXED_FLAGS).toContain(`inject=${TRACER_REFUSED_SYSCALLS.join(',')}:error=ENOSYS`);
  });

  it('rejects an empty command, output or user', () => {
    expect(() => straceArgs({ output: 'o', user: 'u', command: [] })).toThrow(/command/);
    expect(() => straceArgs({ output: 'o', user: 'u', command: [''] })).toThrow(/command/);
    expect(() => straceArgs({ output: '', user: 'u', command: ['x'] })).toThrow(/output/);
    expect(() => straceArgs({ output: 'o', user: '', command: ['x'] })).toThrow(/user/);
  });
});
