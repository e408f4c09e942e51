/*
 * syscall-filter PROGRAM [ARGS...]
 *
 * Adds the sandbox's own seccomp filter to the process, then execs PROGRAM (the container's init).
 * Every process of the sandbox inherits it and no process can remove it. It stacks on the
 * container's seccomp profile: the kernel runs both filters on every call and the stricter answer
 * wins. That profile is the sandbox's own (packages/sandbox/src/docker/seccomp-profile.ts: Docker's
 * default with io_uring allowed, so that the TRACE below decides; an engine's ERRNO would outrank
 * it); these rules hold under any profile.
 *
 * The rules close kernel interfaces that act without the calls a syscall tracer stops on:
 *
 *  - io_uring_setup, io_uring_enter, io_uring_register: SECCOMP_RET_TRACE. A ring does file and
 *    socket I/O with no open, read, write or connect. Under the script's tracer (strace
 *    --seccomp-bpf, which injects ENOSYS for these calls: see packages/tracer/src/strace/
 *    strace-args.ts) the call stops the tracer, so the attempt is in the trace, and fails. With no
 *    tracer attached (the package manager, the runner) the kernel fails it with ENOSYS. Either way
 *    a program sees "io_uring not available" and falls back to ordinary calls. (A plain
 *    SECCOMP_RET_ERRNO would win over the tracer's own SECCOMP_RET_TRACE, and the attempt would
 *    never reach the trace.)
 *  - clone with CLONE_UNTRACED: SECCOMP_RET_TRAP. Such a child is not followed by `strace -f`.
 *    SIGSYS outranks every other answer, so the tracer sees the signal (si_syscall names the call)
 *    even though it never sees the call; the caller dies unless it handles SIGSYS. No ordinary
 *    program sets the flag: glibc's fork, posix_spawn (CLONE_VM|CLONE_VFORK) and pthread_create
 *    never do.
 *  - clone3: SECCOMP_RET_ERRNO(ENOSYS). Its flags sit in memory a filter cannot read, so it cannot
 *    be checked; glibc >= 2.34 then falls back to clone, whose flags the rule above checks. Docker's
 *    default profile already answers ENOSYS for clone3 to a container without CAP_SYS_ADMIN; this
 *    rule keeps it so under any profile.
 *
 * PID namespaces: this filter refuses nothing namespace-related (clone with CLONE_NEWPID, unshare,
 * setns pass through it untouched); Docker's default profile is what refuses those without
 * CAP_SYS_ADMIN. Whoever gives each script a PID namespace of its own decides that exception in the
 * container's HostConfig, not here.
 *
 * Unknown architectures (or an ABI other than the ones listed) pass through: Docker's profile still
 * applies to them.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#define CLONE_UNTRACED_FLAG 0x00800000u

/* Syscall numbers per ABI: io_uring_setup, io_uring_enter, io_uring_register and clone3 are the
 * same on every architecture since 5.1/5.3; clone differs. */
#define NR_IO_URING_SETUP 425
#define NR_IO_URING_ENTER 426
#define NR_IO_URING_REGISTER 427
#define NR_CLONE3 435

#if defined(__x86_64__)
#define NATIVE_ARCH AUDIT_ARCH_X86_64
#define NATIVE_CLONE 56
#define COMPAT_ARCH AUDIT_ARCH_I386
#define COMPAT_CLONE 120
/* x32 calls run under AUDIT_ARCH_X86_64 with this bit set in the number. */
#define NATIVE_NR_MASK (~0x40000000u)
#elif defined(__aarch64__)
#define NATIVE_ARCH AUDIT_ARCH_AARCH64
#define NATIVE_CLONE 220
#define COMPAT_ARCH AUDIT_ARCH_ARM
#define COMPAT_CLONE 120
#define NATIVE_NR_MASK (~0u)
#else
#error "syscall-filter: add this architecture's numbers"
#endif

#define LOAD_NR BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr))
/* Clone's flags are its first argument on both ABIs here; CLONE_UNTRACED is in the low word. */
#define LOAD_ARG0_LOW BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0]))
#define RET(action) BPF_STMT(BPF_RET | BPF_K, (action))

/* One ABI's rules: 12 instructions, entered with the number loaded. */
#define ABI_RULES(clone_nr)                                                      \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_IO_URING_SETUP, 5, 0),                  \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_IO_URING_ENTER, 4, 0),                  \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_IO_URING_REGISTER, 3, 0),               \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NR_CLONE3, 3, 0),                          \
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (clone_nr), 3, 0),                         \
  RET(SECCOMP_RET_ALLOW),                                                        \
  RET(SECCOMP_RET_TRACE),                                                        \
  RET(SECCOMP_RET_ERRNO | (ENOSYS & SECCOMP_RET_DATA)),                          \
  LOAD_ARG0_LOW,                                                                 \
  BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, CLONE_UNTRACED_FLAG, 0, 1),               \
  RET(SECCOMP_RET_TRAP),                                                         \
  RET(SECCOMP_RET_ALLOW)

static struct sock_filter filter[] = {
  BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, NATIVE_ARCH, 2, 0),
  BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, COMPAT_ARCH, 15, 0),
  RET(SECCOMP_RET_ALLOW),
  /* native: 2 + 12 instructions */
  LOAD_NR,
  BPF_STMT(BPF_ALU | BPF_AND | BPF_K, NATIVE_NR_MASK),
  ABI_RULES(NATIVE_CLONE),
  /* compat */
  LOAD_NR,
  ABI_RULES(COMPAT_CLONE),
};

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: syscall-filter PROGRAM [ARGS...]\n");
    return 127;
  }
  struct sock_fprog prog = {.len = (unsigned short)(sizeof filter / sizeof filter[0]), .filter = filter};
  /* Docker's no-new-privileges already set this; without it an unprivileged filter is refused. */
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, 0, &prog) != 0) {
    /* Fail closed: a sandbox without its filter must not start. */
    fprintf(stderr, "syscall-filter: cannot install the seccomp filter: %s\n", strerror(errno));
    return 127;
  }
  execv(argv[1], argv + 1);
  fprintf(stderr, "syscall-filter: %s: %s\n", argv[1], strerror(errno));
  return 127;
}
