// stats.cpp — see stats.hpp.
#include "stats.hpp"

#include "log_format.hpp"

#include <bit>

namespace famsync {

void LatencyHistogram::add(uint64_t ns) {
  int index;
  if (ns < kSub) {
    index = static_cast<int>(ns);
  } else {
    int log2 = 63 - std::countl_zero(ns);         // >= 4
    int sub = static_cast<int>((ns >> (log2 - 4)) & (kSub - 1));
    index = (log2 - 3) * kSub + sub;
  }
  ++buckets_[index];
  ++count_;
  if (ns > max_) max_ = ns;
}

void LatencyHistogram::merge(const LatencyHistogram &other) {
  for (int i = 0; i < 64 * kSub; ++i) buckets_[i] += other.buckets_[i];
  count_ += other.count_;
  if (other.max_ > max_) max_ = other.max_;
}

uint64_t LatencyHistogram::percentile(double p) const {
  if (count_ == 0) return 0;
  uint64_t rank = static_cast<uint64_t>(p * static_cast<double>(count_ - 1)) + 1, seen = 0;
  for (int i = 0; i < 64 * kSub; ++i) {
    seen += buckets_[i];
    if (seen < rank) continue;
    if (i < kSub) return static_cast<uint64_t>(i);
    int log2 = i / kSub + 3, sub = i % kSub;
    uint64_t upper = (static_cast<uint64_t>(kSub + sub + 1) << (log2 - 4)) - 1;
    return upper < max_ ? upper : max_;
  }
  return max_;
}

void Stats::merge(const Stats &o) {
  commits += o.commits;
  empty_commits += o.empty_commits;
  rollbacks += o.rollbacks;
  dirty_lines += o.dirty_lines;
  logged_at_commit += o.logged_at_commit;
  log_bytes_at_commit += o.log_bytes_at_commit;
  writeback_bytes += o.writeback_bytes;
  writeback_runs += o.writeback_runs;
  log_grows += o.log_grows;
  checkpoints += o.checkpoints;
  racing_lines += o.racing_lines;
  joined_commits += o.joined_commits.load(std::memory_order_relaxed);
  unchanged_lines += o.unchanged_lines;
  working_set_pages += o.working_set_pages;
  pages_given_back += o.pages_given_back;
  first_write_pages += o.first_write_pages;
  pending_pages_peak = pending_pages_peak > o.pending_pages_peak ? pending_pages_peak : o.pending_pages_peak;
  logged_at_store += o.logged_at_store.load(std::memory_order_relaxed);
  latency.merge(o.latency);
}

void Stats::export_to(fams_stat_counters *out) const {
  uint64_t at_store = logged_at_store.load(std::memory_order_relaxed);
  out->commits = commits;
  out->empty_commits = empty_commits;
  out->rollbacks = rollbacks;
  out->dirty_lines = dirty_lines;
  out->logged_at_store = at_store;
  out->logged_at_commit = logged_at_commit;
  out->log_bytes = at_store * kLogEntrySize + log_bytes_at_commit;
  out->writeback_bytes = writeback_bytes;
  out->writeback_runs = writeback_runs;
  out->log_grows = log_grows;
  out->checkpoints = checkpoints;
  out->commit_ns_p50 = latency.percentile(0.50);
  out->commit_ns_p90 = latency.percentile(0.90);
  out->commit_ns_p99 = latency.percentile(0.99);
  out->commit_ns_max = latency.max();
  out->working_set_bytes = working_set_pages * 4096;
  out->pages_given_back = pages_given_back;
  out->first_write_pages = first_write_pages;
  out->pending_bytes_peak = pending_pages_peak * 4096;
  out->racing_lines = racing_lines;
  out->joined_commits = joined_commits.load(std::memory_order_relaxed);
  out->unchanged_lines = unchanged_lines;
}

}  // namespace famsync
