// group_commit_test.cpp — callers whose writes a finished commit covered return at once, also
// when the next commit already holds the region (issue 14, item 6: a covered caller no longer
// queues for the region lock, region_lock.hpp, where the leader's next call in a loop could take
// the lock first and make it wait a whole commit), and every caller's write is in the file.
// Commits are held at their commit point with the fault backend's before_log_persist hook
// (fault_backend.hpp), which fails nothing here. With the old blocking lock this test failed 9
// of 10 runs (it depends on the leader's next call beating the covered caller's wake-up, which
// the scheduler decides); with RegionLock it passes whatever the order.
#include "fault_backend.hpp"

#include "../test_util.hpp"

#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <fcntl.h>
#include <mutex>
#include <thread>
#include <unistd.h>
#include <vector>

using namespace famsync::test;
namespace fault = famsync::fault;
using namespace std::chrono_literals;

namespace {

// Holds the N-th commit at its commit point until the test has released N commits.
class CommitPoints {
 public:
  void arrive() {
    std::unique_lock lock(mutex_);
    int mine = ++arrived_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return released_ >= mine; });
  }
  // Waits until N commits have reached their commit point; false after a timeout.
  bool wait_arrived(int n) {
    std::unique_lock lock(mutex_);
    return changed_.wait_for(lock, 10s, [&] { return arrived_ >= n; });
  }
  void release(int n) {
    std::lock_guard lock(mutex_);
    released_ = n;
    changed_.notify_all();
  }
  int arrived() {
    std::lock_guard lock(mutex_);
    return arrived_;
  }

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  int arrived_ = 0, released_ = 0;
};

struct Caller {
  std::thread thread;
  std::atomic<bool> stored_once{false}, go{false}, calling{false}, first_done{false}, done{false};
  std::atomic<int> rc{-1}, rc_again{-1};
};

void write_word(uint64_t *word, uint64_t value) {
  fams_will_write(word, 8);
  __atomic_store_n(word, value, __ATOMIC_RELAXED);
}

// Writes VALUE into WORD and commits, on a thread of its own.
void start_commit(fams_region *r, uint64_t *word, uint64_t value, Caller *c) {
  c->thread = std::thread([=] {
    write_word(word, value);
    c->rc = fams_msync(r);
    c->done = true;
  });
}

// Stores into WORD first (so the commits that run meanwhile know another thread stores, take
// a snapshot and let first writes go on while they write it: DESIGN §6), waits for GO, then
// writes VALUE and commits; then at once writes VALUE + 10 and commits again, as a thread in a
// loop does (with a plain mutex, that second call could take the lock before a covered caller
// woke up, and the covered caller then waited for the whole second commit).
void start_storer(fams_region *r, uint64_t *word, uint64_t value, Caller *c) {
  c->thread = std::thread([=] {
    write_word(word, value - 1);
    c->stored_once = true;
    while (!c->go) std::this_thread::sleep_for(1ms);
    write_word(word, value);
    c->calling = true;
    c->rc = fams_msync(r);
    c->first_done = true;
    write_word(word, value + 10);
    c->rc_again = fams_msync(r);
    c->done = true;
  });
}

bool wait_for(const std::atomic<bool> &flag) {
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!flag && std::chrono::steady_clock::now() < deadline) std::this_thread::sleep_for(1ms);
  return flag;
}

TEST(GroupCommit, CoveredCallersReturnWhileALaterCommitIsHeld) {
  TempDir dir(Medium::disk_file);
  std::string path = dir.file("group");
  write_file(path, std::vector<uint8_t>(8 * 4096, 0));
  famsync::set_backend_factory_for_testing(fault::fault_factory);
  fault::plan() = fault::Plan{};
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(path.c_str(), map_flags(Medium::disk_file), &r), 0)
      << fams_last_error_message();
  CommitPoints points;
  fault::plan().before_log_persist = [&] { points.arrive(); };
  auto *words = static_cast<uint64_t *>(fams_region_addr(r));
  auto word = [&](int page) { return &words[page * 512]; };

  // X and Y store first; commit 1 (caller A) is then held at its commit point, and X and Y
  // write and call meanwhile, so the next commit, led by one of them, covers both.
  Caller a, x, y;
  start_storer(r, word(1), 2, &x);
  start_storer(r, word(2), 3, &y);
  ASSERT_TRUE(wait_for(x.stored_once) && wait_for(y.stored_once));
  start_commit(r, word(0), 1, &a);
  ASSERT_TRUE(points.wait_arrived(1));
  x.go = true;
  y.go = true;
  ASSERT_TRUE(wait_for(x.calling) && wait_for(y.calling));
  std::this_thread::sleep_for(100ms);  // X and Y take their tickets while commit 1 runs
  points.release(1);
  ASSERT_TRUE(points.wait_arrived(2));  // commit 2 (X's or Y's) at its commit point
  points.release(2);
  // Both X and Y were covered by commit 2 (one ran it): both return from it, also while the
  // leader's next commit (3) holds the region at its commit point.
  auto deadline = std::chrono::steady_clock::now() + 10s;
  while (!(x.first_done && y.first_done) && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  bool both_returned = x.first_done && y.first_done;
  int commits_started = points.arrived();
  points.release(1000);  // let every later commit finish
  for (Caller *c : {&a, &x, &y}) c->thread.join();
  EXPECT_TRUE(both_returned) << "a caller covered by commit 2 did not return ("
                             << commits_started << " commits reached their commit point)";
  EXPECT_EQ(a.rc, 0);
  for (Caller *c : {&x, &y}) EXPECT_TRUE(c->rc == 0 && c->rc_again == 0);
  // Every caller's last word is in the file.
  int fd = open(path.c_str(), O_RDONLY);
  ASSERT_GE(fd, 0);
  for (auto [page, value] : {std::pair{0, 1}, {1, 12}, {2, 13}}) {
    uint64_t in_file = 0;
    ASSERT_EQ(pread(fd, &in_file, 8, page * 4096), 8);
    EXPECT_EQ(in_file, static_cast<uint64_t>(value)) << "page " << page;
  }
  close(fd);
  fams_stat_counters s{};
  ASSERT_EQ(fams_stats(r, &s), 0);
  EXPECT_GE(s.joined_commits, 1u) << "commit 2 served X and Y: one of them joined";
  fault::plan().before_log_persist = nullptr;
  EXPECT_EQ(fams_unmap(r), 0) << fams_last_error_message();
  fault::plan() = fault::Plan{};
  famsync::set_backend_factory_for_testing(nullptr);
}

}  // namespace
