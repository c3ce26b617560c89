// late_store_watch.cpp — see late_store_watch.hpp.
#include "late_store_watch.hpp"

#include <atomic>
#include <cstring>

namespace famsync {

namespace {
std::atomic<uint64_t> g_watch_ns_for_testing{0};
uint64_t watch_ns() {
  uint64_t ns = g_watch_ns_for_testing.load(std::memory_order_relaxed);
  return ns != 0 ? ns : LateStoreWatch::kWatchNs;
}
}  // namespace

void LateStoreWatch::set_watch_ns_for_testing(uint64_t ns) {
  g_watch_ns_for_testing.store(ns, std::memory_order_relaxed);
}

void LateStoreWatch::remember(const LineImages &images, uint64_t now_ns, uint64_t batch_epoch) {
  const std::vector<uint64_t> &lines = *images.lines;
  if (!images.packed || lines.size() > kMaxLines) return;
  if (lines_.size() + lines.size() > kMaxLines) {  // make room: the oldest go first
    const uint64_t old_ns = watch_ns() / 4;
    for (auto it = lines_.begin(); it != lines_.end();)
      it = now_ns - it->second.last_commit_ns > old_ns ? lines_.erase(it) : std::next(it);
    if (lines_.size() + lines.size() > kMaxLines) lines_.clear();
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    Watched &w = lines_[lines[i]];
    w.last_commit_ns = now_ns;
    w.batch_epoch = batch_epoch;
    memcpy(w.bytes, images.bytes(i), kLineSize);
  }
}

int LateStoreWatch::visit(uint64_t now_ns, uint64_t end_line,
                          const std::function<int(uint64_t, const char *)> &visit) {
  const uint64_t limit_ns = watch_ns();
  for (auto it = lines_.begin(); it != lines_.end();) {
    if (now_ns - it->second.last_commit_ns > limit_ns || it->first >= end_line) {
      it = lines_.erase(it);
      continue;
    }
    if (int rc = visit(it->first, it->second.bytes)) return rc;
    ++it;
  }
  return 0;
}

void LateStoreWatch::refresh(const LineImages &images) {
  if (lines_.empty()) return;
  const std::vector<uint64_t> &lines = *images.lines;
  for (size_t i = 0; i < lines.size(); ++i) {
    auto it = lines_.find(lines[i]);
    if (it != lines_.end()) memcpy(it->second.bytes, images.bytes(i), kLineSize);
  }
}

void LateStoreWatch::forget_quiesced(uint64_t quiesced) {
  for (auto it = lines_.begin(); it != lines_.end();)
    it = it->second.batch_epoch <= quiesced ? lines_.erase(it) : std::next(it);
}

bool LateStoreWatch::watches_any(uint64_t first_line, uint64_t count, uint64_t now_ns) const {
  if (lines_.empty()) return false;
  const uint64_t limit_ns = watch_ns();
  for (uint64_t line = first_line; line < first_line + count; ++line) {
    auto it = lines_.find(line);
    if (it != lines_.end() && now_ns - it->second.last_commit_ns <= limit_ns) return true;
  }
  return false;
}

}  // namespace famsync
