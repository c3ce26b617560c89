/* Functions with unchecked copies (version-run.test): their loop stores are
 * rooted at an argument or at a pointer loaded from an argument at entry.
 * Each runs on a tracked mapping (a root in the check range: the checked
 * original runs) and on heap memory (the unchecked copy runs); the bytes
 * written must agree, and under FAMSYNC_VERIFY=1 the runtime reports any byte
 * of the mapping that changed without a hook. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct state { long n; long *ptr; unsigned char *block; };

__attribute__((noinline)) void scatter(long *p, const long *idx, long n, long x) {
  for (long i = 0; i < n; i++) p[idx[i]] = x + i;
}
__attribute__((noinline)) void sort_state(struct state *s) {
  long *ptr = s->ptr;
  unsigned char *block = s->block;
  long n = s->n;
  for (long i = 0; i < n; i++) ptr[i] = (long)block[i] * 7 + i;
  for (long i = n - 1; i > 0; i--) { /* swaps at loaded indices */
    long j = ptr[i] % (i + 1), t = ptr[j];
    ptr[j] = ptr[i];
    ptr[i] = t;
    block[i] = (unsigned char)t;
  }
}

static int run(char *m, struct state *s) {
  static long idx[1000];
  for (int i = 0; i < 1000; i++) idx[i] = (i * 37) % 4000;
  scatter((long *)m, idx, 1000, 5);
  s->ptr = (long *)(m + 100000);
  s->block = (unsigned char *)m + 200000;
  for (int i = 0; i < 3000; i++) s->block[i] = (unsigned char)(i * 13);
  s->n = 3000;
  sort_state(s);
  return 0;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
  const size_t size = 1 << 20;
  if (fd < 0 || ftruncate(fd, size) != 0) return 2;
  char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *h = calloc(1, size);
  struct state *s = malloc(sizeof *s);
  if (m == MAP_FAILED || !h || !s) return 2;
  run(m, s);
  run(h, s);
  int same = memcmp(m, h, size) == 0;
  if (msync(m, size, MS_SYNC) != 0) return 3;
  printf("versioned %s %ld\n", same ? "same" : "DIFFERENT", ((long *)m)[37]);
  return !same || munmap(m, size) || close(fd);
}
