/*
 * npm-lifecycle: the script shell npm (and pnpm) run every lifecycle script with, as
 * `npm-lifecycle -c COMMAND`, with the package and the lifecycle event in the environment.
 *
 * Traced installs (SAFE_INSTALL_SCRIPT_BROKER names the runner's loopback port): the package
 * manager is not traced, each script is, by a tracer of its own. So this shell does not run the
 * script: it asks the runner (root) to start the script's tracer in its place — with this
 * process's stdin, stdout, stderr, directory and environment — and waits for one line back:
 *   exit N | signal NAME   the script ran, traced, and ended so: end the same way;
 *   direct                 this process is inside a traced script already (a script running
 *                          `npm run x`): its tracer follows on, so run the script here;
 *   anything else          refused: fail the script rather than run it untraced.
 *
 * The script itself starts as `npm-lifecycle --run NAME VERSION EVENT COMMAND`: the tracer sees
 * arguments, not the environment, and attributes by this marker.
 *
 * Written in C and installed execute-only (0711): a process running a program its user cannot read
 * is not dumpable, so no script — same uid — can ptrace it, write its memory or read its
 * environment while it waits. (node is installed the same way, for the package manager.)
 */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#define MARKER "/usr/local/libexec/npm-lifecycle"

static int run_marker(const char *command) {
  const char *name = getenv("npm_package_name");
  const char *version = getenv("npm_package_version");
  const char *event = getenv("npm_lifecycle_event");
  execl(MARKER, MARKER, "--run", name ? name : "", version ? version : "", event ? event : "", command, (char *)NULL);
  perror("safe-install: " MARKER);
  return 127;
}

static int refuse(const char *why) {
  fprintf(stderr, "safe-install: the script tracer refused the script: %s\n", why);
  return 125;
}

/* Asks the broker; returns the exit status, or -1 for `direct`. */
static int ask_broker(const char *port_text) {
  char *end;
  long port = strtol(port_text, &end, 10);
  if (*port_text == '\0' || *end != '\0' || port < 1 || port > 65535) return refuse("bad SAFE_INSTALL_SCRIPT_BROKER");
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return refuse(strerror(errno));
  struct sockaddr_in address = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (connect(fd, (struct sockaddr *)&address, sizeof address) < 0) {
    fprintf(stderr, "safe-install: the script tracer is unreachable (%s); not running the script\n", strerror(errno));
    return 125;
  }
  char request[32];
  int length = snprintf(request, sizeof request, "%d\n", (int)getpid());
  if (write(fd, request, (size_t)length) != length) return refuse("request not sent");

  char reply[256];
  size_t got = 0;
  for (;;) {
    ssize_t n = read(fd, reply + got, sizeof reply - 1 - got);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) break;
    got += (size_t)n;
    if (memchr(reply, '\n', got) != NULL || got == sizeof reply - 1) break;
  }
  close(fd);
  reply[got] = '\0';
  char *newline = strchr(reply, '\n');
  if (newline != NULL) *newline = '\0';

  if (strcmp(reply, "direct") == 0) return -1;
  if (strncmp(reply, "exit ", 5) == 0) {
    long code = strtol(reply + 5, &end, 10);
    if (reply[5] != '\0' && *end == '\0' && code >= 0 && code <= 255) return (int)code;
  }
  if (strncmp(reply, "signal ", 7) == 0) {
    /* End as the script did, so the package manager reports the signal. */
    static const struct { const char *name; int number; } signals[] = {
        {"KILL", SIGKILL}, {"TERM", SIGTERM}, {"INT", SIGINT}, {"SEGV", SIGSEGV}, {"ABRT", SIGABRT},
        {"BUS", SIGBUS}, {"HUP", SIGHUP}, {"QUIT", SIGQUIT}, {"PIPE", SIGPIPE}, {"ILL", SIGILL},
        {"FPE", SIGFPE}, {"XCPU", SIGXCPU}, {"XFSZ", SIGXFSZ}, {"SYS", SIGSYS}, {"USR1", SIGUSR1},
        {"USR2", SIGUSR2}, {"ALRM", SIGALRM}, {"TRAP", SIGTRAP},
    };
    for (size_t i = 0; i < sizeof signals / sizeof signals[0]; i++) {
      if (strcmp(reply + 7, signals[i].name) == 0) {
        signal(signals[i].number, SIG_DFL);
        raise(signals[i].number);
        return 128 + signals[i].number;
      }
    }
    return 128;
  }
  return refuse(got == 0 ? "no answer" : reply);
}

int main(int argc, char **argv) {
  if (argc == 3 && strcmp(argv[1], "-c") == 0) {
    const char *broker = getenv("SAFE_INSTALL_SCRIPT_BROKER");
    if (broker != NULL && *broker != '\0') {
      int status = ask_broker(broker);
      if (status >= 0) return status;
    }
    return run_marker(argv[2]);
  }
  if (argc == 6 && strcmp(argv[1], "--run") == 0) {
    execl("/bin/sh", "sh", "-c", argv[5], (char *)NULL);
    perror("safe-install: /bin/sh");
    return 127;
  }
  /* Anything else: behave as the shell this replaces. */
  argv[0] = "sh";
  execv("/bin/sh", argv);
  perror("safe-install: /bin/sh");
  return 127;
}
