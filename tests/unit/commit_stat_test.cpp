// commit_stat_test.cpp — a commit never asks the kernel for a file's timestamps (fstat). On
// kernels with multigrain timestamps (Linux 6.13+), a query of a file's ctime makes its next
// write take a fine-grained timestamp, so checking the log with fstat at every commit dirtied the
// log's inode at every commit, and every fdatasync wrote the inode's block as well (ext4 on this
// project's VM: one more synchronous metadata write per commit; durable_kv famsync 3458-4350 ->
// 4547-5698 ops/s once the checks asked statx for the size and link count alone: os.hpp).
// Nor, in the steady state, for the files' size and link count: the process's file watch
// (file_watch.hpp) says when they may have changed, so a commit that follows quiet ones makes no
// statx (two per commit before: 0.42 us of a 0.91 us one-line commit on emulated pmem), and where
// io_uring is available no system call at all: the thread that mapped first sees the watch's
// wake-ups in memory it shares with the kernel (ring_poll.hpp).
// This program defines fstat and statx itself (counting, then forwarding to the kernel), so the
// static core linked into it calls these; hence a program of its own.
#include "../test_util.hpp"

#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <atomic>
#include <thread>
#include <cstdarg>
#include <linux/io_uring.h>
#include <sys/ioctl.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

namespace {
std::atomic<int> g_fstat_calls{0};
std::atomic<int> g_statx_calls{0};
std::atomic<int> g_fionread_calls{0};
}

extern "C" {
int fstat(int fd, struct stat *st) {
  g_fstat_calls.fetch_add(1, std::memory_order_relaxed);
  return static_cast<int>(syscall(SYS_newfstatat, fd, "", st, AT_EMPTY_PATH));
}
int fstat64(int fd, struct stat64 *st) { return fstat(fd, reinterpret_cast<struct stat *>(st)); }
int ioctl(int fd, unsigned long request, ...) {
  va_list ap;
  va_start(ap, request);
  void *arg = va_arg(ap, void *);
  va_end(ap);
  if (request == FIONREAD) g_fionread_calls.fetch_add(1, std::memory_order_relaxed);
  return static_cast<int>(syscall(SYS_ioctl, fd, request, arg));
}
int statx(int dirfd, const char *path, int flags, unsigned mask, struct statx *out) {
  g_statx_calls.fetch_add(1, std::memory_order_relaxed);
  return static_cast<int>(syscall(SYS_statx, dirfd, path, flags, mask, out));
}
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

// What RingPoll::arm needs (io_uring with COOP_TASKRUN | TASKRUN_FLAG: Linux 5.19+, not disabled).
bool ring_available() {
  io_uring_params p{};
  p.flags = IORING_SETUP_COOP_TASKRUN | IORING_SETUP_TASKRUN_FLAG;
  int fd = static_cast<int>(syscall(__NR_io_uring_setup, 4, &p));
  if (fd < 0) return false;
  close(fd);
  return true;
}

// Steady state: commits after a first one ask nothing, also once another region of the process
// was mapped and closed cleanly (its log's removal queues events; they make each region look
// once, not for ever). A truncation still makes the next commit look (and fail).
TEST(CommitChecks, QuietCommitsAskNoStatx) {
  for (Medium m : {Medium::disk_file, Medium::shm_pmem}) {
    TempDir dir(m);
    std::string path = dir.file("data"), other = dir.file("other");
    write_file(path, std::vector<uint8_t>(16 * 4096, 0));
    write_file(other, std::vector<uint8_t>(4096, 0));
    fams_region *r = nullptr;
    ASSERT_EQ(fams_map(path.c_str(), map_flags(m), &r), 0) << fams_last_error_message();
    auto *words = static_cast<uint64_t *>(fams_region_addr(r));
    struct statx probe;
    int before_probe = g_statx_calls.load();
    (void)statx(AT_FDCWD, "/", 0, STATX_TYPE, &probe);
    ASSERT_EQ(g_statx_calls.load(), before_probe + 1) << "the counting statx is not the one called";
    auto commit_some = [&](int n, uint64_t seed) {
      for (int i = 1; i <= n; ++i) {
        uint64_t *w = &words[(i % 16) * 512];
        ASSERT_EQ(fams_will_write(w, 8), 0);
        *w = seed + i;
        ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
      }
    };
    commit_some(2, 0);  // the first commit asks (and settles the hole lookup)
    int before = g_statx_calls.load(), before_fionread = g_fionread_calls.load();
    commit_some(50, 100);
    EXPECT_EQ(g_statx_calls.load() - before, 0) << medium_name(m) << ": 50 quiet commits";
    if (ring_available())
      EXPECT_EQ(g_fionread_calls.load() - before_fionread, 0)
          << medium_name(m) << ": 50 quiet commits of the ring's owner asked the kernel";
    else
      fprintf(stderr, "io_uring with COOP_TASKRUN|TASKRUN_FLAG unavailable here: each quiet "
              "commit asks FIONREAD (not checked)\n");
    fams_region *o = nullptr;
    ASSERT_EQ(fams_map(other.c_str(), map_flags(m), &o), 0) << fams_last_error_message();
    ASSERT_EQ(fams_will_write(fams_region_addr(o), 8), 0);
    static_cast<uint64_t *>(fams_region_addr(o))[0] = 7;
    ASSERT_EQ(fams_msync(o), 0) << fams_last_error_message();
    ASSERT_EQ(fams_unmap(o), 0) << fams_last_error_message();
    commit_some(1, 200);  // looks once: the other region's watches went
    before = g_statx_calls.load();
    commit_some(50, 300);
    EXPECT_EQ(g_statx_calls.load() - before, 0)
        << medium_name(m) << ": 50 quiet commits after another region was closed";
    // Another region's log deleted under it: that region is poisoned at its next commit and its
    // log's watch is gone, but this region's watch still vouches for its own files.
    ASSERT_EQ(fams_map(other.c_str(), map_flags(m), &o), 0) << fams_last_error_message();
    ASSERT_EQ(unlink(log_path_of(other).c_str()), 0);
    commit_some(1, 400);  // drains the deletion's events: looks once
    before = g_statx_calls.load();
    commit_some(50, 500);
    EXPECT_EQ(g_statx_calls.load() - before, 0)
        << medium_name(m) << ": 50 quiet commits after another region's log was deleted";
    ASSERT_EQ(fams_will_write(fams_region_addr(o), 8), 0);
    static_cast<uint64_t *>(fams_region_addr(o))[0] = 8;
    EXPECT_EQ(fams_msync(o), FAMS_EPOISONED) << medium_name(m);
    fams_unmap(o);
    ASSERT_EQ(truncate(path.c_str(), 8 * 4096), 0);
    before = g_statx_calls.load();
    ASSERT_EQ(fams_will_write(words, 8), 0);
    words[0] = 1;
    EXPECT_EQ(fams_msync(r), FAMS_ERANGE) << medium_name(m) << ": a truncation must be seen";
    EXPECT_GE(g_statx_calls.load() - before, 1) << medium_name(m);
    ASSERT_EQ(fams_unmap(r), 0) << fams_last_error_message();
  }
}

// The ring moves to a thread that commits while another one mapped (the harness's workers): after
// kHandOver commits of the other thread, its quiet commits ask nothing either, and a truncation
// made meanwhile by the mapping thread is still seen.
TEST(CommitChecks, RingMovesToTheCommittingThread) {
  if (!ring_available()) GTEST_SKIP() << "io_uring with COOP_TASKRUN|TASKRUN_FLAG unavailable";
  TempDir dir(Medium::shm_pmem);
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(16 * 4096, 0));
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(path.c_str(), map_flags(Medium::shm_pmem), &r), 0) << fams_last_error_message();
  auto *words = static_cast<uint64_t *>(fams_region_addr(r));
  int asked = -1, result = 0;
  std::thread worker([&] {
    for (uint64_t i = 1; i <= 100; ++i) {  // past the hand-over
      fams_will_write(&words[(i % 16) * 512], 8);
      words[(i % 16) * 512] = i;
      if (fams_msync(r) != 0) return;
    }
    int before = g_fionread_calls.load();
    for (uint64_t i = 1; i <= 50; ++i) {
      fams_will_write(&words[(i % 16) * 512], 8);
      words[(i % 16) * 512] = 1000 + i;
      if (fams_msync(r) != 0) return;
    }
    asked = g_fionread_calls.load() - before;
  });
  worker.join();
  EXPECT_EQ(asked, 0) << "50 quiet commits of the thread the ring moved to asked the kernel";
  ASSERT_EQ(truncate(path.c_str(), 8 * 4096), 0);  // by this thread, not the ring's owner
  std::thread committer([&] {
    fams_will_write(words, 8);
    words[0] = 5;
    result = fams_msync(r);
  });
  committer.join();
  EXPECT_EQ(result, FAMS_ERANGE);
  fams_unmap(r);
}

}  // namespace
