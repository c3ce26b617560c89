/* What a module built by the version-2 pass references (abi-compat.test): the version-2
 * symbol and the version-2 names of the range hooks, which the current runtime still defines. */
#include <stdio.h>

extern char __fams_abi_version_2;
void __fams_module_init(void);
void __fams_write_range(void *addr, unsigned long size);
void __fams_wrote_range(void *addr, unsigned long size);

int main(void) {
  char buf[16];
  __fams_module_init();
  __fams_write_range(buf, sizeof buf); /* untracked memory: a no-op */
  int n = snprintf(buf, sizeof buf, "abi %d", *(volatile char *)&__fams_abi_version_2);
  __fams_wrote_range(buf, (unsigned long)n + 1);
  puts(buf);
  return 0;
}
