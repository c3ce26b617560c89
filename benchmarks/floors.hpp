// floors.hpp — the physical floors commit_latency measures famsync's commit against.
//
// Invariant: every floor does the least work any failure-atomic commit of the same N dirty
// 64-byte lines must do on that medium, touching memory the same way famsync's commit does
// (source lines just written with ordinary stores, destination lines in the same layout), so
// commit/floor is the price of famsync's protocol and nothing else:
//   pmem: N·64 B of non-temporal stores, drain (data durable before the commit record), one
//         8-byte commit record + cache-line write-back, drain (only a commit that does not
//         update the lines in place can stop there); the in-place floor adds what updating
//         them in place costs at least: the lines once more (log, then place), one drain;
//   file: one pwrite of N·64 B appended to a zero-filled, fsynced file + one fdatasync.
// The instruction set is chosen at run time (never SIGILL on an older CPU) and named in the
// output. The bare tracker is item 2's yardstick for the first-write cost: a store, a bit set
// in a bitmap and the line index appended to an array, nothing else.
#pragma once

#include <sys/types.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace famsync::bench {

// Names of the variants picked at run time ("avx512f", "avx", "sse2"; "clwb", "clflushopt",
// "clflush").
const char *nt_isa_name();
const char *flush_isa_name();
// Forces the NT-store variant ("avx512f", "avx", "sse2") for comparison; false (and nothing
// changed) if the name is unknown or the CPU lacks it.
bool force_nt_isa(const char *name);

// Copies line i (64 bytes) from SRC + i*STRIDE to DST + i*STRIDE for i < N with non-temporal
// stores. SRC, DST and STRIDE are 64-byte aligned. No fence.
void nt_copy_lines(char *dst, const char *src, size_t n, size_t stride);

// Writes back the cache line holding P (no fence).
void flush_line(const void *p);

// sfence: waits until earlier non-temporal stores and write-backs are durable (ADR).
void drain();

// The pmem floor: N lines NT-copied, drain, *COMMIT_WORD = VALUE, flush it, drain.
void pmem_floor(char *dst, const char *src, size_t n, size_t stride, uint64_t *commit_word,
                uint64_t value);

// The in-place floor: the least any commit must do that updates the lines IN PLACE (as famsync
// does, and as readers of the file need): the N lines NT-copied packed into a log, an 8-byte commit
// record + flush, one drain (the commit point), then the N lines NT-copied in place (durable with
// the next drain; the caller's interval ends with a fence). Every line crosses the bus twice.
void pmem_in_place_floor(char *log, char *dst, const char *src, size_t n, size_t stride,
                         uint64_t *commit_word, uint64_t value);

// The bare first-write tracker: per line a store of VALUE into the line, a bit set in a bitmap
// (one bit per 64-byte line) and the line index appended to an array.
class BareTracker {
 public:
  explicit BareTracker(size_t lines) : bits_((lines + 63) / 64), list_(lines) {}
  // Dirties line I of BASE (64-byte lines) and tracks it.
  inline void write(char *base, size_t line, uint64_t value) {
    *reinterpret_cast<volatile uint64_t *>(base + line * 64) = value;
    uint64_t &w = bits_[line >> 6];
    uint64_t bit = uint64_t{1} << (line & 63);
    if (!(w & bit)) {
      w |= bit;
      list_[count_++] = static_cast<uint32_t>(line);
    }
  }
  size_t count() const { return count_; }
  // What a commit does after the write-back: forget every tracked line (not timed).
  void clear() {
    for (size_t i = 0; i < count_; ++i) bits_[list_[i] >> 6] = 0;
    count_ = 0;
  }

 private:
  std::vector<uint64_t> bits_;
  std::vector<uint32_t> list_;
  size_t count_ = 0;
};

// The file floor: one pwrite of LEN bytes at OFF + one fdatasync. Exits on failure.
void file_floor(int fd, const char *buf, size_t len, off_t off);

// Creates PATH with SIZE bytes that are really written (zeros, after posix_fallocate), then
// fsyncs it: overwrites need no extent conversion, so fdatasync is a pure data flush (as for
// famsync's own log). Returns the open fd. Exits on failure.
int make_written_file(const std::string &path, size_t size);

// Counters read next to the times: faults of this thread, and the block device's write
// requests, sectors written and flushes (from /sys/dev/block/MAJ:MIN/stat; all zero when the
// directory is not on a block device). Device counters include other processes' I/O: report
// medians.
struct Counters {
  long minflt = 0, majflt = 0;
  uint64_t dev_writes = 0, dev_sectors = 0, dev_flushes = 0;
};
Counters operator-(const Counters &a, const Counters &b);

class CounterSource {
 public:
  explicit CounterSource(const std::string &dir);  // the block device holding DIR, if any
  bool has_device() const { return !stat_path_.empty(); }
  const std::string &device() const { return device_; }
  Counters read() const;

 private:
  std::string stat_path_, device_;
};

// "ext4", "tmpfs", "xfs", ... for the file system holding DIR (or "0x<magic>").
std::string fs_type(const std::string &dir);

}  // namespace famsync::bench
