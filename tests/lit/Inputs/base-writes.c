/* Stores whose checks are tests of their root pointer (base-object-run.test),
 * writing a tracked mapping: an i64 index loaded from memory (SCEV cannot
 * bound it), a pointer recurrence with no trip count, and a web of pointer
 * phis (ptr0 = base + k + 1 on one side of a branch, unchanged on the other),
 * and 16-byte memcpys at loaded offsets (a small constant-length intrinsic).
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
  if (msync(m, size, MS_SYNC) != 0) return 3;
  printf("done %ld %c %d %c\n", ((long *)m)[37], m[100000 + 1998], ((int *)(m + 200000))[2],
         m[300000 + 37 + 3]);
  return munmap(m, size) || close(fd);
}
