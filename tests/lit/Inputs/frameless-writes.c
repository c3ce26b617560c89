/* Leaf functions whose hooks are reached by the frameless jump
 * (frameless-run.test), writing a tracked mapping while many values stay live
 * in caller-saved general-purpose and vector registers across the hooks. Each
 * function runs once on the mapping (the hooks run) and once on a heap buffer
 * (the checks fail, no hook runs); results and written bytes must agree, so a
 * register the stub fails to preserve shows up as a mismatch. Run with
 * FAMSYNC_VERIFY=1, the runtime reports any byte changed without a hook. */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

__attribute__((noinline)) long many(long *p, long a, long b, long c, long d, long e, long f) {
  long s0 = a * 3, s1 = b * 5, s2 = c * 7, s3 = d * 11, s4 = e * 13, s5 = f * 17;
  p[0] = s0;
  p[1000] = s1 ^ s0;
  p[2000] = s2 + a;
  p[3000] = s3 - b;
  p[4000] = s4 * c;
  p[5000] = s5 | d;
  return s0 + s1 + s2 + s3 + s4 + s5 + a + b + c + d + e + f;
}
__attribute__((noinline)) double vec(double *q, double x, double y, double z) {
  double u = x * y, v = x + z, w = y - z;
  q[0] = u;
  q[700] = v;
  q[1400] = w;
  return u * v + w * x + z;
}
__attribute__((noinline)) void bytes(char *d, const char *s, int n) {
  for (int i = 0; i < n; i++) d[i * 613] = s[i] + (char)i;
}

int main(int argc, char **argv) {
  if (argc != 2) return 2;
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0644);
  const size_t size = 1 << 20;
  if (fd < 0 || ftruncate(fd, size) != 0) return 2;
  char *m = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  char *h = calloc(1, size);
  if (m == MAP_FAILED || !h) return 2;
  static char text[1000];
  for (int i = 0; i < 1000; i++) text[i] = (char)('a' + i % 26);
  int bad = 0;
  for (long k = 1; k < 50; k++) {
    long r1 = many((long *)m + k, k, k + 1, k + 2, k + 3, k + 4, k + 5);
    long r2 = many((long *)h + k, k, k + 1, k + 2, k + 3, k + 4, k + 5);
    double v1 = vec((double *)(m + 600000) + k, k * 0.5, k * 1.25, 3.0 - k);
    double v2 = vec((double *)(h + 600000) + k, k * 0.5, k * 1.25, 3.0 - k);
    bad += r1 != r2 || v1 != v2;
  }
  bytes(m + 800000, text, 300);
  bytes(h + 800000, text, 300);
  bad += memcmp(m, h, size) != 0;
  if (msync(m, size, MS_SYNC) != 0) return 3;
  printf("frameless %s\n", bad ? "MISMATCH" : "ok");
  return bad || munmap(m, size) || close(fd);
}
