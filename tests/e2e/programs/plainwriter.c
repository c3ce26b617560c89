/* plainwriter.c — a shared library built WITHOUT the famsync pass (plain clang -shared -fPIC).
 *
 * Stands for any uninstrumented library an instrumented program hands a buffer to: its stores
 * into a tracked mapping are invisible to famsync's tracking, so FAMSYNC_VERIFY must report them.
 *
 * Invariant: plainwriter_fill writes exactly [dst, dst + n) and nothing else.
 */
#include <stddef.h>

void plainwriter_fill(unsigned char *dst, size_t n, unsigned char value) {
  for (size_t i = 0; i < n; ++i) dst[i] = value;
}
