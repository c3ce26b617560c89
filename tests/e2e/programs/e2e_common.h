/* e2e_common.h — the plumbing shared by the end-to-end programs (plain POSIX, no famsync).
 *
 * Every e2e program is an ordinary mmap + msync program with the same command line:
 *
 *   PROG init DIR SEED          create DIR/PROG.dat holding the initial state (0 commits)
 *   PROG run DIR COMMITS        apply COMMITS more batches; after each batch's msync() (or
 *                               fdatasync(), see e2e_sync) returns 0, print "committed N"
 *                               (N = batches in the file) and flush
 *   PROG check DIR              map the file, validate the program's invariants and print
 *                               "check count=N digest=HEX ok" (exit 0) or "... BROKEN: why" (1)
 *   PROG ref SEED FROM TO       replay batches 1..TO on heap memory and print "state N HEX" for
 *                               every N in [FROM, TO] (the oracle: no mapping, no famsync)
 *
 * Invariant: batch N is a pure function of (seed, N, state after batch N-1), and the state holds
 * no pointers, timestamps or other run-dependent bytes, so e2e_digest() of the file after N
 * commits equals the digest `ref` prints for N. A checker therefore knows every committed state
 * without trusting the program under test.
 *
 * Each program defines: E2E_NAME, E2E_SIZE (file size), e2e_init(base, seed),
 * e2e_batch(base, n) (mutate the state into batch n's, including the header's count) and
 * e2e_check(base, why) (0 if the invariants hold, else 1 with a reason in WHY). They include this
 * header after those declarations and call e2e_main() from main().
 */
#ifndef FAMSYNC_E2E_COMMON_H
#define FAMSYNC_E2E_COMMON_H

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Every program's file starts with this header. COUNT is the number of the last batch whose
 * changes the state holds; batches update it as their last store. */
struct e2e_header {
  uint64_t magic;
  uint64_t seed;
  uint64_t count;
  uint64_t reserved;
};

#define E2E_MAGIC 0x3245452d534d4146ull /* "FAMS-EE2" */

static void e2e_die(const char *what) {
  fprintf(stderr, "%s: %s\n", what, strerror(errno));
  exit(2);
}

/* splitmix64: the programs' only source of randomness, seeded from (seed, batch). */
static inline uint64_t e2e_mix(uint64_t *state) {
  uint64_t z = (*state += 0x9e3779b97f4a7c15ull);
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
  z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
  return z ^ (z >> 31);
}

static inline uint64_t e2e_batch_rng(uint64_t seed, uint64_t n) {
  uint64_t s = seed * 0x100000001b3ull + n;
  e2e_mix(&s);
  return s;
}

/* FNV-1a-style over 8-byte words (the sizes are multiples of 8). */
static inline uint64_t e2e_digest(const void *base, size_t size) {
  const unsigned char *p = (const unsigned char *)base;
  uint64_t h = 0xcbf29ce484222325ull;
  for (size_t i = 0; i + 8 <= size; i += 8) {
    uint64_t w;
    memcpy(&w, p + i, 8);
    h = (h ^ w) * 0x100000001b3ull;
    h ^= h >> 29;
  }
  return h;
}

static void e2e_path(char *out, size_t cap, const char *dir, const char *name) {
  if ((size_t)snprintf(out, cap, "%s/%s.dat", dir, name) >= cap) {
    fprintf(stderr, "%s: path too long\n", dir);
    exit(2);
  }
}

static int e2e_fd = -1; /* the mapped file, kept open for fdatasync() */

/* Maps the whole file MAP_SHARED read-write: the mapping famsync tracks (and recovers). */
static void *e2e_map(const char *path, size_t size) {
  int fd = open(path, O_RDWR);
  if (fd < 0) e2e_die(path);
  struct stat st;
  if (fstat(fd, &st) != 0) e2e_die("fstat");
  if ((size_t)st.st_size != size) {
    fprintf(stderr, "%s: size %lld, expected %zu\n", path, (long long)st.st_size, size);
    exit(2);
  }
  void *p = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) e2e_die("mmap");
  e2e_fd = fd;
  return p;
}

static void e2e_unmap(void *p, size_t size) {
  if (munmap(p, size) != 0) e2e_die("munmap");
  close(e2e_fd);
  e2e_fd = -1;
}

/* Makes batch N durable, rotating through the ways programs do it: msync(MS_SYNC) of the whole
 * mapping, msync(MS_ASYNC) of its first page only, fdatasync() of the file. (famsync commits the
 * whole mapping for each; for the kernel, a SIGKILL loses nothing either way.) */
static void e2e_sync(void *p, size_t size, uint64_t n) {
  int rc;
  switch (n % 4) {
    case 1: rc = msync(p, 4096, MS_ASYNC); break;
    case 3: rc = fdatasync(e2e_fd); break;
    default: rc = msync(p, size, MS_SYNC); break;
  }
  if (rc != 0) e2e_die("commit");
}

#ifdef __cplusplus
}
#endif

#endif /* FAMSYNC_E2E_COMMON_H */

/* ---- the shared main, after the program's own definitions ------------------------------------ */
#ifdef E2E_DEFINE_MAIN
static int e2e_main(int argc, char **argv) {
  char path[4096];
  if (argc == 4 && strcmp(argv[1], "init") == 0) {
    e2e_path(path, sizeof path, argv[2], E2E_NAME);
    int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0) e2e_die(path);
    if (ftruncate(fd, (off_t)E2E_SIZE) != 0) e2e_die("ftruncate");
    close(fd);
    void *p = e2e_map(path, E2E_SIZE);
    e2e_init(p, strtoull(argv[3], NULL, 10));
    e2e_sync(p, E2E_SIZE, 0);
    e2e_unmap(p, E2E_SIZE);
    printf("committed 0\n");
    return 0;
  }
  if (argc == 4 && strcmp(argv[1], "run") == 0) {
    e2e_path(path, sizeof path, argv[2], E2E_NAME);
    uint64_t commits = strtoull(argv[3], NULL, 10);
    void *p = e2e_map(path, E2E_SIZE);
    struct e2e_header *h = (struct e2e_header *)p;
    if (h->magic != E2E_MAGIC) {
      fprintf(stderr, "%s: not initialised\n", path);
      return 2;
    }
    for (uint64_t i = 0; i < commits; ++i) {
      uint64_t n = h->count + 1;
      e2e_batch(p, n);
      e2e_sync(p, E2E_SIZE, n);
      printf("committed %llu\n", (unsigned long long)n);
      fflush(stdout);
    }
    e2e_unmap(p, E2E_SIZE);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "check") == 0) {
    e2e_path(path, sizeof path, argv[2], E2E_NAME);
    void *p = e2e_map(path, E2E_SIZE);
    const struct e2e_header *h = (const struct e2e_header *)p;
    char why[256] = "";
    int bad = h->magic != E2E_MAGIC ? (snprintf(why, sizeof why, "bad magic"), 1) : e2e_check(p, why);
    printf("check count=%llu digest=%016llx %s%s\n", (unsigned long long)h->count,
           (unsigned long long)e2e_digest(p, E2E_SIZE), bad ? "BROKEN: " : "ok", why);
    e2e_unmap(p, E2E_SIZE);
    return bad;
  }
  if (argc == 5 && strcmp(argv[1], "ref") == 0) {
    uint64_t from = strtoull(argv[3], NULL, 10), to = strtoull(argv[4], NULL, 10);
    void *p = aligned_alloc(4096, E2E_SIZE);
    if (p == NULL) e2e_die("aligned_alloc");
    memset(p, 0, E2E_SIZE);  /* as a fresh ftruncate'd file */
    e2e_init(p, strtoull(argv[2], NULL, 10));
    for (uint64_t n = 0; n <= to; ++n) {
      if (n > 0) e2e_batch(p, n);
      if (n >= from) printf("state %llu %016llx\n", (unsigned long long)n,
                            (unsigned long long)e2e_digest(p, E2E_SIZE));
    }
    free(p);
    return 0;
  }
  fprintf(stderr,
          "usage: %s init DIR SEED | run DIR COMMITS | check DIR | ref SEED FROM TO\n", argv[0]);
  return 2;
}
#endif
