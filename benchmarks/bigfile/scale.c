/* scale.c — one program, built plain (gcc) and with famsync-cc, for the files-larger-than-memory
 * benchmark (scale.sh, issue 15 items 2 and 4). No famsync header: msync is the commit.
 *
 *   scale update FILE PER_COMMIT
 *       FILE (already sized) is mapped MAP_SHARED; one 8-byte word is written into every page in
 *       order, msync(MS_SYNC) after every PER_COMMIT pages and at the end; then every word is
 *       read back with pread. Prints: seconds, peak RssAnon (kB, sampled after each msync), and
 *       "verified" or the first bad page.
 *   scale bulk FILE
 *       FILE (already sized) is mapped; every byte is written (memset by 1 MiB chunks, so the
 *       dirty data is the whole file), then ONE msync(MS_SYNC). Prints the seconds of the writes
 *       and of the msync (or the msync's error), then reads the file back and verifies it. */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static double now_s(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long rss_anon_kb(void) {
  FILE *f = fopen("/proc/self/status", "r");
  char line[256];
  long kb = -1;
  while (f != NULL && fgets(line, sizeof line, f) != NULL)
    if (sscanf(line, "RssAnon: %ld kB", &kb) == 1) break;
  if (f != NULL) fclose(f);
  return kb;
}

static uint64_t word(uint64_t page) { return (page + 1) * 0x9e3779b97f4a7c15ull; }

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: scale update FILE PER_COMMIT | scale bulk FILE\n");
    return 2;
  }
  int fd = open(argv[2], O_RDWR);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) return perror(argv[2]), 1;
  const size_t len = (size_t)st.st_size, page = 4096, pages = len / page;
  char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) return perror("mmap"), 1;
  if (strcmp(argv[1], "update") == 0 && argc == 4) {
    const size_t per_commit = strtoul(argv[3], NULL, 10);
    long peak = rss_anon_kb();
    double t0 = now_s();
    for (size_t i = 0; i < pages; ++i) {
      *(volatile uint64_t *)(p + i * page) = word(i);
      if ((i + 1) % per_commit == 0 || i + 1 == pages) {
        if (msync(p, len, MS_SYNC) != 0) return perror("msync"), 1;
        long kb = rss_anon_kb();
        if (kb > peak) peak = kb;
      }
    }
    double t1 = now_s();
    munmap(p, len);
    for (size_t i = 0; i < pages; ++i) {
      uint64_t w = 0;
      if (pread(fd, &w, 8, (off_t)(i * page)) != 8 || w != word(i)) {
        printf("%.2f %ld bad-page-%zu\n", t1 - t0, peak, i);
        return 1;
      }
    }
    printf("%.2f %ld verified\n", t1 - t0, peak);
    return 0;
  }
  if (strcmp(argv[1], "bulk") == 0) {
    double t0 = now_s();
    for (size_t off = 0; off < len; off += 1 << 20)
      memset(p + off, (int)(0x41 + (off >> 20) % 26), len - off < (1u << 20) ? len - off : 1u << 20);
    double t1 = now_s();
    int rc = msync(p, len, MS_SYNC), err = errno;
    double t2 = now_s();
    if (rc != 0) {
      printf("%.2f - msync-failed:%s\n", t1 - t0, strerror(err));
      return 3;
    }
    munmap(p, len);
    char *buf = malloc(1 << 20);
    for (size_t off = 0; off < len; off += 1 << 20) {
      size_t n = len - off < (1u << 20) ? len - off : 1u << 20;
      if (pread(fd, buf, n, (off_t)off) != (ssize_t)n) return perror("pread"), 1;
      for (size_t i = 0; i < n; ++i)
        if (buf[i] != (char)(0x41 + (off >> 20) % 26)) {
          printf("%.2f %.2f bad-byte-%zu\n", t1 - t0, t2 - t1, off + i);
          return 1;
        }
    }
    printf("%.2f %.2f verified\n", t1 - t0, t2 - t1);
    return 0;
  }
  fprintf(stderr, "scale: unknown mode %s\n", argv[1]);
  return 2;
}
