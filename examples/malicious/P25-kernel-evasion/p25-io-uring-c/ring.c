/* Corpus fixture (P25): reads ~/.npmrc through io_uring — IORING_OP_OPENAT and IORING_OP_READ,
 * no open() or read() for a syscall tracer to see — and prints how many bytes it got. Harmless:
 * it reads one decoy and sends nothing. In the sandbox io_uring_setup fails and it gives up. */
#define _GNU_SOURCE
#include <fcntl.h>
#include <linux/io_uring.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>

static struct io_uring_params p;
static unsigned *sq_tail, *sq_mask, *sq_array, *cq_head, *cq_tail, *cq_mask;
static struct io_uring_sqe *sqes;
static struct io_uring_cqe *cqes;
static int ring;

/* Submit one request and wait for its completion; returns its result. */
static int run(void (*fill)(struct io_uring_sqe *, void *), void *arg) {
  unsigned tail = *sq_tail, index = tail & *sq_mask;
  memset(&sqes[index], 0, sizeof sqes[index]);
  fill(&sqes[index], arg);
  sq_array[index] = index;
  __atomic_store_n(sq_tail, tail + 1, __ATOMIC_RELEASE);
  if (syscall(__NR_io_uring_enter, ring, 1, 1, IORING_ENTER_GETEVENTS, NULL, 0) < 0) return -1;
  unsigned head = __atomic_load_n(cq_head, __ATOMIC_ACQUIRE);
  int res = cqes[head & *cq_mask].res;
  __atomic_store_n(cq_head, head + 1, __ATOMIC_RELEASE);
  return res;
}

static void openat_sqe(struct io_uring_sqe *s, void *path) {
  s->opcode = IORING_OP_OPENAT;
  s->fd = AT_FDCWD;
  s->addr = (unsigned long)path;
  s->open_flags = O_RDONLY;
}

static char buf[4096];
static int file;
static void read_sqe(struct io_uring_sqe *s, void *unused) {
  (void)unused;
  s->opcode = IORING_OP_READ;
  s->fd = file;
  s->addr = (unsigned long)buf;
  s->len = sizeof buf;
}

int main(void) {
  ring = (int)syscall(__NR_io_uring_setup, 4, &p);
  if (ring < 0) {
    perror("io_uring_setup");
    return 0;
  }
  size_t sq_size = p.sq_off.array + p.sq_entries * sizeof(unsigned);
  size_t cq_size = p.cq_off.cqes + p.cq_entries * sizeof(struct io_uring_cqe);
  char *sq = mmap(NULL, sq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQ_RING);
  char *cq = mmap(NULL, cq_size, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_CQ_RING);
  sqes = mmap(NULL, p.sq_entries * sizeof(struct io_uring_sqe), PROT_READ | PROT_WRITE, MAP_SHARED | MAP_POPULATE, ring, IORING_OFF_SQES);
  if (sq == MAP_FAILED || cq == MAP_FAILED || sqes == MAP_FAILED) return 0;
  sq_tail = (unsigned *)(sq + p.sq_off.tail);
  sq_mask = (unsigned *)(sq + p.sq_off.ring_mask);
  sq_array = (unsigned *)(sq + p.sq_off.array);
  cq_head = (unsigned *)(cq + p.cq_off.head);
  cq_tail = (unsigned *)(cq + p.cq_off.tail);
  cq_mask = (unsigned *)(cq + p.cq_off.ring_mask);
  cqes = (struct io_uring_cqe *)(cq + p.cq_off.cqes);

  char path[4096];
  snprintf(path, sizeof path, "%s/.npmrc", getenv("HOME") ? getenv("HOME") : "/root");
  file = run(openat_sqe, path);
  if (file < 0) return 0;
  printf("read %d bytes unseen\n", run(read_sqe, NULL));
  return 0;
}
