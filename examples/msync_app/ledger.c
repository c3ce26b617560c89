/* ledger.c — an ordinary mmap + msync program, with no famsync in its source.
 *
 * Money moves between accounts in a MAP_SHARED file; after every batch of transfers the program
 * calls msync(). Built with plain cc, a crash in the middle of a batch leaves half-done transfers
 * in the file (the kernel writes mapped pages back whenever it likes), so the balances no longer
 * add up. Built with famsync-cc, the same source gets failure-atomic msync: the file always holds
 * the state of the last msync.
 *
 *   ledger init FILE ACCOUNTS
 *   ledger run FILE BATCHES [DIE_IN_BATCH]   SIGKILLs itself halfway through batch DIE_IN_BATCH
 *   ledger check FILE                        exit 0 if the balances add up, 1 if not
 */
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define OPENING 1000

struct ledger {
  uint64_t accounts;
  uint64_t batches;
  int64_t balance[];
};

static struct ledger *open_ledger(const char *path, size_t *size) {
  int fd = open(path, O_RDWR);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    perror(path);
    exit(2);
  }
  *size = (size_t)st.st_size;
  void *p = mmap(NULL, *size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    exit(2);
  }
  close(fd);
  return p;
}

static uint64_t next_random(uint64_t *state) {
  *state ^= *state << 13;
  *state ^= *state >> 7;
  *state ^= *state << 17;
  return *state;
}

int main(int argc, char **argv) {
  if (argc == 4 && strcmp(argv[1], "init") == 0) {
    uint64_t n = strtoull(argv[3], NULL, 10);
    size_t size = sizeof(struct ledger) + n * sizeof(int64_t);
    int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || ftruncate(fd, (off_t)size) != 0) {
      perror(argv[2]);
      return 2;
    }
    close(fd);
    size_t got;
    struct ledger *l = open_ledger(argv[2], &got);
    l->accounts = n;
    for (uint64_t i = 0; i < n; ++i) l->balance[i] = OPENING;
    msync(l, got, MS_SYNC);
    munmap(l, got);
    printf("ledger: %llu accounts of %d\n", (unsigned long long)n, OPENING);
    return 0;
  }
  if (argc >= 4 && strcmp(argv[1], "run") == 0) {
    uint64_t batches = strtoull(argv[3], NULL, 10), die = argc > 4 ? strtoull(argv[4], NULL, 10) : 0;
    size_t size;
    struct ledger *l = open_ledger(argv[2], &size);
    uint64_t rng = 88172645463325252ull + l->batches;
    for (uint64_t b = 1; b <= batches; ++b) {
      for (int t = 0; t < 100; ++t) {
        uint64_t from = next_random(&rng) % l->accounts, to = next_random(&rng) % l->accounts;
        int64_t amount = (int64_t)(next_random(&rng) % 100);
        l->balance[from] -= amount;
        if (b == die && t == 50) {
          printf("ledger: killed in batch %llu, mid-transfer\n", (unsigned long long)b);
          fflush(stdout);
          kill(getpid(), SIGKILL);
        }
        l->balance[to] += amount;
      }
      l->batches++;
      if (msync(l, size, MS_SYNC) != 0) {
        perror("msync");
        return 2;
      }
    }
    munmap(l, size);
    return 0;
  }
  if (argc == 3 && strcmp(argv[1], "check") == 0) {
    size_t size;
    struct ledger *l = open_ledger(argv[2], &size);
    int64_t total = 0;
    for (uint64_t i = 0; i < l->accounts; ++i) total += l->balance[i];
    int ok = total == (int64_t)l->accounts * OPENING;
    printf("ledger: %llu batches, total %lld of %lld: %s\n", (unsigned long long)l->batches,
           (long long)total, (long long)l->accounts * OPENING, ok ? "consistent" : "TORN");
    munmap(l, size);
    return ok ? 0 : 1;
  }
  fprintf(stderr, "usage: ledger init FILE N | ledger run FILE BATCHES [DIE_IN_BATCH] | ledger check FILE\n");
  return 2;
}
