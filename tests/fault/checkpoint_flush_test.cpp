// checkpoint_flush_test.cpp — what a pmem redo checkpoint flushes: every line written back with
// cached stores since the last checkpoint, once. A line that many commits wrote back (a hot
// line: a counter, a header) is flushed once per checkpoint, not once per commit (issue 14: the
// checkpoint of a 64-line loop flushed 64 lines per commit since the last checkpoint). Counted
// with the fault backend's flush counter (fault_backend.hpp), which fails nothing here. And
// once per checkpoint at least: the filter that skips listed lines is reset with the list.
#include "fault_backend.hpp"

#include "../test_util.hpp"

#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <cstring>

using namespace famsync::test;
namespace fault = famsync::fault;

namespace {

// A 64 KiB file of zeros on /dev/shm, mapped on the pmem path through the fault backend (which
// fails nothing here and counts the flushes). TearDown restores the real backend even when an
// assertion ended the test early.
class CheckpointFlush : public ::testing::Test {
 protected:
  static constexpr size_t kSize = 64 * 1024;  // redo log of 4096 slots

  void SetUp() override {
    path_ = dir_.file("hot");
    write_file(path_, std::vector<uint8_t>(kSize, 0));
    famsync::set_backend_factory_for_testing(fault::fault_factory);
    fault::plan() = fault::Plan{};
    ASSERT_EQ(fams_map(path_.c_str(), map_flags(Medium::shm_pmem), &region_), 0)
        << fams_last_error_message();
    words_ = static_cast<uint64_t *>(fams_region_addr(region_));
  }
  void TearDown() override {
    if (region_ != nullptr) fams_unmap(region_);
    famsync::set_backend_factory_for_testing(nullptr);
  }

  // Writes VALUE to the word at INDEX through the API.
  ::testing::AssertionResult write_word(size_t index, uint64_t value) {
    if (fams_will_write(words_ + index, 8) != 0)
      return ::testing::AssertionFailure() << "fams_will_write: " << fams_last_error_message();
    words_[index] = value;
    return ::testing::AssertionSuccess();
  }
  ::testing::AssertionResult commit() {
    if (fams_msync(region_) != 0)
      return ::testing::AssertionFailure() << "fams_msync: " << fams_last_error_message();
    return ::testing::AssertionSuccess();
  }

  // Unmaps (a clean close checkpoints once more) and returns how many checkpoints there were.
  uint64_t unmap_and_count_checkpoints() {
    fams_stat_counters before_close{};
    EXPECT_EQ(fams_stats(region_, &before_close), 0);
    EXPECT_EQ(fams_unmap(region_), 0) << fams_last_error_message();
    region_ = nullptr;
    return before_close.checkpoints + 1;
  }

  TempDir dir_{Medium::shm_pmem};
  std::string path_;
  fams_region *region_ = nullptr;
  uint64_t *words_ = nullptr;
};

TEST_F(CheckpointFlush, HotLineIsFlushedOncePerCheckpoint) {
  constexpr int kCommits = 200;
  // Two hot lines (one the next one's neighbour: a run of two) and, every tenth commit, a line
  // of its own: each must be flushed, and the hot ones only once per checkpoint.
  for (int i = 1; i <= kCommits; ++i) {
    ASSERT_TRUE(write_word(0, i));
    ASSERT_TRUE(write_word(8, i));
    if (i % 10 == 0) ASSERT_TRUE(write_word(8 * (2 + i / 10), i));
    ASSERT_TRUE(commit());
  }
  const uint64_t checkpoints = unmap_and_count_checkpoints();
  const uint64_t cold_lines = kCommits / 10;
  // Each checkpoint flushes the two hot lines (64 bytes each) at most once, and each cold line
  // once in all.
  EXPECT_LE(fault::plan().data_flushed_bytes, checkpoints * 2 * 64 + cold_lines * 64)
      << checkpoints << " checkpoints, " << fault::plan().data_flush_calls << " flush calls";
  // The two hot lines are one run: one flush call for them per checkpoint.
  EXPECT_LE(fault::plan().data_flush_calls, checkpoints + cold_lines)
      << checkpoints << " checkpoints";
  // And every written line was flushed: the file holds the last commit.
  std::vector<uint8_t> got = read_file(path_);
  uint64_t v0, v8;
  memcpy(&v0, got.data(), 8);
  memcpy(&v8, got.data() + 64, 8);
  EXPECT_EQ(v0, uint64_t(kCommits));
  EXPECT_EQ(v8, uint64_t(kCommits));
  for (uint64_t k = 1; k <= cold_lines; ++k) {
    uint64_t v;
    memcpy(&v, got.data() + 64 * (2 + k), 8);
    EXPECT_EQ(v, k * 10) << "cold line " << k;
  }
}

// The other direction: the filter is reset with the list at every checkpoint, so a hot line
// written in every checkpoint interval is flushed by every checkpoint (a filter left holding
// it would skip it forever after the first: durable only by luck). The file's content cannot
// show a missing flush (/dev/shm keeps cached stores); the flush counter can.
TEST_F(CheckpointFlush, HotLineIsFlushedAtEveryCheckpoint) {
  constexpr int kCommits = 8000;  // 2-line groups: the 4096-slot log fills several times
  for (int i = 1; i <= kCommits; ++i) {
    ASSERT_TRUE(write_word(0, i));
    ASSERT_TRUE(write_word(8, i));
    ASSERT_TRUE(commit());
  }
  const uint64_t checkpoints = unmap_and_count_checkpoints();
  ASSERT_GE(checkpoints, 3u) << "the test needs several checkpoints";
  // One run of the two lines per checkpoint: no fewer, no more.
  EXPECT_EQ(fault::plan().data_flush_calls, checkpoints);
  EXPECT_EQ(fault::plan().data_flushed_bytes, checkpoints * 2 * 64);
}

}  // namespace
