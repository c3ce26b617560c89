// working_set.cpp — see working_set.hpp.
#include "working_set.hpp"

#include "dirty_map.hpp"
#include "log_format.hpp"
#include "options.hpp"

#include <algorithm>
#include <atomic>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <string>
#include <sys/mman.h>
#include <unistd.h>

namespace famsync {
namespace {

constexpr uint64_t kPage = 4096;
constexpr uint64_t kUnlimited = ~0ull;

std::atomic<uint64_t> g_resident_pages{0};  // private clean pages queued, all regions

uint64_t read_u64_file(const std::string &path) {
  std::ifstream in(path);
  std::string v;
  if (!(in >> v) || v == "max") return kUnlimited;
  try {
    return std::stoull(v);
  } catch (...) {
    return kUnlimited;
  }
}

// The memory limit of the process's cgroup (v2 unified or v1 memory controller), or kUnlimited.
uint64_t cgroup_limit_bytes() {
  std::ifstream cg("/proc/self/cgroup");
  std::string line;
  uint64_t limit = kUnlimited;
  while (std::getline(cg, line)) {
    size_t a = line.find(':'), b = line.find(':', a + 1);
    if (a == std::string::npos || b == std::string::npos) continue;
    std::string controllers = line.substr(a + 1, b - a - 1), path = line.substr(b + 1);
    uint64_t v = kUnlimited;
    if (controllers.empty()) v = read_u64_file("/sys/fs/cgroup" + path + "/memory.max");
    else if (("," + controllers + ",").find(",memory,") != std::string::npos)
      v = read_u64_file("/sys/fs/cgroup/memory" + path + "/memory.limit_in_bytes");
    if (v < limit) limit = v;
  }
  return limit >= (1ull << 60) ? kUnlimited : limit;
}

}  // namespace

uint64_t working_set_budget_bytes() {
  static const uint64_t budget = [] {
    if (options().working_set_bytes != 0) return options().working_set_bytes;
    uint64_t ram = static_cast<uint64_t>(sysconf(_SC_PHYS_PAGES)) * static_cast<uint64_t>(sysconf(_SC_PAGESIZE));
    uint64_t limit = std::min(ram, cgroup_limit_bytes());
    // Half: the program's own memory needs the rest (a program that fit under plain msync, whose
    // written pages were page cache the kernel could reclaim, must keep fitting).
    return std::max<uint64_t>(limit / 2, 16 * kPage);
  }();
  return budget;
}

void WorkingSet::set_queued(uint64_t page, bool on) {
  if (page / 64 >= queued_bits_.size()) queued_bits_.resize(page / 64 + 1, 0);
  if (on) queued_bits_[page / 64] |= 1ull << (page % 64);
  else queued_bits_[page / 64] &= ~(1ull << (page % 64));
}

uint64_t WorkingSet::after_clean(char *base, uint64_t map_len, const std::vector<uint64_t> &lines,
                                 bool may_give_back,
                                 const std::function<bool(uint64_t page)> &keep_for_now) {
  uint64_t last_page = UINT64_MAX, added = 0;
  for (uint64_t line : lines) {
    uint64_t page = line * kLineSize / kPage;
    if (page == last_page) continue;
    last_page = page;
    if (queued(page)) continue;
    set_queued(page, true);
    queue_.push_back(page);
    ++added;
  }
  first_writes_ += added;
  note_dirty_map_pages(lines, may_give_back);
  uint64_t budget_pages = working_set_budget_bytes() / kPage;
  // Most commits add no page (every page already queued): a load, not a locked add (which was a
  // quarter of this function's time in YCSB A at 1 M records).
  uint64_t total = added == 0 ? g_resident_pages.load(std::memory_order_relaxed)
                              : g_resident_pages.fetch_add(added, std::memory_order_relaxed) + added;
  if (total <= budget_pages || !may_give_back) return 0;
  // Over budget: give back this region's oldest clean pages, in runs, down to 7/8 of the
  // budget (the slack spares a madvise per commit once the budget is reached). A page to keep
  // for now goes to the back; each queued page is looked at once at most.
  auto keep = [&](uint64_t page) { return keep_for_now && keep_for_now(page); };
  uint64_t target = budget_pages - budget_pages / 8, released = 0;
  uint64_t map_pages = map_len / kPage;
  for (uint64_t looked = 0, queued_now = queue_.size();
       !queue_.empty() && total - released > target && looked < queued_now;) {
    uint64_t first = queue_.front(), count = 0;
    if (keep(first)) {
      queue_.pop_front();
      queue_.push_back(first);
      ++looked;
      continue;
    }
    // Take a run of consecutive queued pages from the front (sequential writers give long ones).
    while (!queue_.empty() && queue_.front() == first + count &&
           total - released - count > target && (count == 0 || !keep(queue_.front()))) {
      set_queued(queue_.front(), false);
      queue_.pop_front();
      ++count;
      ++looked;
    }
    released += count;
    if (first >= map_pages) continue;  // the mapping shrank past it: nothing to give back
    uint64_t n = std::min(count, map_pages - first);
    if (madvise(base + first * kPage, n * kPage, MADV_DONTNEED) == 0) given_back_ += n;
    else failures_ += n;
  }
  g_resident_pages.fetch_sub(released, std::memory_order_relaxed);
  return released;
}

// Counts the dirty-map pages the (sorted) LINES are on — in both of its arrays — and gives the
// map back once they exceed its share (header). A file up to 256 MiB has a map of at most 1 MiB
// and never pays this; a sparse writer to a large file pays two zero-page faults per first
// write to a line instead of keeping the map resident. The floor is 1 MiB, or 1/16 of a budget
// below 16 MiB (the tests' tiny budgets give the map back at every commit that touched it).
void WorkingSet::note_dirty_map_pages(const std::vector<uint64_t> &lines, bool may_give_back) {
  constexpr uint64_t kLinesPerMapPage = kPage * 8;  // one bit per line in each array
  const uint64_t floor_pages = std::min<uint64_t>((1 << 20) / kPage,
                                                  working_set_budget_bytes() / kPage / 16);
  if (dirty_map_ == nullptr || dirty_map_->footprint() <= floor_pages * kPage) return;
  uint64_t last = UINT64_MAX;
  for (uint64_t line : lines) {
    if (line / kLinesPerMapPage == last) continue;
    last = line / kLinesPerMapPage;
    dirty_map_pages_ += 2;
  }
  if (!may_give_back || dirty_map_pages_ <= std::max(floor_pages, queue_.size() / 8)) return;
  if (dirty_map_->give_back_clean()) ++dirty_map_give_backs_;
  else ++failures_;
  dirty_map_pages_ = 0;
}

void WorkingSet::forget_all() {
  g_resident_pages.fetch_sub(queue_.size(), std::memory_order_relaxed);
  queue_.clear();
  queued_bits_.clear();
}

void WorkingSet::note_pending_pages(uint64_t pages, const char *path) {
  static std::atomic<bool> warned{false};
  if (pages * kPage <= working_set_budget_bytes() || warned.exchange(true)) return;
  fprintf(stderr, "famsync: %s: %llu MiB of uncommitted changes exceed the working-set budget "
          "(%llu MiB): they stay in memory until the next commit (commit more often, or raise "
          "FAMSYNC_WORKING_SET_MB)\n", path, (unsigned long long)(pages * kPage >> 20),
          (unsigned long long)(working_set_budget_bytes() >> 20));
}

}  // namespace famsync
