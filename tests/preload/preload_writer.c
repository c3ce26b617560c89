/* preload_writer.c — a plain C program (built with gcc, never with the famsync pass) for the
 * preload tests: it maps FILE (64 KiB, MAP_SHARED), and each round stores the round number into
 * every 8-byte word — by stores spread over all pages, by read() from a pipe into the mapping
 * (another fd writing into a protected page), and by pwrite() on the mapped file itself — then
 * commits with msync (every 4th round fsync, every 7th fdatasync) and prints the round on stdout.
 *   preload_writer FILE ROUNDS     write rounds continuing from the file's current round
 *   preload_writer FILE check      print the file's round, or "MIXED" and exit 1
 * Under `famsync run`, a kill at any point must leave (after `famsync recover`) every word equal
 * to the last printed round or the one after it. */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define SIZE (64 * 1024)
#define WORDS (SIZE / 8)

static int check(const char *path) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) { perror("open"); return 2; }
  static uint64_t w[WORDS];
  if (pread(fd, w, SIZE, 0) != SIZE) { fprintf(stderr, "short file\n"); return 2; }
  for (int i = 1; i < WORDS; ++i)
    if (w[i] != w[0]) {
      printf("MIXED word %d = %llu, word 0 = %llu\n", i, (unsigned long long)w[i],
             (unsigned long long)w[0]);
      return 1;
    }
  printf("%llu\n", (unsigned long long)w[0]);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 3) { fprintf(stderr, "usage: preload_writer FILE ROUNDS|check\n"); return 64; }
  if (strcmp(argv[2], "check") == 0) return check(argv[1]);
  long rounds = atol(argv[2]);
  int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
  if (fd < 0) { perror("open"); return 2; }
  if (lseek(fd, 0, SEEK_END) < SIZE && ftruncate(fd, SIZE) != 0) { perror("ftruncate"); return 2; }
  uint64_t *m = mmap(NULL, SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) { perror("mmap"); return 2; }
  int p[2];
  if (pipe(p) != 0) { perror("pipe"); return 2; }
  static uint64_t buf[512];
  /* PRELOAD_WRITER_PAUSE_US: a pause in the middle of each round's stores, so that kills land
   * mid-round often (the control run without famsync then shows mixed states). */
  const char *pause_env = getenv("PRELOAD_WRITER_PAUSE_US");
  useconds_t pause_us = pause_env ? (useconds_t)atol(pause_env) : 0;
  uint64_t start = m[0];
  for (uint64_t r = start + 1; r <= start + (uint64_t)rounds; ++r) {
    /* Page-interleaved stores: a kill lands with many pages half written. */
    for (int off = 0; off < 512; ++off) {
      for (int page = 0; page < 15; ++page) m[page * 512 + off] = r;
      if (off == 256 && pause_us) usleep(pause_us);
    }
    /* The last page: first half through read() from a pipe, second half through pwrite(). */
    for (int i = 0; i < 512; ++i) buf[i] = r;
    if (write(p[1], buf, 2048) != 2048) { perror("write pipe"); return 2; }
    if (read(p[0], &m[15 * 512], 2048) != 2048) { perror("read into mapping"); return 2; }
    if (pwrite(fd, buf, 2048, 15 * 4096 + 2048) != 2048) { perror("pwrite"); return 2; }
    int rc = r % 7 == 0 ? fdatasync(fd) : r % 4 == 0 ? fsync(fd) : msync(m, SIZE, MS_SYNC);
    if (rc != 0) { perror("commit"); return 2; }
    printf("%llu\n", (unsigned long long)r);
    fflush(stdout);
  }
  if (munmap(m, SIZE) != 0) { perror("munmap"); return 2; }
  return 0;
}
