/* untracked_probe.c — an instrumented program that lets an uninstrumented library write into its
 * tracked mapping (the case FAMSYNC_VERIFY exists for).
 *
 *   untracked_probe DIR OFFSET LEN
 *
 * Creates DIR/probe.dat (64 KiB of zeros), maps it MAP_SHARED, stores 8 bytes of 0x11 at offset 0
 * itself (an instrumented, tracked write), has plainwriter_fill() from libplainwriter.so (built
 * without the pass) write LEN bytes of 0xAB at OFFSET, then msync()s. Prints "msync ok" and exits
 * 0, or prints "msync failed: ERRNO" and exits 3. The process then exits normally (which commits
 * again in instrumented code).
 *
 * Invariant: the only writes the program's own code makes to the mapping are the 8 bytes at 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#define PROBE_SIZE 65536

void plainwriter_fill(unsigned char *dst, size_t n, unsigned char value);

int main(int argc, char **argv) {
  if (argc != 4) {
    fprintf(stderr, "usage: untracked_probe DIR OFFSET LEN\n");
    return 2;
  }
  size_t off = strtoul(argv[2], NULL, 10), len = strtoul(argv[3], NULL, 10);
  if (off < 8 || off + len > PROBE_SIZE) {
    fprintf(stderr, "untracked_probe: range outside [8, %d)\n", PROBE_SIZE);
    return 2;
  }
  char path[4096];
  snprintf(path, sizeof path, "%s/probe.dat", argv[1]);
  int fd = open(path, O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || ftruncate(fd, PROBE_SIZE) != 0) {
    perror(path);
    return 2;
  }
  unsigned char *p = mmap(NULL, PROBE_SIZE, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) {
    perror("mmap");
    return 2;
  }
  close(fd);
  memset(p, 0x11, 8);
  plainwriter_fill(p + off, len, 0xAB);
  if (msync(p, PROBE_SIZE, MS_SYNC) != 0) {
    printf("msync failed: %s\n", strerror(errno));
    return 3;
  }
  printf("msync ok\n");
  return 0;
}
