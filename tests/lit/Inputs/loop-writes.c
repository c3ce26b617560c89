/* Loops whose stores get hoisted window checks (loop-hoist-run.test), writing a
 * tracked mapping: a counted loop, an i32 index loaded from memory, a negative
 * step, a nested loop and struct fields in two branches. Run with FAMSYNC_VERIFY=1
 * the runtime reports every byte of the mapping that changed without a hook. */
#include <fcntl.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>

struct rec { int a, b; long c; };
__attribute__((noinline)) void fill(long *p, long n, long x) {
  for (long i = 0; i < n; i++) p[i] = x;
}
__attribute__((noinline)) void scatter(int *p, const int *idx, int n, int x) {
  for (int i = 0; i < n; i++) p[idx[i]] = x;
}
__attribute__((noinline)) void down(int *p, long n) {
  for (long i = n; i > 0; i--) p[i - 1] = (int)i;
}
__attribute__((noinline)) void grid(long *p, long n, long m) {
  for (long i = 0; i < n; i++)
    for (long j = 0; j < m; j++) p[i * m + j] = i + j;
}
__attribute__((noinline)) void fields(struct rec *r, const char *c, long n) {
  for (long i = 0; i < n; i++) {
    if (c[i]) r[i].a = 1;
    else r[i].c = 2;
  }
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
  const size_t size = 1 << 20;
  if (fd < 0 || ftruncate(fd, size) != 0) return 2;
  char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return 2;
  static int idx[1000];
  static char c[500];
  for (int i = 0; i < 1000; i++) idx[i] = (i * 37) % 4000;
  for (int i = 0; i < 500; i++) c[i] = (char)(i % 3 == 0);
  fill((long *)m, 10000, 7);
  scatter((int *)(m + 100000), idx, 1000, 9);
  down((int *)(m + 200000), 5000);
  grid((long *)(m + 300000), 50, 40);
  fields((struct rec *)(m + 400000), c, 500);
  if (msync(m, size, MS_SYNC) != 0) return 3;
  printf("done %ld %d %d %ld\n", ((long *)m)[9999], ((int *)(m + 100000))[37],
         ((int *)(m + 200000))[4999], ((long *)(m + 300000))[1999]);
  return munmap(m, size) || close(fd);
}
