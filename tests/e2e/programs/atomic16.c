/* atomic16.c — 16-byte C11 atomics on a mapped file: clang lowers them (without -mcx16) to
 * libatomic calls (__atomic_store, __atomic_fetch_add_16, ...), which are compiled without the
 * famsync pass.
 *
 *   atomic16 DIR      writes at offsets 128 (_Atomic struct store) and 256 (16-byte fetch_add),
 *                     msync()s; prints "msync ok" (exit 0) or "msync failed: ERRNO" (exit 3)
 *
 * Invariant: every write the program makes to the mapping is a C11/GNU atomic operation, so
 * under FAMSYNC_VERIFY=1 it must commit cleanly once the pass hooks libatomic's entry points.
 * (Registered DISABLED in CMakeLists.txt until then; see the e2e README/report.)
 */
#include <errno.h>
#include <fcntl.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

struct pair {
  uint64_t a, b;
};

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: atomic16 DIR\n");
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/atomic16.dat", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, 4096) != 0) {
    perror(path);
    return 2;
  }
  char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  close(fd);
  _Atomic struct pair *x = (_Atomic struct pair *)(p + 128);
  struct pair v = {1, 2};
  atomic_store(x, v);
  __int128 *y = (__int128 *)(p + 256);
  __atomic_fetch_add(y, 5, __ATOMIC_SEQ_CST);
  if (msync(p, 4096, MS_SYNC) != 0) {
    printf("msync failed: %s\n", strerror(errno));
    return 3;
  }
  printf("msync ok\n");
  return 0;
}
