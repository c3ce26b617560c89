/* Stores whose checks are tests of their root pointer (base-object-run.test),
 * writing a tracked mapping: an i64 index loaded from memory (SCEV cannot
 * bound it), a pointer recurrence with no trip count, and a web of pointer
 * phis (ptr0 = base + k + 1 on one side of a branch, unchanged on the other),
 * 16-byte memcpys at loaded offsets (a small constant-length intrinsic), and
 * two pointers whose web starts from two roots (std::sort's partition: the
 * high pointer restarts from the previous round's cut, which the low pointer
 * found: one flag tests both roots), and a pointer that switches between
 * a buffer outside the mapping and the mapping (the flag must test both: the
 * first root alone is outside the check range).
 * Run with FAMSYNC_VERIFY=1 the runtime reports every byte of the mapping that
 * changed without a hook. */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((noinline)) void scatter64(long *p, const long *idx, long n, long x) {
  for (long i = 0; i < n; i++) p[idx[i]] = x + i;
}
__attribute__((noinline)) void copy(char *d, const char *s) {
  while (*s) *d++ = *s++;
}
__attribute__((noinline)) void web(int *base, const long *idx, long n) {
  int *p = base + 2;
  for (long i = 0; i < n; i++) {
    *p = (int)idx[i];
    if (idx[i] < 3000) p = base + idx[i] + 1;
  }
}
__attribute__((noinline)) void copies(char *d, const long *idx, long n, const char *s) {
  for (long i = 0; i < n; i++) memcpy(d + idx[i], s + i, 16);
}

__attribute__((noinline)) void partitions(long *first, long *last, int rounds) {
  for (int r = 0; r < rounds && last - first > 1; r++) {
    long pivot = *first;
    long *lo = first + 1, *hi = last;
    for (;;) {
      while (lo < hi && *lo < pivot) ++lo;
      --hi;
      while (lo < hi && pivot < *hi) --hi;
      if (!(lo < hi)) break;
      long t = *lo;
      *lo = *hi;
      *hi = t;
      ++lo;
    }
    last = lo; /* the cut */
  }
}

__attribute__((noinline)) void pick(long *a, long *b, const long *idx, long n) {
  long *p = a;
  for (long i = 0; i < n; i++) {
    p[idx[i] % 64] = i;
    p = (idx[i] & 1) ? a : b;
  }
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
  const size_t size = 1 << 20;
  if (fd < 0 || ftruncate(fd, size) != 0) return 2;
  char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return 2;
  static long idx[1000];
  static char text[2000];
  for (int i = 0; i < 1000; i++) idx[i] = (i * 37) % 4000;
  for (int i = 0; i < 1999; i++) text[i] = (char)('a' + i % 26);
  scatter64((long *)m, idx, 1000, 5);
  copy(m + 100000, text);
  web((int *)(m + 200000), idx, 1000);
  copies(m + 300000, idx, 1000, text);
  long *keys = (long *)(m + 400000);
  for (int i = 0; i < 1000; i++) keys[i] = idx[(i * 7) % 1000];
  if (msync(m, size, MS_SYNC) != 0) return 3;
  partitions(keys, keys + 1000, 6);
  static long outside[64];
  long *picked = (long *)(m + 500000);
  pick(outside, picked, idx, 1000);
  if (msync(m, size, MS_SYNC) != 0) return 3;
  long ksum = 0;
  for (int i = 0; i < 1000; i++) ksum += keys[i] * (i % 7);
  long psum = 0;
  for (int i = 0; i < 64; i++) psum += picked[i] * (i + 1) + outside[i];
  printf("done %ld %c %d %c %ld %ld\n", ((long *)m)[37], m[100000 + 1998],
         ((int *)(m + 200000))[2], m[300000 + 37 + 3], ksum, psum);
  return munmap(m, size) || close(fd);
}
