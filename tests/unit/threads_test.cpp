// threads_test.cpp — many threads storing to the same lines: every line logged exactly once, with
// its committed bytes (never a thread's new bytes), and the commit sees every store.
#include "../test_util.hpp"
#include "pmem_protocol_scope.hpp"

#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace famsync::test;

namespace {

class ThreadsTest : public ::testing::TestWithParam<Medium> {
 protected:
  ThreadsTest() : protocol_(GetParam()), dir_(GetParam()) {}
  PmemProtocolScope protocol_;
  TempDir dir_;
};

TEST_P(ThreadsTest, ConcurrentStoresToSameLinesAreAllCommitted) {
  const size_t size = 256 * 1024, lines = size / 64;
  const int nthreads = 8;
  std::string path = dir_.file("data");
  write_file(path, pattern(size, 1));
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(path.c_str(), map_flags(GetParam()), &r), 0) << fams_last_error_message();
  auto *image = static_cast<uint8_t *>(fams_region_addr(r));
  std::vector<std::thread> pool;
  for (int t = 0; t < nthreads; ++t) {
    pool.emplace_back([=] {
      for (size_t line = 0; line < lines; ++line) {
        auto *word = reinterpret_cast<uint64_t *>(image + line * 64 + t * 8);
        EXPECT_EQ(fams_will_write(word, 8), 0);
        std::atomic_ref<uint64_t>(*word).store(line * 16 + t, std::memory_order_relaxed);
      }
    });
  }
  for (auto &th : pool) th.join();
  fams_stat_counters s{};
  ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
  ASSERT_EQ(fams_stats(r, &s), 0);
  EXPECT_EQ(s.dirty_lines, lines) << "each line must be listed once, however many threads hit it";
  if (GetParam() == Medium::shm_pmem_undo)  // undo: each line's old bytes logged exactly once
    EXPECT_EQ(s.logged_at_store + s.logged_at_commit, lines);
  auto file = read_file(path);
  for (size_t line = 0; line < lines; ++line)
    for (int t = 0; t < nthreads; ++t) {
      uint64_t v;
      memcpy(&v, file.data() + line * 64 + t * 8, 8);
      ASSERT_EQ(v, line * 16 + t) << "line " << line << " thread " << t;
    }
  EXPECT_EQ(fams_unmap(r), 0);
}

TEST_P(ThreadsTest, ContendedLinesLogTheRightBytes) {
  // Crash after write-back, then recover from the log. Undo: the file must come back to the
  // initial pattern exactly; a log entry that captured any thread's new bytes would show.
  // Redo (files, and pmem by default): the file must hold every thread's store; a group missing
  // one would show.
  const bool undo = GetParam() == Medium::shm_pmem_undo;
  const size_t size = 64 * 1024;
  auto initial = pattern(size, 2);
  auto expected = initial;
  if (!undo)
    for (size_t line = 0; line < size / 64; ++line)
      for (int t = 0; t < 8; ++t) {
        uint64_t v = 0x1111111111111111ull * (t + 1);
        memcpy(expected.data() + line * 64 + t * 8, &v, 8);
      }
  for (int iteration = 0; iteration < 10; ++iteration) {
    std::string path = dir_.file("data" + std::to_string(iteration));
    write_file(path, initial);
    pid_t pid = fork();
    ASSERT_GE(pid, 0);
    if (pid == 0) {
      setenv("FAMSYNC_CRASH_AT", "commit-after-writeback", 1);
      for (const std::string &kv : child_env_for(GetParam())) putenv(strdup(kv.c_str()));
      execl(FAMSYNC_CRASH_CHILD, FAMSYNC_CRASH_CHILD, "threads", path.c_str(), "8",
            static_cast<char *>(nullptr));
      _exit(127);
    }
    int status = 0;
    ASSERT_EQ(waitpid(pid, &status, 0), pid);
    ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
    ASSERT_NE(read_file(path), initial) << "write-back should have reached the file";
    if (!undo) {  // redo: spoil the data file; the log must repair it
      write_file(path, initial);
    }
    ASSERT_EQ(fams_recover(path.c_str()), 0) << fams_last_error_message();
    ASSERT_EQ(read_file(path), expected) << "iteration " << iteration;
  }
}

INSTANTIATE_TEST_SUITE_P(Backends, ThreadsTest,
                         ::testing::Values(Medium::shm_pmem, Medium::disk_file,
                                           Medium::shm_pmem_undo),
                         [](const auto &info) { return std::string(medium_name(info.param)); });

}  // namespace
