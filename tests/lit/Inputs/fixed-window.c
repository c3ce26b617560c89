/* fixed-window.test: where the runtime puts its VA window. `check` (built instrumented):
 * the window is published at the fixed check range of abi.h, and a tracked mapping is inside it.
 * `taken` (built with -famsync-skip-module, so nothing reserves the window before main): the
 * program occupies the fixed range first. With no instrumented code in the process nothing checks
 * the fixed range, so the window is placed elsewhere and the mapping works.
 * `taken-instrumented`: the same, then an instrumented module initialises (as one loaded later
 * would): the window must not be placed elsewhere (that module would miss every store), so
 * mapping fails with ENOMEM and a message naming the range. */
#define _GNU_SOURCE
#include <errno.h>
#include <famsync/abi.h>
#include <famsync/famsync.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv) {
  if (argc != 3) return 2;
  int fd = open(argv[2], O_RDWR | O_CREAT | O_TRUNC, 0600);
  if (fd < 0 || ftruncate(fd, 4096) != 0) return 2;
  close(fd);
  if (strncmp(argv[1], "taken", 5) == 0) {
    void *p = mmap((void *)FAMS_WINDOW_FIXED_BASE, 1 << 20, PROT_NONE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != (void *)FAMS_WINDOW_FIXED_BASE) return 3;
  }
  if (strcmp(argv[1], "taken-instrumented") == 0) __fams_module_init();
  fams_region *r = NULL;
  int rc = fams_map(argv[2], 0, &r);
  if (rc != 0) {
    printf("map failed: %s: %s\n", rc == ENOMEM ? "ENOMEM" : "other", fams_last_error_message());
    return 1;
  }
  uintptr_t a = (uintptr_t)fams_region_addr(r);
  printf("window base %#lx size>0 %d; mapping in check range %d\n", __fams_window_base,
         __fams_window_size > 0, (a >> FAMS_WINDOW_CHECK_SHIFT) ==
                                     (FAMS_WINDOW_FIXED_BASE >> FAMS_WINDOW_CHECK_SHIFT));
  memcpy(fams_region_addr(r), "x", 1); /* instrumented: hooked through the fixed check */
  rc = fams_msync(r);
  fams_unmap(r);
  return rc;
}
