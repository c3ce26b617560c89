// lines.hpp — the one place for line and page arithmetic: famsync tracks 64-byte lines inside
// pages of the system's page size (and copies a single line without a memcpy call).
// Invariant: every line/page round-up and conversion in the engine goes through these helpers
// (no literal `>> 6`, `/ 64` or 4096 elsewhere).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <unistd.h>

namespace famsync {

// Tracking granularity: one cache line. Also the log's unit (an entry holds one line).
inline constexpr size_t kLineSize = 64;

// The system's page size (sysconf; 4096 on x86-64).
inline uint64_t page_size() {
  static const uint64_t size = static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
  return size;
}

// X rounded up to a multiple of ALIGN (a power of two, or any positive value).
inline constexpr uint64_t round_up(uint64_t x, uint64_t align) {
  return (x + align - 1) / align * align;
}
inline uint64_t page_round_up(uint64_t bytes) { return round_up(bytes, page_size()); }

// The line holding byte offset OFF, and the number of lines that cover BYTES bytes.
inline constexpr uint64_t line_of(uint64_t off) { return off / kLineSize; }
inline constexpr uint64_t lines_covering(uint64_t bytes) {
  return (bytes + kLineSize - 1) / kLineSize;
}
inline constexpr uint64_t line_offset(uint64_t line) { return line * kLineSize; }
// memcpy, with one line as a fixed-size copy (four vector moves) instead of a call: commits of
// scattered lines copy one line at a time.
inline void copy_line_or_bytes(void *dst, const void *src, size_t len) {
  if (len == kLineSize) memcpy(dst, src, kLineSize);
  else memcpy(dst, src, len);
}
// The page (of page_size()) holding LINE: a shift, since commits map every dirty line to its page
// (a division by the run-time page size costs 20-40 cycles per line).
inline uint64_t page_of_line(uint64_t line) {
  static const unsigned shift = __builtin_ctzll(page_size() / kLineSize);  // a power of two
  return line >> shift;
}

}  // namespace famsync
