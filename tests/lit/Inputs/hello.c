/* A small program for the wrapper tests: stores through heap pointers in a
 * function the optimiser cannot see through, a memset, and output that does
 * not depend on the runtime. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

__attribute__((noinline)) void fill(int *p, int n) {
  for (int i = 0; i < n; i++)
    p[i] = i * i;
}

int main(int argc, char **argv) {
  (void)argv;
  int n = 15 + argc; /* 16, unknown to the compiler */
  int *p = malloc(n * sizeof *p);
  if (!p)
    return 1;
  memset(p, 0, n * sizeof *p);
  fill(p, n);
  printf("hello famsync %d\n", p[n - 1]);
  free(p);
  return 0;
}
