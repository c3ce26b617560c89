/* page_lines.c — preload mode writes back 64-byte lines, not pages (DESIGN.md §10). Built with
 * gcc, never with the pass; run under `famsync run` with FAMSYNC_STATS=1 by page_lines_test.sh.
 *
 *   page_lines FILE      creates FILE (8 pages of 0x11), maps it, then in one epoch:
 *                          page 0: changes 1 byte          (1 changed line)
 *                          page 1: rewrites every byte with the value it already holds (0 lines)
 *                          page 2: changes 2 bytes 1 KiB apart (2 changed lines)
 *                          page 3: changes a byte, then puts it back (0 lines)
 *                        msync(MS_SYNC), and exits 0.
 *   page_lines FILE check   exits 0 if FILE holds exactly those changes.
 *   page_lines FILE exit    the same writes, no msync: the exit commits them (and the runtime's
 *                           first commit, with its first look at the memory budget, runs in the
 *                           exit hook). */
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

enum { kPages = 8, kPage = 4096 };

static unsigned char expected(size_t i) {
  if (i == 100 || i == 2 * kPage + 10 || i == 2 * kPage + 1034) return 0x22;
  return 0x11;
}

int main(int argc, char **argv) {
  if (argc < 2) return 2;
  const size_t len = kPages * kPage;
  if (argc == 3 && strcmp(argv[2], "check") == 0) {
    unsigned char buf[kPages * kPage];
    int fd = open(argv[1], O_RDONLY);
    if (fd < 0 || pread(fd, buf, len, 0) != (ssize_t)len) return perror("check"), 1;
    for (size_t i = 0; i < len; ++i)
      if (buf[i] != expected(i)) return printf("byte %zu = %#x\n", i, buf[i]), 1;
    return 0;
  }
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
  unsigned char page[kPage];
  memset(page, 0x11, sizeof page);
  for (int i = 0; i < kPages; ++i)
    if (fd < 0 || write(fd, page, sizeof page) != kPage) return perror("create"), 1;
  fsync(fd);
  volatile unsigned char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == (void *)MAP_FAILED) return perror("mmap"), 1;
  p[100] = 0x22;
  for (size_t i = 0; i < kPage; ++i) p[kPage + i] = p[kPage + i];
  p[2 * kPage + 10] = 0x22;
  p[2 * kPage + 1034] = 0x22;
  p[3 * kPage + 7] = 0x33;
  p[3 * kPage + 7] = 0x11;
  if (argc == 3) return 0; /* "exit": committed by the exit hook */
  if (msync((void *)p, len, MS_SYNC) != 0) return perror("msync"), 1;
  return 0;
}
