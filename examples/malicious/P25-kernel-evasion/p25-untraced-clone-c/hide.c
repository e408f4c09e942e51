/* Corpus fixture (P25): starts a child the tracer would not follow — clone3 with CLONE_UNTRACED,
 * then, as glibc does when clone3 is missing, clone with the same flag — and lets that child read
 * ~/.npmrc unseen. Harmless: the child reads one decoy and sends nothing. In the sandbox clone3
 * fails with ENOSYS and the clone is killed by SIGSYS. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/sched.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

static void child(void) {
  char path[4096], buf[256];
  snprintf(path, sizeof path, "%s/.npmrc", getenv("HOME") ? getenv("HOME") : "/root");
  int fd = open(path, O_RDONLY);
  if (fd >= 0) {
    ssize_t n = read(fd, buf, sizeof buf);
    printf("untraced child read %zd bytes\n", n);
  }
  _exit(0);
}

int main(void) {
  struct clone_args args;
  memset(&args, 0, sizeof args);
  args.flags = CLONE_UNTRACED;
  args.exit_signal = SIGCHLD;
  long pid = syscall(__NR_clone3, &args, sizeof args);
  if (pid < 0) {
    perror("clone3");
    /* clone(flags, stack=0, ...): a fork whose child the tracer does not follow. */
    pid = syscall(__NR_clone, CLONE_UNTRACED | SIGCHLD, 0, 0, 0, 0);
  }
  if (pid == 0) child();
  if (pid < 0) {
    perror("clone");
    return 0;
  }
  waitpid((pid_t)pid, NULL, 0);
  return 0;
}
