// late_store_watch.hpp — catches stores that land after the commit that cleared their line.
//
// Why: the store path checks a line's dirty bit, then stores. A thread descheduled between the
// two can store after a commit cleared the line and copied it: the line is then clean but no
// longer equal to the file, and the store would never be committed (DESIGN §1.6). In a process
// with more than one thread, every commit hands its lines and the bytes it committed to this
// watch; the next commits compare them with the working copy, and a line that changed without
// being listed is listed again (its committed bytes are in the data file). A line is watched for
// kWatchNs after its last commit, which covers a descheduled thread (scheduler latencies are
// milliseconds) but not one stopped longer (SIGSTOP, a debugger).
//
// Invariant: each watched line's bytes are what the data file holds for it (the last commit of
// that line wrote them), as long as the line lies inside the file.
// Lines also leave the watch as soon as every other storing thread has passed its next store-path
// call (writer_epochs.hpp): with threads that keep storing, a commit compares about the lines of
// the commits since each thread's last store, not of the last 200 ms.
// Memory: at most kMaxLines lines (72 bytes each); a commit of more lines is not watched.
#pragma once

#include "log_format.hpp"
#include "line_images.hpp"

#include <cstdint>
#include <functional>
#include <unordered_map>
#include <vector>

namespace famsync {

class LateStoreWatch {
 public:
  static constexpr uint64_t kWatchNs = 200'000'000;  // 200 ms
  // Tests that hold a thread between check and store across many commits on a slow machine
  // (sanitizers) lengthen the watch, so that only the rule under test decides. 0: kWatchNs.
  static void set_watch_ns_for_testing(uint64_t ns);
  static constexpr size_t kMaxLines = 16384;          // ~1.2 MiB

  // After a commit from a snapshot (IMAGES packed) at time NOW_NS, whose lines were cleared
  // before writer epoch BATCH_EPOCH began (writer_epochs::advance): watch its lines.
  void remember(const LineImages &images, uint64_t now_ns, uint64_t batch_epoch);

  // Before a commit at NOW_NS: forgets lines watched too long or now past END_LINE, and calls
  // VISIT(line, committed bytes) for each remaining line. VISIT returns nonzero to stop (the
  // value is returned).
  int visit(uint64_t now_ns, uint64_t end_line,
            const std::function<int(uint64_t line, const char *committed)> &visit);

  // True if a line of [FIRST_LINE, FIRST_LINE + COUNT) is watched at NOW_NS: a late store may
  // still land in it, so its page must not be given back yet (the store would vanish with it).
  bool watches_any(uint64_t first_line, uint64_t count, uint64_t now_ns) const;

  // After a commit made without a snapshot (IMAGES not packed: no other thread stored since the
  // last commit): the watched ones among its lines take the bytes it committed. Their old bytes
  // are stale now, and the undo protocol would "correct" a later first-write entry back to them
  // (Region::recheck_watched_lines), so a crash in that commit would roll the line back past
  // this commit. They stay watched: a store checked before an earlier commit may still land.
  void refresh(const LineImages &images);

  // After a visit that followed writer_epochs::quiesced_through() == QUIESCED: forgets the lines
  // of batches up to QUIESCED. No thread can still be between a check made before their clear
  // and its store, and the visit compared them after every such store had become visible.
  void forget_quiesced(uint64_t quiesced);

  bool empty() const { return lines_.empty(); }
  size_t size() const { return lines_.size(); }
  void clear() { lines_.clear(); }

 private:
  struct Watched {
    uint64_t last_commit_ns;
    uint64_t batch_epoch;  // of the last commit of the line
    char bytes[kLineSize];
  };
  std::unordered_map<uint64_t, Watched> lines_;
};

}  // namespace famsync
