// registry.cpp — see registry.hpp.
#include "registry.hpp"

#include "crash_point.hpp"
#include "options.hpp"
#include "region.hpp"

#include <algorithm>
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <mutex>
#include <new>
#include <pthread.h>
#include <vector>

namespace famsync::registry {
namespace {

struct Entry {
  Region *region;
  dev_t dev;
  ino_t ino;
  uint64_t id;
};

uint64_t g_next_id = 1;  // under mu(); 64 bits: never wraps, so ids are never reused

LifetimeLock &lifetimes() {
  static auto *m = new LifetimeLock;  // never destroyed: the exit hook takes it
  return *m;
}

std::mutex &mu() {
  static std::mutex m;
  return m;
}
std::vector<Entry> &live() {
  static auto *v = new std::vector<Entry>;  // never destroyed: used by the exit hook
  return *v;
}
// live().size(), mirrored for the lock-free empty() (written under mu()).
std::atomic<size_t> g_live_count{0};
// How many regions were ever removed (written under mu()): a thread's last by_id answer stays
// good while this is unchanged (ids are never reused, and a region is deleted only after its
// removal).
std::atomic<uint64_t> g_removals{0};
struct LastLookup {
  uint64_t id;
  Region *region;
  uint64_t removals;
};
constinit __attribute__((tls_model("initial-exec"))) thread_local LastLookup t_last_lookup{0, nullptr, 0};

Stats &retired() {
  static auto *s = new Stats;
  return *s;
}

thread_local int t_in_process_hook = 0;
struct InProcessHook {
  InProcessHook() { ++t_in_process_hook; }
  ~InProcessHook() { --t_in_process_hook; }
};

void at_exit() {
  // Contract: normal process exit commits every tracked mapping (like munmap). Other threads
  // may still run (exit() does not stop them) and munmap a region: the exclusive lifetime lock
  // makes their close and ours take turns, and the snapshot taken under it stays valid.
  InProcessHook hook;  // (preload mode: a libc call made below must not re-enter the runtime)
  std::unique_lock lifetime_lock(lifetimes());
  std::vector<Region *> regions;
  {
    std::lock_guard lock(mu());
    for (const Entry &e : live()) regions.push_back(e.region);
  }
  bool commit = options().exit_commit;
  for (Region *r : regions) {
    if (r->disowned()) continue;
    if (!commit) {  // FAMSYNC_EXIT_COMMIT=0: the file keeps its last commit
      // The close below does not commit, and a failed rollback refuses commits anyway
      // (Region::rollback); the file keeps its last commit, but say that the rollback failed.
      if (int rc = r->rollback(); rc != 0)
        fprintf(stderr, "famsync: rollback at exit failed: %s (%s); nothing of it is committed\n",
                fams_strerror(rc), fams_last_error_message());
    }
    if (int rc = Region::close(r, commit); rc != 0)
      fprintf(stderr, "famsync: %s at exit failed: %s (%s)\n", commit ? "commit" : "close",
              fams_strerror(rc), fams_last_error_message());
  }
  if (options().print_stats) {
    fams_stat_counters t;
    totals(&t);
    fprintf(stderr,
            "famsync stats: commits=%" PRIu64 " empty_commits=%" PRIu64 " rollbacks=%" PRIu64
            " dirty_lines=%" PRIu64 " logged_at_store=%" PRIu64 " logged_at_commit=%" PRIu64
            " log_bytes=%" PRIu64 " writeback_bytes=%" PRIu64 " writeback_runs=%" PRIu64
            " log_grows=%" PRIu64 " checkpoints=%" PRIu64 " commit_ns p50=%" PRIu64
            " p90=%" PRIu64 " p99=%" PRIu64 " max=%" PRIu64 " working_set_bytes=%" PRIu64
            " pages_given_back=%" PRIu64 " first_write_pages=%" PRIu64
            " pending_bytes_peak=%" PRIu64 " racing_lines=%" PRIu64 " joined_commits=%" PRIu64
            " unchanged_lines=%" PRIu64 "\n",
            t.commits, t.empty_commits, t.rollbacks, t.dirty_lines, t.logged_at_store,
            t.logged_at_commit, t.log_bytes, t.writeback_bytes, t.writeback_runs, t.log_grows,
            t.checkpoints, t.commit_ns_p50, t.commit_ns_p90, t.commit_ns_p99, t.commit_ns_max,
            t.working_set_bytes, t.pages_given_back, t.first_write_pages, t.pending_bytes_peak,
            t.racing_lines, t.joined_commits, t.unchanged_lines);
  }
}

void in_fork_child() {
  // The child shares the parent's log lock and file: it must never commit the parent's regions.
  for (const Entry &e : live()) e.region->disown();
}

}  // namespace

int add(Region *region, dev_t dev, ino_t ino) {
  std::lock_guard lock(mu());
  for (const Entry &e : live())
    if (e.dev == dev && e.ino == ino && !e.region->disowned()) return FAMS_ETRACKED;
  live().push_back({region, dev, ino, g_next_id++});
  g_live_count.store(live().size(), std::memory_order_release);
  return 0;
}

void remove(Region *region) {
  std::lock_guard lock(mu());
  auto &v = live();
  v.erase(std::remove_if(v.begin(), v.end(), [&](const Entry &e) { return e.region == region; }),
          v.end());
  g_live_count.store(v.size(), std::memory_order_release);
  g_removals.fetch_add(1, std::memory_order_release);
  region->merge_stats_into(&retired());
}

bool tracks(dev_t dev, ino_t ino) {
  std::lock_guard lock(mu());
  for (const Entry &e : live())
    if (e.dev == dev && e.ino == ino && !e.region->disowned()) return true;
  return false;
}

Region *find(dev_t dev, ino_t ino) {
  std::lock_guard lock(mu());
  for (const Entry &e : live())
    if (e.dev == dev && e.ino == ino && !e.region->disowned()) return e.region;
  return nullptr;
}

bool empty() {
  // Read by every redirected read/write/pread/pwrite: no lock on that path.
  return g_live_count.load(std::memory_order_acquire) == 0;
}

bool is_live(const Region *region) {
  if (region == nullptr) return false;
  std::lock_guard lock(mu());
  for (const Entry &e : live())
    if (e.region == region) return true;
  return false;
}

uint64_t id_of(const Region *region) {
  std::lock_guard lock(mu());
  for (const Entry &e : live())
    if (e.region == region) return e.id;
  return 0;
}

Region *by_id(uint64_t id) {
  if (id == 0) return nullptr;
  // Every fams_msync resolves its handle here: a program that commits one region again and
  // again finds it without the mutex and the scan. The caller's pin (or exclusive lock) keeps
  // the count still: a close that removes a region holds the exclusive lock, and the count it
  // raised is visible to whoever takes the lock after it.
  LastLookup &last = t_last_lookup;
  if (last.id == id && last.removals == g_removals.load(std::memory_order_acquire))
    return last.region;
  std::lock_guard lock(mu());
  for (const Entry &e : live())
    if (e.id == id) {
      last = {id, e.region, g_removals.load(std::memory_order_relaxed)};
      return e.region;
    }
  return nullptr;
}

void LifetimeLock::check(int rc, const char *what) {
  if (rc == 0) return;
  fprintf(stderr, "famsync: internal error: pthread_%s on the region lifetime lock: %s\n", what,
          strerror(rc));
  abort();
}

std::shared_lock<LifetimeLock> pin() { return std::shared_lock(lifetimes()); }
std::unique_lock<LifetimeLock> lock_lifetimes() { return std::unique_lock(lifetimes()); }

void totals(fams_stat_counters *out) {
  std::lock_guard lock(mu());
  Stats sum;
  sum.merge(retired());
  for (const Entry &e : live()) e.region->merge_stats_into(&sum);
  sum.export_to(out);
}

void install_process_hooks() {
  static std::once_flag once;
  std::call_once(once, [] {
    arm_crash_points();
    atexit(at_exit);
    // The child may inherit the lifetime lock taken by a thread that does not exist there (its
    // exit hook would wait for it forever). It is alone, so it starts a fresh one. (Taking the
    // lock in a prepare handler and unlocking it in the child does not work: the rwlock records
    // the writer's thread id, which differs in the child, and glibc would take the unlock for a
    // reader's.)
    pthread_atfork(nullptr, nullptr, [] {
      InProcessHook hook;
      lifetimes().reinit_in_child();
      in_fork_child();
    });
  });
}

bool in_process_hook() { return t_in_process_hook != 0; }

}  // namespace famsync::registry
