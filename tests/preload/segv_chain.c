/* segv_chain.c — under `famsync run`, the program's own SIGSEGV handler still sees its faults
 * (famsync's handler keeps only first writes to protected tracked pages), while it writes to a
 * tracked mapping that famsync protects.
 *   segv_chain FILE handler   installs a handler, writes the mapping, faults: exits 0 from the handler
 *   segv_chain FILE default   no handler: the fault kills it with SIGSEGV */
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

static void on_segv(int sig, siginfo_t *info, void *ctx) {
  (void)sig, (void)ctx;
  static const char msg[] = "program handler caught its fault\n";
  if (write(1, msg, sizeof msg - 1) < 0) _exit(3);
  _exit(info->si_addr == (void *)16 ? 0 : 4);
}

int main(int argc, char **argv) {
  if (argc != 3) return 64;
  if (strcmp(argv[2], "handler") == 0) {
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    if (sigaction(SIGSEGV, &sa, NULL) != 0) return 2;
  }
  int fd = open(argv[1], O_RDWR | O_CREAT, 0644);
  if (fd < 0 || ftruncate(fd, 8192) != 0) return 2;
  char *m = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  if (m == MAP_FAILED) return 2;
  m[5000] = 'x'; /* famsync's fault: handled silently */
  if (msync(m, 8192, MS_SYNC) != 0) return 2;
  m[5001] = 'y';
  volatile unsigned long where = 16;
  *(volatile int *)where = 1; /* the program's own fault */
  return 5;
}
