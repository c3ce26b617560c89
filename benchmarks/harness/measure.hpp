// measure.hpp — what a run reports: per-op-type latency summaries, throughput, memory (peak RSS,
// the arena's resident bytes, everything else resident) and bytes on the medium.
//
// Latencies are kept exactly (one 8-byte sample per operation, reserved before the run so the
// recorder itself does not allocate while being measured); percentiles are nearest-rank over the
// sorted samples. Memory comes from /proc/self/smaps: a mapping overlapping the arena counts as
// arena, other mappings of the policy's own files (data file, log) as medium, the rest as anonymous
// or library text; famsync's in-memory metadata is the growth of anonymous memory from just
// before the region is mapped to the end of the run (at rest, after the last commit), less the
// same growth measured for the `none` policy (the harness's own allocations).
// Invariant: nothing here runs between a timer's start and stop except the operation itself.
#ifndef FAMSYNC_BENCH_HARNESS_MEASURE_HPP
#define FAMSYNC_BENCH_HARNESS_MEASURE_HPP

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <string>
#include <sys/resource.h>
#include <sys/stat.h>
#include <vector>

namespace harness {

using Clock = std::chrono::steady_clock;

inline uint64_t now_ns() {
  return static_cast<uint64_t>(std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count());
}

struct Summary {
  uint64_t count = 0;
  double avg_us = 0, min_us = 0, max_us = 0, p50_us = 0, p95_us = 0, p99_us = 0, p999_us = 0;
};

inline Summary summarize(std::vector<uint64_t> ns) {
  Summary s;
  s.count = ns.size();
  if (ns.empty()) return s;
  std::sort(ns.begin(), ns.end());
  double sum = 0;
  for (uint64_t v : ns) sum += static_cast<double>(v);
  auto pct = [&](double p) {
    size_t rank = static_cast<size_t>(p * static_cast<double>(ns.size()) + 0.999999);  // nearest rank
    rank = std::clamp<size_t>(rank, 1, ns.size());
    return static_cast<double>(ns[rank - 1]) / 1e3;
  };
  s.avg_us = sum / static_cast<double>(ns.size()) / 1e3;
  s.min_us = static_cast<double>(ns.front()) / 1e3;
  s.max_us = static_cast<double>(ns.back()) / 1e3;
  s.p50_us = pct(0.50), s.p95_us = pct(0.95), s.p99_us = pct(0.99), s.p999_us = pct(0.999);
  return s;
}

inline long peak_rss_kb() {
  struct rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_maxrss;
}

struct MemSplit {
  long arena_kb = 0;   // mappings overlapping the arena (famsync: the working copy)
  long medium_kb = 0;  // other mappings of the policy's own files (famsync: the data file mapped
                       // for write-back and the log; on real pmem these are DAX, not DRAM)
  long anon_kb = 0;    // anonymous memory: heap, bitmaps, lists, buffers
  long lib_kb = 0;     // other file mappings (program and library text)
};

inline MemSplit mem_split(uintptr_t arena_lo, uintptr_t arena_hi, const std::vector<std::string> &files) {
  MemSplit m;
  FILE *f = fopen("/proc/self/smaps", "r");
  if (f == nullptr) return m;
  char line[1024];
  long *cls = &m.anon_kb;
  while (fgets(line, sizeof line, f)) {
    unsigned long lo, hi;
    char perms[8];
    int path_at = 0;
    if (sscanf(line, "%lx-%lx %7s %*s %*s %*s %n", &lo, &hi, perms, &path_at) == 3 && path_at > 0) {
      // A mapping header: "lo-hi perms offset dev inode [path]".
      std::string path = line + path_at;
      while (!path.empty() && (path.back() == '\n' || path.back() == ' ')) path.pop_back();
      bool own = false;
      for (const auto &p : files) own = own || (!p.empty() && path == p);
      if (lo < arena_hi && hi > arena_lo) cls = &m.arena_kb;
      else if (own) cls = &m.medium_kb;
      else if (path.empty() || path[0] == '[') cls = &m.anon_kb;
      else cls = &m.lib_kb;
      continue;
    }
    long kb;
    if (sscanf(line, "Rss: %ld kB", &kb) == 1) *cls += kb;
  }
  fclose(f);
  return m;
}

// Bytes allocated to PATH on its medium (st_blocks), 0 if it does not exist.
inline uint64_t disk_bytes(const std::string &path) {
  struct stat st;
  if (stat(path.c_str(), &st) != 0) return 0;
  return static_cast<uint64_t>(st.st_blocks) * 512;
}

}  // namespace harness

#endif  // FAMSYNC_BENCH_HARNESS_MEASURE_HPP
