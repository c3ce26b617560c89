/* mprotect_writer.c — under `famsync run`, a program's own mprotect of its tracked mapping
 * neither defeats write tracking nor loses its meaning (DESIGN.md §10). Built with gcc.
 *   mprotect_writer FILE         runs the steps; prints "ok" and exits 0, or names the failed step
 *   mprotect_writer FILE check   (run WITHOUT famsync: in-process reads of a tracked file come
 *                                from the working copy) exits 0 if the file holds every commit.
 * Steps: (1) a write, msync: in the file. (2) mprotect(PROT_READ|PROT_WRITE) of the whole
 * mapping — a no-op for the kernel, but it made every page writable, so under famsync a later
 * write was never seen — then a write to another page, msync: must be in the file. (3)
 * mprotect(PROT_READ) of one page: a write there must fault into the program's handler, and
 * the file keep its byte. (4) mprotect(PROT_READ|PROT_WRITE) of that page again, a write, msync:
 * in the file. */
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static sigjmp_buf g_jump;
static volatile sig_atomic_t g_faults;

static void on_segv(int sig) {
  (void)sig;
  ++g_faults;
  siglongjmp(g_jump, 1);
}

static char in_file(int fd, off_t off) {
  char c = 0;
  return pread(fd, &c, 1, off) == 1 ? c : 0;
}

#define FAIL(step) return printf("FAIL: %s\n", step), 1

int main(int argc, char **argv) {
  if (argc != 2 && argc != 3) return 64;
  const size_t len = 4 * 4096;
  if (argc == 3) {
    int fd = open(argv[1], O_RDONLY);
    if (in_file(fd, 0) != 'b') FAIL("check: step 1's write is not in the file");
    if (in_file(fd, 4096) != 'c') FAIL("check: step 2's write (after mprotect RW) is not in the file");
    if (in_file(fd, 8192) != 'd') FAIL("check: step 4's write is not in the file");
    printf("ok\n");
    return 0;
  }
  int fd = open(argv[1], O_RDWR | O_CREAT | O_TRUNC, 0600);
  char fill[4 * 4096];
  memset(fill, 'a', sizeof fill);
  if (fd < 0 || write(fd, fill, sizeof fill) != (ssize_t)sizeof fill) FAIL("create");
  char *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (p == MAP_FAILED) FAIL("mmap");
  signal(SIGSEGV, on_segv);
  p[0] = 'b';
  if (msync(p, len, MS_SYNC) != 0) FAIL("1: msync");
  if (mprotect(p, len, PROT_READ | PROT_WRITE) != 0) FAIL("2: mprotect");
  p[4096] = 'c';
  if (msync(p, len, MS_SYNC) != 0) FAIL("2: msync");
  if (mprotect(p + 8192, 4096, PROT_READ) != 0) FAIL("3: mprotect");
  if (sigsetjmp(g_jump, 1) == 0) {
    *(volatile char *)(p + 8192) = 'x';
    FAIL("3: a write to a page the program made read-only did not fault");
  }
  if (g_faults != 1) FAIL("3: the program's handler did not see its fault");
  if (msync(p, len, MS_SYNC) != 0 || p[8192] != 'a') FAIL("3: the read-only page changed");
  if (mprotect(p + 8192, 4096, PROT_READ | PROT_WRITE) != 0) FAIL("4: mprotect");
  p[8192] = 'd';
  if (msync(p, len, MS_SYNC) != 0) FAIL("4: msync");
  printf("ok\n");
  return 0;
}
