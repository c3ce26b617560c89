// late_store_test.cpp — a store whose check ran before a commit cleared its line, and which
// lands only after that commit, is committed by the next one (DESIGN.md §6, "Writes racing a
// commit"): deterministically, with the writer thread held between its check (fams_will_write)
// and its store, as a descheduled thread would be.
//
// The commit skips its snapshot and the late-store watch when no thread but the committer
// stored since the last commit (Region::other_threads_stored); these tests are the cases where it
// must not: the writer is another thread, alone or after the committer itself wrote.
#include "../test_util.hpp"
#include "pmem_protocol_scope.hpp"
#include "region.hpp"

#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <cstring>
#include <mutex>
#include <semaphore>
#include <thread>

#include <signal.h>
#include <sys/wait.h>

using namespace famsync::test;

namespace {

class LateStoreTest : public ::testing::TestWithParam<Medium> {
 protected:
  LateStoreTest() : protocol_(GetParam()), dir_(GetParam()) {}

  fams_region *map_file(size_t size) {
    path_ = dir_.file("data");
    write_file(path_, std::vector<uint8_t>(size, '.'));
    fams_region *r = nullptr;
    EXPECT_EQ(fams_map(path_.c_str(), map_flags(GetParam()), &r), 0) << fams_last_error_message();
    return r;
  }
  char file_byte(size_t off) { return static_cast<char>(read_file(path_).at(off)); }

  PmemProtocolScope protocol_;
  TempDir dir_;
  std::string path_;
};

// WRITER announces BYTE of R, waits for `go`, stores V there, then posts `done`; meanwhile the
// caller commits. The caller then commits again, and the file must hold V.
void announce_wait_store(fams_region *r, size_t byte, char v, std::binary_semaphore *announced,
                         std::binary_semaphore *go, std::binary_semaphore *done) {
  char *p = static_cast<char *>(fams_region_addr(r)) + byte;
  EXPECT_EQ(fams_will_write(p, 1), 0);  // the check: the line is dirty from here
  announced->release();
  go->acquire();  // "descheduled" while the commit clears the line
  *reinterpret_cast<volatile char *>(p) = v;  // the late store
  done->release();
}

TEST_P(LateStoreTest, AnotherThreadsLateStoreIsCommittedByTheNextCommit) {
  fams_region *r = map_file(8192);
  ASSERT_NE(r, nullptr);
  std::binary_semaphore announced(0), go(0), done(0);
  std::thread writer(announce_wait_store, r, 200, 'L', &announced, &go, &done);
  announced.acquire();
  ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();  // clears the line, commits '.'
  go.release();
  done.acquire();
  writer.join();
  ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
  EXPECT_EQ(file_byte(200), 'L') << "the late store was lost: the commit did not watch its line";
  EXPECT_EQ(fams_unmap(r), 0);
}

TEST_P(LateStoreTest, LateStoreAfterTheCommitterWroteToo) {
  // The committer is a writer as well: it was the last writer before the other thread, and
  // stores again (so it is the last writer when it commits) after the other thread's check.
  fams_region *r = map_file(16384);
  ASSERT_NE(r, nullptr);
  char *base = static_cast<char *>(fams_region_addr(r));
  ASSERT_EQ(fams_will_write(base + 8000, 1), 0);
  base[8000] = 'a';
  ASSERT_EQ(fams_msync(r), 0);
  std::binary_semaphore announced(0), go(0), done(0);
  std::thread writer(announce_wait_store, r, 300, 'M', &announced, &go, &done);
  announced.acquire();
  ASSERT_EQ(fams_will_write(base + 9000, 1), 0);  // the committer writes after the check
  base[9000] = 'b';
  ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
  go.release();
  done.acquire();
  writer.join();
  ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
  EXPECT_EQ(file_byte(300), 'M') << "the late store was lost";
  EXPECT_EQ(file_byte(9000), 'b');
  EXPECT_EQ(fams_unmap(r), 0);
}

TEST_P(LateStoreTest, OnlyTheCommitterWritesInAThreadedProcess) {
  // Another thread exists but never stores: commits need no snapshot and no watch, and every
  // commit still holds exactly the committer's writes (the path other_threads_stored() skips to).
  fams_region *r = map_file(8192);
  ASSERT_NE(r, nullptr);
  std::binary_semaphore stop(0);
  std::thread idle([&] { stop.acquire(); });
  char *base = static_cast<char *>(fams_region_addr(r));
  for (int i = 0; i < 50; ++i) {
    ASSERT_EQ(fams_will_write(base + i * 64, 1), 0);
    base[i * 64] = static_cast<char>('A' + i % 26);
    ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
    ASSERT_EQ(file_byte(i * 64), static_cast<char>('A' + i % 26)) << "commit " << i;
  }
  stop.release();
  idle.join();
  EXPECT_EQ(fams_unmap(r), 0);
}

size_t watched_lines(fams_region *r) {
  return famsync::region_in_window(reinterpret_cast<uintptr_t>(fams_region_addr(r)))
      ->watched_lines();
}

TEST_P(LateStoreTest, HeldStoreIsCaughtWhileOtherThreadsKeepStoring) {
  // Lines leave the watch once every other storing thread has passed a store call after their
  // commit (writer_epochs.hpp). A thread held between its check and its store passes none: its
  // line must stay watched through any number of commits while a third thread keeps storing
  // (which publishes newer epochs) and the committer keeps committing.
  // 20 commits may outlast the watch's 200 ms on a loaded machine or under a sanitizer: the
  // time limit must not be what keeps (or loses) the line here.
  famsync::LateStoreWatch::set_watch_ns_for_testing(60'000'000'000);
  struct RestoreWatch {
    ~RestoreWatch() { famsync::LateStoreWatch::set_watch_ns_for_testing(0); }
  } restore_watch;
  fams_region *r = map_file(65536);
  ASSERT_NE(r, nullptr);
  char *base = static_cast<char *>(fams_region_addr(r));
  std::binary_semaphore announced(0), go(0), done(0);
  std::thread held(announce_wait_store, r, 200, 'H', &announced, &go, &done);
  announced.acquire();
  // busy: 10 store calls per round, then the main thread commits (they take turns: the only race
  // is the held store).
  std::counting_semaphore<1> busy_go(0), busy_done(0);
  bool stop = false;
  std::thread busy([&] {
    for (int round = 0;; ++round) {
      busy_go.acquire();
      if (stop) return;
      for (int i = 0; i < 10; ++i) {
        char *p = base + 4096 + ((round * 10 + i) % 512) * 64;
        EXPECT_EQ(fams_will_write(p, 1), 0);
        *p = 'b';
      }
      busy_done.release();
    }
  });
  for (int commit = 0; commit < 20; ++commit) {
    busy_go.release();
    busy_done.acquire();
    ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
  }
  stop = true;
  busy_go.release();
  busy.join();
  go.release();  // the held store lands now, after 20 commits
  done.acquire();
  held.join();
  ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
  EXPECT_EQ(file_byte(200), 'H') << "the held store was lost: its line left the watch while its "
                                    "thread was still between check and store";
  EXPECT_EQ(fams_unmap(r), 0);
}

TEST_P(LateStoreTest, WatchForgetsLinesOnceEveryWriterMovedOn) {
  // Two threads take strict turns writing and committing (the harness's YCSB with two threads
  // under one lock), after the main thread wrote and committed and then only waits: each commit's
  // lines leave the watch at the next commit (the other thread committed since it last stored,
  // and so did the main thread), so the watch holds one turn's lines, not every line of the last
  // 200 ms (writer_epochs.hpp).
  constexpr int kTurns = 60, kLinesPerTurn = 4;
  fams_region *r = map_file(kTurns * kLinesPerTurn * 64 * 2);
  ASSERT_NE(r, nullptr);
  char *base = static_cast<char *>(fams_region_addr(r));
  char *main_line = base + kTurns * kLinesPerTurn * 64;  // past the workers' lines
  ASSERT_EQ(fams_will_write(main_line, 1), 0);
  *main_line = 'm';
  ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
  std::mutex lock;
  std::condition_variable turn_changed;
  int turn = 0;
  size_t most_watched = 0;
  auto worker = [&](int id) {
    for (;;) {
      std::unique_lock guard(lock);
      turn_changed.wait(guard, [&] { return turn >= kTurns || turn % 2 == id; });
      if (turn >= kTurns) return;
      for (int l = 0; l < kLinesPerTurn; ++l) {
        char *p = base + (turn * kLinesPerTurn + l) * 64;
        EXPECT_EQ(fams_will_write(p, 1), 0);
        *p = static_cast<char>('a' + turn % 26);
      }
      EXPECT_EQ(fams_msync(r), 0) << fams_last_error_message();
      most_watched = std::max(most_watched, watched_lines(r));
      ++turn;
      turn_changed.notify_all();
    }
  };
  std::thread a(worker, 0), b(worker, 1);
  a.join();
  b.join();
  // The watch was in use (each commit had another writer), and held one or two turns' lines.
  // Without forgetting it holds every committed line (240); with the main thread's slot holding
  // back every batch (no "quiet" at commit), too.
  EXPECT_GE(most_watched, size_t{kLinesPerTurn});
  EXPECT_LE(most_watched, size_t{2 * kLinesPerTurn}) << "lines stay watched after every writer "
                                                        "stored or committed again";
  for (int t = 0; t < kTurns; ++t)
    ASSERT_EQ(file_byte(t * kLinesPerTurn * 64), static_cast<char>('a' + t % 26)) << t;
  EXPECT_EQ(fams_unmap(r), 0);
}

TEST_P(LateStoreTest, WatchedBytesFollowCommitsMadeWithoutTheWatch) {
  // A line stays watched (another thread stored and has not moved on) while the committer alone
  // commits it again: the commit after that needs no snapshot (no other thread stored since), but
  // the watch must learn the bytes it committed. With stale bytes, the undo protocol "corrected"
  // the next first-write entry of the line back to them, and a crash in that commit rolled the
  // line back to a state older than the last commit. Run in a child killed right after the
  // fourth commit's log is published; the file must then hold the third commit's byte or the
  // fourth's.
  constexpr size_t kLine = 200, kOther = 4000;  // as crash_child stale-watch writes them
  path_ = dir_.file("data");
  write_file(path_, std::vector<uint8_t>(8192, '.'));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("FAMSYNC_CRASH_AT", "commit-after-publish:4", 1);
    for (const std::string &kv : child_env_for(GetParam())) putenv(strdup(kv.c_str()));
    execl(FAMSYNC_CRASH_CHILD, FAMSYNC_CRASH_CHILD, "stale-watch", path_.c_str(),
          static_cast<char *>(nullptr));
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL)
      << "the child was not killed at the crash point (status " << status << ")";
  ASSERT_EQ(fams_recover(path_.c_str()), 0) << fams_last_error_message();
  char v = file_byte(kLine);
  EXPECT_TRUE(v == '3' || v == '4') << "after a crash in commit 4 the line holds '" << v
                                    << "', older than the last commit ('3')";
  EXPECT_EQ(file_byte(kOther), 'b');
}

INSTANTIATE_TEST_SUITE_P(Backends, LateStoreTest,
                         ::testing::Values(Medium::shm_pmem, Medium::disk_file,
                                           Medium::shm_pmem_undo),
                         [](const auto &info) { return std::string(medium_name(info.param)); });

}  // namespace
