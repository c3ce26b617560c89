// late_store_watch.cpp — see late_store_watch.hpp.
#include "late_store_watch.hpp"

#include <cstring>

namespace famsync {

void LateStoreWatch::remember(const LineImages &images, uint64_t now_ns) {
  const std::vector<uint64_t> &lines = *images.lines;
  if (!images.packed || lines.size() > kMaxLines) return;
  if (lines_.size() + lines.size() > kMaxLines) {  // make room: the oldest go first
    for (auto it = lines_.begin(); it != lines_.end();)
      it = now_ns - it->second.last_commit_ns > kWatchNs / 4 ? lines_.erase(it) : std::next(it);
    if (lines_.size() + lines.size() > kMaxLines) lines_.clear();
  }
  for (size_t i = 0; i < lines.size(); ++i) {
    Watched &w = lines_[lines[i]];
    w.last_commit_ns = now_ns;
    memcpy(w.bytes, images.bytes(i), kLineSize);
  }
}

int LateStoreWatch::visit(uint64_t now_ns, uint64_t end_line,
                          const std::function<int(uint64_t, const char *)> &visit) {
  for (auto it = lines_.begin(); it != lines_.end();) {
    if (now_ns - it->second.last_commit_ns > kWatchNs || it->first >= end_line) {
      it = lines_.erase(it);
      continue;
    }
    if (int rc = visit(it->first, it->second.bytes)) return rc;
    ++it;
  }
  return 0;
}

bool LateStoreWatch::watches_any(uint64_t first_line, uint64_t count, uint64_t now_ns) const {
  if (lines_.empty()) return false;
  for (uint64_t line = first_line; line < first_line + count; ++line) {
    auto it = lines_.find(line);
    if (it != lines_.end() && now_ns - it->second.last_commit_ns <= kWatchNs) return true;
  }
  return false;
}

}  // namespace famsync
