// commit_stat_test.cpp — a commit never asks the kernel for a file's timestamps (fstat). On
// kernels with multigrain timestamps (Linux 6.13+), a query of a file's ctime makes its next
// write take a fine-grained timestamp, so checking the log with fstat at every commit dirtied the
// log's inode at every commit, and every fdatasync wrote the inode's block as well (ext4 on this
// project's VM: one more synchronous metadata write per commit; durable_kv famsync 3458-4350 ->
// 4547-5698 ops/s once the checks asked statx for the size and link count alone: os.hpp).
// This program defines fstat itself (counting, then forwarding to the kernel), so the static
// core linked into it calls this one; hence a program of its own.
#include "../test_util.hpp"

#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <atomic>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {
std::atomic<int> g_fstat_calls{0};
}

extern "C" {
int fstat(int fd, struct stat *st) {
  g_fstat_calls.fetch_add(1, std::memory_order_relaxed);
  return static_cast<int>(syscall(SYS_newfstatat, fd, "", st, AT_EMPTY_PATH));
}
int fstat64(int fd, struct stat64 *st) { return fstat(fd, reinterpret_cast<struct stat *>(st)); }
}

using namespace famsync::test;

namespace {

TEST(CommitChecks, DoNotAskForTimestamps) {
  for (Medium m : {Medium::disk_file, Medium::shm_pmem}) {
    TempDir dir(m);
    std::string path = dir.file("data");
    write_file(path, std::vector<uint8_t>(16 * 4096, 0));
    fams_region *r = nullptr;
    ASSERT_EQ(fams_map(path.c_str(), map_flags(m), &r), 0) << fams_last_error_message();
    auto *words = static_cast<uint64_t *>(fams_region_addr(r));
    struct stat probe;
    int before_probe = g_fstat_calls.load();
    ASSERT_EQ(fstat(0, &probe) == 0 || errno == EBADF, true);
    ASSERT_EQ(g_fstat_calls.load(), before_probe + 1) << "the counting fstat is not the one called";
    // The first commit looks up the data file's holes once (HoleReserver, one fstat per map
    // and per size change): not counted.
    ASSERT_EQ(fams_will_write(words, 8), 0);
    words[0] = 99;
    ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
    int before = g_fstat_calls.load();
    for (uint64_t i = 1; i <= 50; ++i) {
      uint64_t *w = &words[(i % 16) * 512];
      ASSERT_EQ(fams_will_write(w, 8), 0);
      *w = i;
      ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
    }
    EXPECT_EQ(g_fstat_calls.load() - before, 0)
        << medium_name(m) << ": 50 commits called fstat (which asks for the timestamps)";
    ASSERT_EQ(fams_unmap(r), 0) << fams_last_error_message();
  }
}

}  // namespace
