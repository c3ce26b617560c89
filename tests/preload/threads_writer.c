/* threads_writer.c — four threads of a gcc-built program write interleaved words of the same
 * pages (so first-write faults on one page race) while the main thread msyncs each round under
 * `famsync run`; at the end the file must hold the last round everywhere. */
#include <fcntl.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/mman.h>
#include <unistd.h>
static uint64_t *m; static pthread_barrier_t b; static int rounds = 200;
static void *w(void *a) { long t = (long)a;
  for (int r = 1; r <= rounds; ++r) { for (int i = 0; i < 4096; ++i) m[(i * 4 + t) % 16384] = r; pthread_barrier_wait(&b); pthread_barrier_wait(&b); }
  return 0; }
int main(int c, char **v) { int fd = open(v[1], O_RDWR|O_CREAT, 0644); ftruncate(fd, 131072);
  m = mmap(0, 131072, PROT_READ|PROT_WRITE, MAP_SHARED, fd, 0); pthread_barrier_init(&b, 0, 5);
  pthread_t t[4]; for (long i = 0; i < 4; ++i) pthread_create(&t[i], 0, w, (void*)i);
  for (int r = 1; r <= rounds; ++r) { pthread_barrier_wait(&b); if (msync(m, 131072, MS_SYNC)) return 2; pthread_barrier_wait(&b); }
  for (int i = 0; i < 4; ++i) pthread_join(t[i], 0);
  for (int i = 0; i < 16384; ++i) if (m[i] != (uint64_t)rounds) { printf("bad %d\n", i); return 1; }
  printf("ok\n"); return 0; }
