/* preload_cost.c — the program the preload-mode benchmark runs three ways (preload_cost.sh):
 * plain (the kernel's msync), under `famsync run` (preload mode: page protection), and built with
 * famsync-cc (instrumented). Plain C, no famsync header: the same source for all three.
 *
 *   preload_cost FILE PAGES ROUNDS
 * Creates FILE with PAGES pages (in the page cache), maps it MAP_SHARED, then for each round
 * writes one 8-byte word into every page, in address order (the first write to each page in
 * that epoch), and calls msync(MS_SYNC). Prints, per round: round, ns per page of the writes,
 * ns of the msync, minor faults per page during the writes. Round 0 is on a fresh mapping. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

static uint64_t now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static long minor_faults(void) {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: preload_cost FILE PAGES ROUNDS\n");
    return 2;
  }
  const size_t page = 4096, pages = strtoul(argv[2], NULL, 10);
  const int rounds = atoi(argv[3]);
  const size_t len = pages * page;
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate(fd, (off_t)len) != 0) return perror("create"), 1;
  char *buf = calloc(1, len);
  if (pwrite(fd, buf, len, 0) != (ssize_t)len) return perror("fill"), 1;  /* in the page cache */
  free(buf);
  fsync(fd);
  char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return perror("mmap"), 1;
  for (int r = 0; r < rounds; ++r) {
    long f0 = minor_faults();
    uint64_t t0 = now_ns();
    for (size_t i = 0; i < pages; ++i) *(volatile uint64_t *)(p + i * page + 8 * (r % 64)) = r + 1;
    uint64_t t1 = now_ns();
    long f1 = minor_faults();
    if (msync(p, len, MS_SYNC) != 0) return perror("msync"), 1;
    uint64_t t2 = now_ns();
    printf("%d %.1f %llu %.2f\n", r, (double)(t1 - t0) / pages, (unsigned long long)(t2 - t1),
           (double)(f1 - f0) / pages);
  }
  munmap(p, len);
  close(fd);
  return 0;
}
