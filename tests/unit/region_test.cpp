// region_test.cpp — commit, rollback, recovery and persistence of a region, on both backends.
#include "../test_util.hpp"
#include "pmem_protocol_scope.hpp"
#include "../workload.hpp"

#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <cstring>
#include <sys/stat.h>
#include <unistd.h>

using namespace famsync::test;

namespace {

class RegionTest : public ::testing::TestWithParam<Medium> {
 protected:
  RegionTest() : protocol_(GetParam()), dir_(GetParam()) {}

  fams_region *map(const std::string &path) {
    fams_region *r = nullptr;
    int rc = fams_map(path.c_str(), map_flags(GetParam()), &r);
    EXPECT_EQ(rc, 0) << fams_strerror(rc) << ": " << fams_last_error_message();
    return r;
  }

  static void write(fams_region *r, size_t off, const void *src, size_t len) {
    auto *p = static_cast<uint8_t *>(fams_region_addr(r)) + off;
    ASSERT_EQ(fams_will_write(p, len), 0) << fams_last_error_message();
    memcpy(p, src, len);
  }

  PmemProtocolScope protocol_;
  TempDir dir_;
};

TEST_P(RegionTest, MapShowsFileContents) {
  auto initial = pattern(10000, 1);
  std::string path = dir_.file("data");
  write_file(path, initial);
  fams_region *r = map(path);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(fams_region_size(r), initial.size());
  EXPECT_EQ(memcmp(fams_region_addr(r), initial.data(), initial.size()), 0);
  EXPECT_EQ(fams_region_of(static_cast<char *>(fams_region_addr(r)) + 5000), r);
  EXPECT_EQ(fams_unmap(r), 0);
}

TEST_P(RegionTest, FileChangesOnlyAtCommit) {
  auto initial = pattern(8192, 2);
  std::string path = dir_.file("data");
  write_file(path, initial);
  fams_region *r = map(path);
  ASSERT_NE(r, nullptr);
  const char msg[] = "hello, failure-atomic world";
  write(r, 100, msg, sizeof msg);
  EXPECT_EQ(read_file(path), initial) << "the file changed before the commit";
  ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
  auto expected = initial;
  memcpy(expected.data() + 100, msg, sizeof msg);
  EXPECT_EQ(read_file(path), expected);
  fams_stat_counters s{};
  ASSERT_EQ(fams_stats(r, &s), 0);
  EXPECT_EQ(s.commits, 1u);
  EXPECT_EQ(s.dirty_lines, 1u);  // 28 bytes at offset 100 stay within line 1
  EXPECT_EQ(s.writeback_bytes, 64u);
  EXPECT_EQ(fams_unmap(r), 0);
}

TEST_P(RegionTest, EmptyCommitDoesNoWork) {
  std::string path = dir_.file("data");
  write_file(path, pattern(4096, 3));
  fams_region *r = map(path);
  ASSERT_EQ(fams_msync(r), 0);
  fams_stat_counters s{};
  ASSERT_EQ(fams_stats(r, &s), 0);
  EXPECT_EQ(s.commits, 0u);
  EXPECT_EQ(s.empty_commits, 1u);
  EXPECT_EQ(fams_unmap(r), 0);
}

TEST_P(RegionTest, ManyRoundsMatchReferenceModel) {
  const uint64_t seed = 42;
  auto initial = pattern(64 * 1024 + 123, seed);  // not a multiple of a line or page
  std::string path = dir_.file("data");
  write_file(path, initial);
  fams_region *r = map(path);
  ASSERT_NE(r, nullptr);
  auto *image = static_cast<uint8_t *>(fams_region_addr(r));
  for (uint64_t round = 1; round <= 40; ++round) {
    apply_round(image, initial.size(), seed, round,
                [](void *p, size_t n) { ASSERT_EQ(fams_will_write(p, n), 0); });
    ASSERT_EQ(fams_msync(r), 0) << "seed " << seed << " round " << round << ": "
                                << fams_last_error_message();
    ASSERT_EQ(read_file(path), state_after(initial, seed, round)) << "seed " << seed << " round " << round;
  }
  EXPECT_EQ(fams_unmap(r), 0);
}

TEST_P(RegionTest, RollbackRestoresLastCommit) {
  auto initial = pattern(20000, 4);
  std::string path = dir_.file("data");
  write_file(path, initial);
  fams_region *r = map(path);
  auto *image = static_cast<uint8_t *>(fams_region_addr(r));
  std::vector<uint8_t> junk(5000, 0xAB);
  write(r, 1000, junk.data(), junk.size());
  write(r, 19990, junk.data(), 10);  // the partial last line
  ASSERT_EQ(fams_rollback(r), 0) << fams_last_error_message();
  EXPECT_EQ(memcmp(image, initial.data(), initial.size()), 0) << "working copy not restored";
  // After a rollback the lines are clean again: new writes are logged and committed normally.
  write(r, 3000, "xyz", 3);
  ASSERT_EQ(fams_msync(r), 0);
  auto expected = initial;
  memcpy(expected.data() + 3000, "xyz", 3);
  EXPECT_EQ(read_file(path), expected);
  EXPECT_EQ(fams_unmap(r), 0);
}

TEST_P(RegionTest, UnmapCommits) {
  auto initial = pattern(4096, 5);
  std::string path = dir_.file("data");
  write_file(path, initial);
  fams_region *r = map(path);
  write(r, 4000, "tail", 4);
  ASSERT_EQ(fams_unmap(r), 0);
  auto expected = initial;
  memcpy(expected.data() + 4000, "tail", 4);
  EXPECT_EQ(read_file(path), expected);
  // The handle is dead now.
  EXPECT_EQ(fams_msync(r), FAMS_ENOTTRACKED);
}

TEST_P(RegionTest, RemapAfterUnmapSeesCommittedState) {
  auto initial = pattern(8000, 6);
  std::string path = dir_.file("data");
  write_file(path, initial);
  fams_region *r = map(path);
  write(r, 64, "committed", 9);
  ASSERT_EQ(fams_msync(r), 0);
  ASSERT_EQ(fams_unmap(r), 0);
  r = map(path);
  EXPECT_EQ(memcmp(static_cast<char *>(fams_region_addr(r)) + 64, "committed", 9), 0);
  EXPECT_EQ(fams_unmap(r), 0);
}

TEST_P(RegionTest, LargeCommitBeyondLogCapacityUsesCommitTimeLogging) {
  // More dirty lines than any default log holds for a 16 MiB file (65536 entries): the store
  // path overflows; undo logs the rest at commit from the data file, redo writes one big group;
  // both grow the log.
  const size_t size = 16 << 20;
  auto initial = pattern(size, 7);
  std::string path = dir_.file("data");
  write_file(path, initial);
  fams_region *r = map(path);
  auto *image = static_cast<uint8_t *>(fams_region_addr(r));
  ASSERT_EQ(fams_will_write(image, size), 0);
  memset(image, 0x5A, size);
  ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
  fams_stat_counters s{};
  ASSERT_EQ(fams_stats(r, &s), 0);
  EXPECT_EQ(s.dirty_lines, size / 64);
  if (GetParam() == Medium::shm_pmem_undo) {
    EXPECT_GT(s.logged_at_commit, 0u);  // undo overflow path
  }
  EXPECT_GE(s.log_grows, 1u);
  EXPECT_EQ(read_file(path), std::vector<uint8_t>(size, 0x5A));
  EXPECT_EQ(fams_unmap(r), 0);
}

TEST_P(RegionTest, WillWriteOutsideRegionIsRejected) {
  std::string path = dir_.file("data");
  write_file(path, pattern(4096, 8));
  fams_region *r = map(path);
  auto *image = static_cast<char *>(fams_region_addr(r));
  int on_stack = 0;
  EXPECT_EQ(fams_will_write(&on_stack, sizeof on_stack), FAMS_ENOTTRACKED);
  EXPECT_EQ(fams_will_write(image + 4000, 200), FAMS_ENOTTRACKED);  // runs past the mapping
  EXPECT_EQ(fams_will_write(nullptr, 1), EINVAL);
  EXPECT_EQ(fams_will_write(image, 0), 0);
  EXPECT_EQ(fams_unmap(r), 0);
}

// ---- File size (fams_resize) ---------------------------------------------------------------------

uint64_t size_of(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : UINT64_MAX;
}

TEST_P(RegionTest, GrowthIsCommittedByTheNextMsync) {
  auto initial = pattern(10000, 21);
  std::string path = dir_.file("data");
  write_file(path, initial);
  fams_region *r = map(path);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(fams_resize(r, 6001), 0) << fams_last_error_message();  // shrink: committed at once
  ASSERT_EQ(fams_resize(r, 9000), 0) << fams_last_error_message();  // grow within the mapping
  EXPECT_EQ(size_of(path), 9000u);
  EXPECT_EQ(fams_region_size(r), 9000u);
  auto *p = static_cast<uint8_t *>(fams_region_addr(r));
  EXPECT_EQ(p[8999], 0) << "grown bytes must read as zero";
  EXPECT_EQ(p[6000], initial[6000]) << "bytes below the shrink stay";
  const char msg[] = "in the grown area";
  write(r, 8000, msg, sizeof msg);
  // Size alone, nothing else dirty: still a commit (not an empty one).
  ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
  EXPECT_EQ(fams_unmap(r), 0);
  auto want = initial;
  want.resize(6001);
  want.resize(9000, 0);
  memcpy(want.data() + 8000, msg, sizeof msg);
  EXPECT_EQ(read_file(path), want);
  EXPECT_EQ(fams_recover(path.c_str()), 0);
  EXPECT_EQ(read_file(path), want) << "recovery must keep a committed growth";
}

TEST_P(RegionTest, SizeOnlyChangeIsCommitted) {
  std::string path = dir_.file("data");
  write_file(path, pattern(4096, 22));
  fams_region *r = map(path);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(fams_resize(r, 2000), 0);
  ASSERT_EQ(fams_resize(r, 3000), 0);
  fams_stat_counters before, after;
  ASSERT_EQ(fams_stats(r, &before), 0);
  ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
  ASSERT_EQ(fams_stats(r, &after), 0);
  EXPECT_EQ(after.empty_commits, before.empty_commits) << "a size change is something to commit";
  ASSERT_EQ(fams_rollback(r), 0);
  EXPECT_EQ(size_of(path), 3000u) << "rollback must not undo a committed growth";
  EXPECT_EQ(fams_unmap(r), 0);
  EXPECT_EQ(fams_recover(path.c_str()), 0);
  EXPECT_EQ(size_of(path), 3000u);
}

TEST_P(RegionTest, RollbackCutsAnUncommittedGrowth) {
  auto initial = pattern(8000, 23);
  std::string path = dir_.file("data");
  write_file(path, initial);
  fams_region *r = map(path);
  ASSERT_NE(r, nullptr);
  ASSERT_EQ(fams_resize(r, 4000), 0);
  ASSERT_EQ(fams_msync(r), 0);
  ASSERT_EQ(fams_resize(r, 7777), 0);
  const char msg[] = "noise";
  write(r, 7000, msg, sizeof msg);
  write(r, 100, msg, sizeof msg);
  ASSERT_EQ(fams_rollback(r), 0) << fams_last_error_message();
  EXPECT_EQ(size_of(path), 4000u);
  EXPECT_EQ(fams_region_size(r), 4000u);
  EXPECT_EQ(fams_unmap(r), 0);
  EXPECT_EQ(read_file(path), std::vector<uint8_t>(initial.begin(), initial.begin() + 4000));
}

TEST_P(RegionTest, ResizeValidatesItsArguments) {
  std::string path = dir_.file("data");
  write_file(path, pattern(4096, 24));
  EXPECT_EQ(fams_resize(nullptr, 10), EINVAL);
  EXPECT_NE(std::string(fams_last_error_message()), "");
  fams_region *r = map(path);
  ASSERT_NE(r, nullptr);
  EXPECT_EQ(fams_resize(r, UINT64_MAX), EINVAL);
  EXPECT_EQ(fams_resize(r, uint64_t{1} << 63), EINVAL);
  EXPECT_EQ(size_of(path), 4096u) << "a refused resize must change nothing";
  EXPECT_EQ(fams_unmap(r), 0);
  EXPECT_EQ(fams_resize(r, 10), FAMS_ENOTTRACKED) << "stale handle";
  EXPECT_EQ(size_of(path), 4096u);
}

INSTANTIATE_TEST_SUITE_P(Backends, RegionTest,
                         ::testing::Values(Medium::shm_pmem, Medium::disk_file,
                                           Medium::shm_pmem_undo),
                         [](const auto &info) { return std::string(medium_name(info.param)); });

}  // namespace
