/*
 * spawn-script-tracer PID CPU -- TRACER [ARGS...]
 *
 * Starts the tracer for one lifecycle script in the place of the script-shell process PID, which
 * the package manager spawned and which waits for the script's exit status. The runner (root) calls
 * this after checking that PID is the package manager's own script shell. It:
 *
 *  - takes PID's stdin, stdout and stderr (pidfd_getfd: they are usually socket pairs, which
 *    /proc/PID/fd cannot reopen) so the script talks to the package manager exactly as if the
 *    package manager had spawned it;
 *  - moves into PID's working directory;
 *  - hands PID's environment, less the variable that names the runner's script broker (the script
 *    has no use for it, and it would tell the script what watches it), to the script through a
 *    memfd on descriptor 3, read by the script's namespace entry (npm-lifecycle --enter): the
 *    tracer, and that entry while it is root, run with an empty environment, so nothing in the
 *    script's environment (the package manager's) can steer root;
 *  - pins itself, and so the tracer, to CPU (unless CPU is -1): a ptrace stop that wakes the tracer
 *    on another CPU costs several times one that switches on the same CPU (the script itself is
 *    given every CPU back by npm-lifecycle --enter: it must see the CPU count of a real machine);
 *  - raises its OOM score, so a memory hog in a script is what the kernel kills, never the runner;
 *  - execs TRACER with ARGS.
 *
 * Written in C because this is the one step Node.js cannot do: take file descriptors from another
 * process. Exit status 127 and a message on stderr when anything fails before the exec.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/* Longest environment taken from PID; npm's script environment is tens of KiB. */
#define MAX_ENVIRON (1024 * 1024)
/* Where the script's environment waits for npm-lifecycle --enter (see there). */
#define ENVIRON_FD 3
/* The script shell finds the runner's broker through this; the script never sees it. */
static const char BROKER_VARIABLE[] = "SAFE_INSTALL_SCRIPT_BROKER=";

static void fail(const char *what) {
  fprintf(stderr, "spawn-script-tracer: %s: %s\n", what, strerror(errno));
  exit(127);
}

static long parse_long(const char *text, long min, long max) {
  char *end;
  errno = 0;
  long value = strtol(text, &end, 10);
  if (errno != 0 || *text == '\0' || *end != '\0' || value < min || value > max) {
    fprintf(stderr, "spawn-script-tracer: bad number: %s\n", text);
    exit(127);
  }
  return value;
}

int main(int argc, char **argv) {
  if (argc < 5 || strcmp(argv[3], "--") != 0) {
    fprintf(stderr, "usage: spawn-script-tracer PID CPU -- TRACER [ARGS...]\n");
    return 127;
  }
  pid_t pid = (pid_t)parse_long(argv[1], 1, 0x7fffffff);
  long cpu = parse_long(argv[2], -1, CPU_SETSIZE - 1);
  char **tracer = argv + 4;

  int pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
  if (pidfd < 0) fail("pidfd_open");
  for (int fd = 0; fd <= 2; fd++) {
    int taken = (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
    if (taken < 0) fail("pidfd_getfd");
    if (dup2(taken, fd) < 0) fail("dup2");
    if (taken != fd) close(taken);
  }

  char path[64];
  snprintf(path, sizeof path, "/proc/%d/cwd", (int)pid);
  int cwd = open(path, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (cwd < 0 || fchdir(cwd) < 0) fail("working directory");
  close(cwd);

  snprintf(path, sizeof path, "/proc/%d/environ", (int)pid);
  int envfd = open(path, O_RDONLY | O_CLOEXEC);
  if (envfd < 0) fail("environment");
  char *environ_buf = malloc(MAX_ENVIRON + 1);
  if (environ_buf == NULL) fail("malloc");
  size_t size = 0;
  for (;;) {
    ssize_t got = read(envfd, environ_buf + size, MAX_ENVIRON - size);
    if (got < 0 && errno == EINTR) continue;
    if (got < 0) fail("reading the environment");
    if (got == 0) break;
    size += (size_t)got;
    if (size == MAX_ENVIRON) {
      errno = E2BIG;
      fail("environment");
    }
  }
  close(envfd);
  environ_buf[size] = '\0';

  close(pidfd);

  /* The environment, less the broker's variable, into a memfd on ENVIRON_FD (not close-on-exec:
   * it passes through the tracer to the namespace entry, which reads and closes it). */
  int memfd = (int)syscall(SYS_memfd_create, "environ", 0);
  if (memfd < 0) fail("memfd_create");
  for (size_t i = 0; i < size;) {
    size_t len = strnlen(environ_buf + i, size - i);
    if (strncmp(environ_buf + i, BROKER_VARIABLE, sizeof BROKER_VARIABLE - 1) != 0) {
      size_t left = len + 1 > size - i ? size - i : len + 1;
      for (size_t done = 0; done < left;) {
        ssize_t put = write(memfd, environ_buf + i + done, left - done);
        if (put < 0 && errno == EINTR) continue;
        if (put < 0) fail("writing the environment");
        done += (size_t)put;
      }
    }
    i += len + 1;
  }
  if (lseek(memfd, 0, SEEK_SET) < 0) fail("lseek");
  if (memfd != ENVIRON_FD) {
    if (dup2(memfd, ENVIRON_FD) < 0) fail("dup2");
    close(memfd);
  }

  if (cpu >= 0) {
    cpu_set_t set;
    CPU_ZERO(&set);
    CPU_SET((int)cpu, &set);
    if (sched_setaffinity(0, sizeof set, &set) < 0) fail("sched_setaffinity");
  }
  int oom = open("/proc/self/oom_score_adj", O_WRONLY | O_CLOEXEC);
  if (oom >= 0) {
    if (write(oom, "500", 3) < 0) { /* best effort: the limit still holds without it */ }
    close(oom);
  }

  char *empty_env[] = {NULL};
  execve(tracer[0], tracer, empty_env);
  fail(tracer[0]);
  return 127;
}
