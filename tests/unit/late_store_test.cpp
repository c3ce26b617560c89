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

#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <cstring>
#include <semaphore>
#include <thread>

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

INSTANTIATE_TEST_SUITE_P(Backends, LateStoreTest,
                         ::testing::Values(Medium::shm_pmem, Medium::disk_file,
                                           Medium::shm_pmem_undo),
                         [](const auto &info) { return std::string(medium_name(info.param)); });

}  // namespace
