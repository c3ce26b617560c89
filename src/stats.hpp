// stats.hpp — commit counters and a latency histogram (what fams_stats and FAMSYNC_STATS report).
//
// Invariant: counters only grow; a Stats is updated by its region's committing thread under the
// region lock, except the store-path counters, which are atomics.
#pragma once

#include <famsync/famsync.h>

#include <atomic>
#include <cstdint>

namespace famsync {

// Log-linear histogram: 16 sub-buckets per power of two, so a percentile is within ~6%.
class LatencyHistogram {
 public:
  void add(uint64_t ns);
  void merge(const LatencyHistogram &other);
  uint64_t percentile(double p) const;  // upper bound of the bucket holding the p-quantile
  uint64_t max() const { return max_; }
  uint64_t count() const { return count_; }

 private:
  static constexpr int kSub = 16;
  uint64_t buckets_[64 * kSub] = {};
  uint64_t count_ = 0;
  uint64_t max_ = 0;
};

struct Stats {
  uint64_t commits = 0, empty_commits = 0, rollbacks = 0, dirty_lines = 0, logged_at_commit = 0,
           log_bytes_at_commit = 0, writeback_bytes = 0, writeback_runs = 0, log_grows = 0, checkpoints = 0;
  // Lines written while a commit or rollback copied them (racing writers): kept for the next epoch.
  uint64_t racing_lines = 0;
  // Commit calls served by a commit that another thread ran meanwhile (group commit). Atomic:
  // a caller covered while it waits counts itself without the region lock.
  std::atomic<uint64_t> joined_commits{0};
  // Preload mode: lines of written pages that still held their committed bytes at commit (not
  // logged, not written back).
  uint64_t unchanged_lines = 0;
  // Working copy (working_set.hpp): private pages now (a gauge, 0 once unmapped), pages given back
  // over the budget, pages that became private (first writes), the largest epoch in pages.
  uint64_t working_set_pages = 0, pages_given_back = 0, first_write_pages = 0, pending_pages_peak = 0;
  std::atomic<uint64_t> logged_at_store{0};
  LatencyHistogram latency;

  void merge(const Stats &other);
  void export_to(fams_stat_counters *out) const;
};

}  // namespace famsync
