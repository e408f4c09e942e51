/*
 * The clock moved forward, for `analyze --time-shift`: preloaded (LD_PRELOAD) into the install of a
 * shifted run, it adds CLOCK_SHIFT_SECONDS to the wall clock every dynamically linked program reads
 * through the C library (clock_gettime on the realtime clocks, gettimeofday, time). Payloads that
 * wait days before acting (a date check against the publish time) then act now, under the tracer.
 *
 * Only the wall clock moves: monotonic clocks (timeouts, sleeps) keep their pace, and the tracer,
 * the runner and the gateway, which are not preloaded, keep the real time for the trace. What it
 * cannot move: static binaries and raw syscalls (they read the kernel's clock), and it is visible
 * in the environment; docs/analyze.md says so.
 */
#define _GNU_SOURCE
#include <dlfcn.h>
#include <stdlib.h>
#include <sys/time.h>
#include <time.h>

static long long shift_seconds(void) {
  static long long shift = -1;
  if (shift < 0) {
    const char *value = getenv("CLOCK_SHIFT_SECONDS");
    char *end = NULL;
    long long parsed = value ? strtoll(value, &end, 10) : 0;
    /* A bad value shifts nothing rather than something unexpected. */
    shift = (value && end && *end == '\0' && parsed > 0 && parsed <= 366LL * 86400) ? parsed : 0;
  }
  return shift;
}

static int realtime(clockid_t clock) {
  return clock == CLOCK_REALTIME || clock == CLOCK_REALTIME_COARSE || clock == CLOCK_TAI;
}

int clock_gettime(clockid_t clock, struct timespec *tp) {
  static int (*next)(clockid_t, struct timespec *) = NULL;
  if (!next) next = (int (*)(clockid_t, struct timespec *))dlsym(RTLD_NEXT, "clock_gettime");
  int result = next(clock, tp);
  if (result == 0 && realtime(clock)) tp->tv_sec += shift_seconds();
  return result;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz) {
  static int (*next)(struct timeval *restrict, void *restrict) = NULL;
  if (!next) next = (int (*)(struct timeval *restrict, void *restrict))dlsym(RTLD_NEXT, "gettimeofday");
  int result = next(tv, tz);
  if (result == 0) tv->tv_sec += shift_seconds();
  return result;
}

time_t time(time_t *out) {
  struct timespec now;
  if (clock_gettime(CLOCK_REALTIME, &now) != 0) return (time_t)-1;
  if (out) *out = now.tv_sec;
  return now.tv_sec;
}
