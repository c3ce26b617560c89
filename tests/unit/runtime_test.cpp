// runtime_test.cpp — the ABI hooks and redirected libc calls (runtime/), called directly as
// instrumented code would call them: tracking policy, commit on msync/fsync/munmap, fd I/O
// served from the working copy, refusal of unsupported operations.
#include "../test_util.hpp"

#include <famsync/abi.h>
#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace famsync::test;

namespace {

class RuntimeTest : public ::testing::Test {
 protected:
  // The default policy tracks ordinary files but not /dev/shm, so these use the disk directory.
  RuntimeTest() : dir_(Medium::disk_file) {
    __fams_module_init();
    path_ = dir_.file("data");
    write_file(path_, std::vector<uint8_t>(8192, '.'));
    fd_ = open(path_.c_str(), O_RDWR);
  }
  ~RuntimeTest() override { close(fd_); }

  char *map_tracked(size_t len = 8192) {
    void *p = __fams_mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
    EXPECT_NE(p, MAP_FAILED) << strerror(errno);
    EXPECT_NE(fams_region_of(p), nullptr) << "this mapping should be tracked";
    return static_cast<char *>(p);
  }

  TempDir dir_;
  std::string path_;
  int fd_;
};

TEST_F(RuntimeTest, StoreHooksThenMsyncCommitsAtomically) {
  char *p = map_tracked();
  __fams_store8(p + 16);
  memcpy(p + 16, "ABCDEFGH", 8);
  __fams_before_write_range(p + 5000, 100);
  memset(p + 5000, 'z', 100);
  EXPECT_EQ(read_file(path_)[16], '.') << "nothing reaches the file before msync";
  ASSERT_EQ(__fams_msync(p, 8192, MS_SYNC), 0);
  auto f = read_file(path_);
  EXPECT_EQ(memcmp(&f[16], "ABCDEFGH", 8), 0);
  EXPECT_EQ(f[5099], 'z');
  EXPECT_EQ(__fams_munmap(p, 8192), 0);
}

TEST_F(RuntimeTest, MsyncAsyncAndSubrangeCommitEverything) {
  char *p = map_tracked();
  __fams_store1(p + 10);
  p[10] = 'a';
  __fams_store1(p + 7000);
  p[7000] = 'b';
  // FAMS semantics: any msync of the mapping commits all of it, and MS_ASYNC is durable too.
  ASSERT_EQ(__fams_msync(p + 4096, 4096, MS_ASYNC), 0);
  auto f = read_file(path_);
  EXPECT_EQ(f[10], 'a');
  EXPECT_EQ(f[7000], 'b');
  errno = 0;
  EXPECT_EQ(__fams_msync(p + 1, 10, MS_SYNC), -1) << "unaligned address, as msync(2)";
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(__fams_munmap(p, 8192), 0);
}

// Default (issue 12, item 3): a commit is an msync or fsync, never a munmap. Pending changes of
// an unmapped file stay pending (the region detached) until fsync or exit. The region is closed
// and the file released once nothing is pending and the program holds no descriptor of it: at
// munmap, or when its last descriptor is closed.
TEST_F(RuntimeTest, MunmapKeepsPendingChangesUntilFsync) {
  if (getenv("FAMSYNC_MUNMAP_COMMIT") != nullptr) GTEST_SKIP() << "default munmap only";
  char *p = map_tracked();
  __fams_store2(p + 100);
  memcpy(p + 100, "xy", 2);
  ASSERT_EQ(__fams_fsync(fd_), 0);
  EXPECT_EQ(read_file(path_)[100], 'x');
  __fams_store2(p + 200);
  memcpy(p + 200, "uv", 2);
  ASSERT_EQ(__fams_munmap(p, 8192), 0);
  EXPECT_EQ(read_file(path_)[200], '.') << "munmap is not a commit";
  EXPECT_NE(fams_region_of(p), nullptr) << "detached with its pending change";
  ASSERT_EQ(__fams_fsync(fd_), 0);
  EXPECT_EQ(read_file(path_)[200], 'u');
  EXPECT_NE(fams_region_of(p), nullptr) << "committed, but the file is still open: it stays";
  ASSERT_EQ(__fams_close(fd_), 0);
  EXPECT_EQ(fams_region_of(p), nullptr) << "its last descriptor closed: the region is closed";
  fd_ = open(path_.c_str(), O_RDWR);
  // Nothing pending and no descriptor left: munmap releases the file at once.
  p = map_tracked();
  __fams_store1(p);
  p[0] = 'z';
  ASSERT_EQ(__fams_msync(p, 8192, MS_SYNC), 0);
  ASSERT_EQ(__fams_close(fd_), 0);
  EXPECT_NE(fams_region_of(p), nullptr) << "still mapped";
  ASSERT_EQ(__fams_munmap(p, 8192), 0);
  EXPECT_EQ(fams_region_of(p), nullptr);
  EXPECT_EQ(read_file(path_)[0], 'z');
  fd_ = open(path_.c_str(), O_RDWR);
}

// Found by Debian's gdbmtool under `famsync run` (tests/preload/gdbmtool_kill_test.py): gdbm
// grows its database by munmap, write() of zeros at the end, mmap. A region closed at that munmap
// let the write() reach the file outside every commit, and a crash before the next sync kept it:
// the file was longer than gdbm's header says, which gdbm reports as "needs recovery". While the
// program holds the file open, an unmapped region stays, so that write is part of the next
// commit (and a crash before it is cut off by recovery).
TEST_F(RuntimeTest, UnmappedFileHeldOpenStaysTrackedSoItsGrowthIsCommitted) {
  if (getenv("FAMSYNC_MUNMAP_COMMIT") != nullptr) GTEST_SKIP() << "default munmap only";
  char *p = map_tracked();
  __fams_store1(p + 10);
  p[10] = 'a';
  ASSERT_EQ(__fams_msync(p, 8192, MS_SYNC), 0);
  ASSERT_EQ(__fams_munmap(p, 8192), 0);
  fams_region *r = fams_region_of(p);
  ASSERT_NE(r, nullptr) << "the program holds the file open: the unmapped region stays";
  std::vector<char> zeros(4096, 0);
  ASSERT_EQ(lseek(fd_, 0, SEEK_END), 8192);
  ASSERT_EQ(__fams_write(fd_, zeros.data(), zeros.size()), 4096);  // gdbm's _gdbm_file_extend
  fams_stat_counters before{};
  ASSERT_EQ(fams_stats(r, &before), 0);
  void *v = __fams_mmap(nullptr, 12288, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  ASSERT_NE(v, MAP_FAILED) << strerror(errno);
  EXPECT_EQ(fams_region_of(v), r) << "reattached";
  char *q = static_cast<char *>(v);
  __fams_store1(q + 9000);
  q[9000] = 'b';
  ASSERT_EQ(__fams_msync(q, 12288, MS_SYNC), 0);
  fams_stat_counters after{};
  ASSERT_EQ(fams_stats(r, &after), 0);
  EXPECT_EQ(after.commits, before.commits + 1) << "the growth and the write in one commit";
  auto f = read_file(path_);
  ASSERT_EQ(f.size(), 12288u);
  EXPECT_EQ(f[10], 'a');
  EXPECT_EQ(f[9000], 'b');
  ASSERT_EQ(__fams_munmap(q, 12288), 0);
}

// Found by Kyoto Cabinet's reorganize (a temporary database written through a mapping, closed
// with munmap and no msync, renamed over the database and opened read-only): a read-only mapping
// of a file whose region holds pending changes must show them, as the kernel would.
TEST_F(RuntimeTest, ReadOnlyMapSeesPendingChangesOfADetachedRegion) {
  if (getenv("FAMSYNC_MUNMAP_COMMIT") != nullptr) GTEST_SKIP() << "default munmap only";
  char *p = map_tracked();
  __fams_store2(p + 300);
  memcpy(p + 300, "RO", 2);
  ASSERT_EQ(__fams_munmap(p, 8192), 0);  // detached, pending
  int ro = open(path_.c_str(), O_RDONLY);
  ASSERT_GE(ro, 0);
  void *v = __fams_mmap(nullptr, 8192, PROT_READ, MAP_SHARED, ro, 0);
  ASSERT_NE(v, MAP_FAILED);
  EXPECT_EQ(memcmp(static_cast<char *>(v) + 300, "RO", 2), 0) << "the pending change is visible";
  EXPECT_EQ(read_file(path_)[300], '.') << "and still not committed";
  EXPECT_EQ(__fams_munmap(v, 8192), 0);
  ASSERT_EQ(__fams_fsync(ro), 0);
  EXPECT_EQ(read_file(path_)[300], 'R');
  close(ro);
}

// Found by Kyoto Cabinet (closing a database with changes pending, then recreating it with
// O_TRUNC): the program's own truncation of a file whose region munmap left detached is adopted
// when the program acts on the file again (ftruncate, mmap), as the kernel would: the pending
// changes go with the bytes it removed, and nothing fails.
TEST_F(RuntimeTest, OwnTruncationOfADetachedRegionIsAdopted) {
  if (getenv("FAMSYNC_MUNMAP_COMMIT") != nullptr) GTEST_SKIP() << "default munmap only";
  char *p = map_tracked();
  __fams_store2(p + 500);
  memcpy(p + 500, "zz", 2);
  ASSERT_EQ(__fams_munmap(p, 8192), 0);  // detached, pending
  int fd = open(path_.c_str(), O_RDWR | O_TRUNC);
  ASSERT_GE(fd, 0);
  ASSERT_EQ(__fams_ftruncate(fd, 8192), 0) << fams_last_error_message();
  void *v = __fams_mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(v, MAP_FAILED);
  char *q = static_cast<char *>(v);
  EXPECT_EQ(q[500], 0) << "the truncation removed the pending change, as in the kernel";
  __fams_store1(q + 7);
  q[7] = 'n';
  ASSERT_EQ(__fams_msync(q, 8192, MS_SYNC), 0) << fams_last_error_message();
  auto f = read_file(path_);
  ASSERT_EQ(f.size(), 8192u);
  EXPECT_EQ(f[7], 'n');
  EXPECT_EQ(f[500], 0);
  EXPECT_EQ(__fams_munmap(q, 8192), 0);
  close(fd);
}

// FAMSYNC_MUNMAP_COMMIT=1 (ctest unit_tests_munmap_commit): munmap commits, as before 0.3.
TEST_F(RuntimeTest, MunmapCommitsWhenAskedTo) {
  const char *m = getenv("FAMSYNC_MUNMAP_COMMIT");
  if (m == nullptr || strcmp(m, "1") != 0) GTEST_SKIP() << "needs FAMSYNC_MUNMAP_COMMIT=1";
  char *p = map_tracked();
  __fams_store2(p + 200);
  memcpy(p + 200, "uv", 2);
  ASSERT_EQ(__fams_munmap(p, 8192), 0);
  EXPECT_EQ(read_file(path_)[200], 'u');
  EXPECT_EQ(fams_region_of(p), nullptr);
}

TEST_F(RuntimeTest, FdIoIsCoherentWithTheWorkingCopy) {
  char *p = map_tracked();
  ASSERT_EQ(__fams_pwrite(fd_, "PWRITE", 6, 300), 6);
  EXPECT_EQ(memcmp(p + 300, "PWRITE", 6), 0) << "pwrite must land in the working copy";
  EXPECT_EQ(read_file(path_)[300], '.') << "...and reach the file only at commit";
  __fams_store1(p + 400);
  p[400] = 'M';
  char buf[2] = {};
  ASSERT_EQ(__fams_pread(fd_, buf, 1, 400), 1);
  EXPECT_EQ(buf[0], 'M') << "pread must see uncommitted stores";
  ASSERT_EQ(lseek(fd_, 8190, SEEK_SET), 8190);
  ASSERT_EQ(__fams_write(fd_, "END!", 4), 4) << "write straddling EOF: mapped part + append";
  EXPECT_EQ(lseek(fd_, 0, SEEK_CUR), 8194);
  ASSERT_EQ(__fams_msync(p, 8192, MS_SYNC), 0);
  auto f = read_file(path_);
  ASSERT_EQ(f.size(), 8194u);
  EXPECT_EQ(memcmp(&f[300], "PWRITE", 6), 0);
  EXPECT_EQ(memcmp(&f[8190], "END!", 4), 0);
  EXPECT_EQ(__fams_munmap(p, 8192), 0);
}

TEST_F(RuntimeTest, SecondMapOfSameFileSharesTheWorkingCopy) {
  char *a = map_tracked();
  char *b = map_tracked();
  EXPECT_EQ(a, b);
  EXPECT_EQ(__fams_munmap(b, 8192), 0);
  __fams_store1(a);
  a[0] = '!';  // still mapped: one reference left
  EXPECT_EQ(__fams_msync(a, 8192, MS_SYNC), 0);
  EXPECT_EQ(__fams_munmap(a, 8192), 0);
  EXPECT_EQ(read_file(path_)[0], '!');
}

TEST_F(RuntimeTest, UntrackedMappingsKeepKernelSemantics) {
  void *priv = __fams_mmap(nullptr, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE, fd_, 0);
  ASSERT_NE(priv, MAP_FAILED);
  EXPECT_EQ(fams_region_of(priv), nullptr);
  EXPECT_EQ(__fams_munmap(priv, 8192), 0);
  void *ro = __fams_mmap(nullptr, 8192, PROT_READ, MAP_SHARED, fd_, 0);
  ASSERT_NE(ro, MAP_FAILED);
  EXPECT_EQ(fams_region_of(ro), nullptr);
  EXPECT_EQ(__fams_munmap(ro, 8192), 0);
  void *anon = __fams_mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
  ASSERT_NE(anon, MAP_FAILED);
  EXPECT_EQ(fams_region_of(anon), nullptr);
  EXPECT_EQ(__fams_munmap(anon, 4096), 0);
  // POSIX shared memory lives under /dev/shm: excluded by default, so IPC keeps working.
  TempDir shm(Medium::shm_pmem);
  write_file(shm.file("ipc"), std::vector<uint8_t>(4096, 0));
  int sfd = open(shm.file("ipc").c_str(), O_RDWR);
  void *ipc = __fams_mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, sfd, 0);
  ASSERT_NE(ipc, MAP_FAILED);
  EXPECT_EQ(fams_region_of(ipc), nullptr);
  static_cast<char *>(ipc)[0] = 1;  // a real shared mapping: visible in the file at once
  EXPECT_EQ(read_file(shm.file("ipc"))[0], 1);
  EXPECT_EQ(__fams_munmap(ipc, 4096), 0);
  close(sfd);
}

TEST_F(RuntimeTest, HooksIgnoreAddressesOutsideRegions) {
  int local = 0;
  __fams_store4(&local);  // not in the window: must be a no-op
  __fams_before_write_range(&local, sizeof local);
  __fams_before_write_range(nullptr, 0);
  // Straddles the window's start.
  __fams_before_write_range(reinterpret_cast<void *>(__fams_window_base - 100), 4096);
  __fams_after_write_range(&local, 4);
  char *p = map_tracked();
  __fams_before_write_range(p + 8000, 1000);  // runs past the end of the region: clipped
  EXPECT_EQ(__fams_munmap(p, 8192), 0);
}

TEST_F(RuntimeTest, PointersJustBelowAMappingAreInTheCheckRange) {
  // The pass's base-object checks test a root pointer once for every store through it: a root a
  // little below a mapping (a 1-based array `a = map - 1`) must still be in the check range, so
  // the first slot of the window lies above a guard.
  char *p = map_tracked();
  bool fixed = __fams_window_base == FAMS_WINDOW_FIXED_BASE;
  for (uintptr_t below : {uintptr_t{1}, uintptr_t{8}, uintptr_t{4096}, uintptr_t{1} << 20}) {
    uintptr_t root = reinterpret_cast<uintptr_t>(p) - below;
    if (fixed)
      EXPECT_EQ(root >> FAMS_WINDOW_CHECK_SHIFT, FAMS_WINDOW_FIXED_BASE >> FAMS_WINDOW_CHECK_SHIFT)
          << "a pointer " << below << " bytes below the first mapping is outside the check range";
  }
  EXPECT_EQ(__fams_munmap(p, 8192), 0);
  if (!fixed) GTEST_SKIP() << "the window is not at the fixed check range in this process";
}

TEST_F(RuntimeTest, AfterWriteRangeIsCommittedFromTheFileLog) {
  char *p = map_tracked();
  int n = snprintf(p + 600, 50, "written by %s", "sprintf");  // announced only afterwards
  __fams_after_write_range(p + 600, static_cast<unsigned long>(n + 1));
  ASSERT_EQ(__fams_msync(p, 8192, MS_SYNC), 0);
  EXPECT_EQ(memcmp(&read_file(path_)[600], "written by sprintf", 18), 0);
  EXPECT_EQ(__fams_munmap(p, 8192), 0);
}

// Modules built by a version-2 pass call the range hooks by their old names (abi.h).
TEST(RuntimeAbi, Version2RangeHookNamesAreTheSameFunctions) {
  EXPECT_EQ(reinterpret_cast<void *>(&__fams_write_range),
            reinterpret_cast<void *>(&__fams_before_write_range));
  EXPECT_EQ(reinterpret_cast<void *>(&__fams_wrote_range),
            reinterpret_cast<void *>(&__fams_after_write_range));
  EXPECT_EQ(__fams_abi_version_1 + __fams_abi_version_2 + __fams_abi_version_3, 1 + 2 + 3);
}

TEST_F(RuntimeTest, PartialMunmapIsRefused) {
  char *p = map_tracked();
  errno = 0;
  EXPECT_EQ(__fams_munmap(p + 4096, 4096), -1);
  EXPECT_EQ(errno, EINVAL);
  EXPECT_EQ(__fams_munmap(p, 8192), 0);
}

}  // namespace

namespace {

TEST_F(RuntimeTest, MappingPastEofGrowsWithFtruncate) {
  // Kyoto Cabinet's pattern: map far more than the file holds, ftruncate before using more.
  const size_t len = 4 << 20;
  void *v = __fams_mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  ASSERT_NE(v, MAP_FAILED) << strerror(errno);
  ASSERT_NE(fams_region_of(v), nullptr);
  char *p = static_cast<char *>(v);
  __fams_store1(p + 1);
  p[1] = 'a';  // pending across the resize: growing must not commit it early
  ASSERT_EQ(__fams_ftruncate(fd_, 1 << 20), 0) << strerror(errno);
  EXPECT_EQ(read_file(path_).size(), 1u << 20);
  EXPECT_EQ(read_file(path_)[1], '.') << "growing the file must not commit pending changes";
  __fams_before_write_range(p + 900000, 10);
  memcpy(p + 900000, "grown area", 10);
  ASSERT_EQ(__fams_msync(p, len, MS_SYNC), 0);
  auto f = read_file(path_);
  EXPECT_EQ(f[1], 'a');
  EXPECT_EQ(memcmp(&f[900000], "grown area", 10), 0);
  // An extending pwrite into the mapped range goes through the working copy.
  ASSERT_EQ(__fams_pwrite(fd_, "appended", 8, (1 << 20) + 50), 8);
  EXPECT_EQ(memcmp(p + (1 << 20) + 50, "appended", 8), 0);
  ASSERT_EQ(__fams_msync(p, len, MS_SYNC), 0);
  f = read_file(path_);
  ASSERT_EQ(f.size(), (1u << 20) + 58);
  EXPECT_EQ(memcmp(&f[(1 << 20) + 50], "appended", 8), 0);
  // Shrinking with a pending change past the new end commits first, then cuts.
  __fams_store1(p + 2);
  p[2] = 'b';
  __fams_store1(p + 10000);
  p[10000] = 'c';
  ASSERT_EQ(__fams_ftruncate(fd_, 8192), 0);
  f = read_file(path_);
  ASSERT_EQ(f.size(), 8192u);
  EXPECT_EQ(f[2], 'b') << "a pending line past the new end forces a commit";
  // Shrinking with nothing pending past the new end leaves pending changes pending.
  __fams_store1(p + 3);
  p[3] = 'd';
  ASSERT_EQ(__fams_ftruncate(fd_, 4096), 0);
  f = read_file(path_);
  ASSERT_EQ(f.size(), 4096u);
  EXPECT_EQ(f[3], '.') << "nothing forced a commit";
  ASSERT_EQ(__fams_msync(p, len, MS_SYNC), 0);
  EXPECT_EQ(read_file(path_)[3], 'd');
  EXPECT_EQ(__fams_munmap(p, len), 0);
}

TEST_F(RuntimeTest, MremapGrowsInPlaceOrMoves) {
  char *p = map_tracked(8192);
  __fams_store1(p + 3);
  p[3] = 'k';
  ASSERT_EQ(__fams_ftruncate(fd_, 8 << 20), 0);
  // Within the 2 MiB window slot: grows in place even without MREMAP_MAYMOVE.
  void *q = __fams_mremap(p, 8192, 1 << 20, 0, nullptr);
  ASSERT_EQ(q, p) << strerror(errno);
  // Beyond the slot: needs MREMAP_MAYMOVE, and keeps the pending change.
  errno = 0;
  EXPECT_EQ(__fams_mremap(p, 1 << 20, 6 << 20, 0, nullptr), MAP_FAILED);
  EXPECT_EQ(errno, ENOMEM);
  void *m = __fams_mremap(p, 1 << 20, 6 << 20, MREMAP_MAYMOVE, nullptr);
  ASSERT_NE(m, MAP_FAILED) << strerror(errno);
  char *n = static_cast<char *>(m);
  EXPECT_EQ(n[3], 'k');
  EXPECT_EQ(fams_region_of(n + (5 << 20)), fams_region_of(n));
  __fams_before_write_range(n + (5 << 20), 4);
  memcpy(n + (5 << 20), "far!", 4);
  ASSERT_EQ(__fams_msync(n, 6 << 20, MS_SYNC), 0);
  auto f = read_file(path_);
  EXPECT_EQ(f[3], 'k');
  EXPECT_EQ(memcmp(&f[5 << 20], "far!", 4), 0);
  // Shrink in place.
  void *s = __fams_mremap(n, 6 << 20, 4096, 0, nullptr);
  EXPECT_EQ(s, n);
  EXPECT_EQ(__fams_munmap(n, 4096), 0);
}

}  // namespace

namespace {

TEST_F(RuntimeTest, UntrackedMapOfACrashedFileRecoversItFirst) {
  // Leave a commit interrupted after write-back (undo, pmem backend) in another process.
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("FAMSYNC_CRASH_AT", "commit-after-writeback", 1);
    setenv("FAMSYNC_BACKEND", "pmem", 1);
    setenv("FAMSYNC_PMEM_PROTOCOL", "undo", 1);
    execl(FAMSYNC_CRASH_CHILD, FAMSYNC_CRASH_CHILD, "poke", path_.c_str(), "0", "torn",
          static_cast<char *>(nullptr));
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status));
  ASSERT_EQ(read_file(path_)[0], 't') << "the crash should have left new bytes in the file";
  // A read-only mapping (e.g. a checker tool) must see the recovered state, not the mix.
  void *ro = __fams_mmap(nullptr, 8192, PROT_READ, MAP_SHARED, fd_, 0);
  ASSERT_NE(ro, MAP_FAILED);
  EXPECT_EQ(static_cast<char *>(ro)[0], '.');
  EXPECT_EQ(__fams_munmap(ro, 8192), 0);
}

}  // namespace

namespace {

TEST_F(RuntimeTest, BytesWrittenPastEofInTheLastPageAreCommittedOnceTheFileGrows) {
  // Found by Kyoto Cabinet under FAMSYNC_VERIFY: a program may write past EOF inside the last
  // page (legal in any file mapping); a commit cannot write those bytes (not file bytes yet),
  // but once ftruncate makes them file bytes the next commit must.
  ASSERT_EQ(ftruncate(fd_, 100), 0);
  const size_t len = 1 << 20;
  void *v = __fams_mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  ASSERT_NE(v, MAP_FAILED);
  char *p = static_cast<char *>(v);
  __fams_before_write_range(p + 200, 5);
  memcpy(p + 200, "tail!", 5);  // past EOF (100), same page
  ASSERT_EQ(__fams_msync(p, len, MS_SYNC), 0);
  EXPECT_EQ(read_file(path_).size(), 100u);
  ASSERT_EQ(__fams_ftruncate(fd_, 8192), 0);
  ASSERT_EQ(__fams_msync(p, len, MS_SYNC), 0);
  auto f = read_file(path_);
  ASSERT_EQ(f.size(), 8192u);
  EXPECT_EQ(memcmp(&f[200], "tail!", 5), 0) << "bytes written past the old EOF were lost";
  EXPECT_EQ(__fams_munmap(p, len), 0);
}

}  // namespace

namespace {

TEST_F(RuntimeTest, MunmapWithoutCommitDetachesAndReattaches) {
  // The default (gdbm's pattern: munmap + a larger mmap in the middle of an update must not
  // commit half of it).
  const char *m = getenv("FAMSYNC_MUNMAP_COMMIT");
  if (m != nullptr && strcmp(m, "0") != 0) GTEST_SKIP() << "FAMSYNC_MUNMAP_COMMIT=1 commits";
  char *p = map_tracked(8192);
  __fams_store1(p + 5);
  p[5] = 'h';
  ASSERT_EQ(__fams_munmap(p, 8192), 0);
  EXPECT_EQ(read_file(path_)[5], '.') << "munmap must not commit in this mode";
  ASSERT_EQ(__fams_ftruncate(fd_, 8 << 20), 0);
  void *v = __fams_mmap(nullptr, 8 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, fd_, 0);
  ASSERT_NE(v, MAP_FAILED) << strerror(errno);
  char *q = static_cast<char *>(v);
  EXPECT_EQ(q[5], 'h') << "the reattached working copy keeps the pending change";
  __fams_store1(q + (7 << 20));
  q[7 << 20] = 'i';
  ASSERT_EQ(__fams_msync(q, 8 << 20, MS_SYNC), 0);
  auto f = read_file(path_);
  EXPECT_EQ(f[5], 'h');
  EXPECT_EQ(f[7 << 20], 'i');
  // Written again, then unmapped: detached, with the change pending.
  __fams_store1(q + 6);
  q[6] = 'j';
  ASSERT_EQ(__fams_munmap(q, 8 << 20), 0);
  fams_region *r = fams_region_of(q);
  ASSERT_NE(r, nullptr) << "detached, not gone";
  EXPECT_EQ(fams_unmap(r), 0);  // the explicit API still ends it (committing)
  EXPECT_EQ(read_file(path_)[6], 'j');
}

}  // namespace

namespace {

TEST_F(RuntimeTest, ShrinkZeroesTheLastPageTailLikeASharedMapping) {
  // Found by Kyoto Cabinet (clear = truncate to 64 bytes, then grow and rebuild): in a shared
  // mapping, truncation zeroes the rest of the last page, so after growing again those bytes
  // read as zero. The private working copy must behave the same, not resurrect stale bytes.
  char *p = map_tracked(8192);
  __fams_before_write_range(p + 1000, 8);
  memcpy(p + 1000, "STALE!!!", 8);
  ASSERT_EQ(__fams_msync(p, 8192, MS_SYNC), 0);
  ASSERT_EQ(__fams_ftruncate(fd_, 64), 0);
  ASSERT_EQ(__fams_ftruncate(fd_, 8192), 0);
  EXPECT_EQ(p[1000], 0) << "stale bytes past the truncation point came back";
  EXPECT_EQ(p[63], '.') << "bytes below the truncation point must stay";
  ASSERT_EQ(__fams_msync(p, 8192, MS_SYNC), 0);
  auto f = read_file(path_);
  EXPECT_EQ(f[1000], 0);
  EXPECT_EQ(f[63], '.');
  EXPECT_EQ(__fams_munmap(p, 8192), 0);
}

}  // namespace
