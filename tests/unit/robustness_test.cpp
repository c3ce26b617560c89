// robustness_test.cpp — regression tests for issue 12: famsync used a little off the paths the
// other tests walk (resize through the API, stale handles, failing rollback, shared descriptors,
// exit beside a busy thread, dropped syscall errors, the tracking policy's silent cases).
//
// Tests that need a fresh process (options read once from the environment, the window reserved
// once) re-run this binary on one Issue12Child test with FAMSYNC_ISSUE12_CHILD set; those
// child tests skip themselves in a normal run.
#include "../test_util.hpp"

#include "robustness_seams.hpp"
#include "window.hpp"

#include <famsync/abi.h>
#include <famsync/famsync.h>
#include <famsync/famsync.hpp>

#include <gtest/gtest.h>

#include <atomic>
#include <cerrno>
#include <cstring>
#include <fcntl.h>
#include <set>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using namespace famsync::test;

namespace {

struct ChildResult {
  int status = -1;  // waitpid status
  std::string err;  // everything the child wrote to stderr
};

// Runs Issue12Child.NAME in a new process of this binary, with ENV added to the environment.
ChildResult run_child(const std::string &name, const std::vector<std::string> &env) {
  TempDir tmp(Medium::disk_file);
  std::string err_path = tmp.file("stderr");
  ChildResult res;
  pid_t pid = fork();
  if (pid == 0) {
    int fd = open(err_path.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0600);
    if (fd < 0 || dup2(fd, 2) < 0) _exit(126);
    setenv("FAMSYNC_ISSUE12_CHILD", "1", 1);
    for (const std::string &kv : env) putenv(strdup(kv.c_str()));
    std::string filter = "--gtest_filter=Issue12Child." + name;
    execl("/proc/self/exe", "robustness_child", filter.c_str(), static_cast<char *>(nullptr));
    _exit(127);
  }
  if (pid < 0 || waitpid(pid, &res.status, 0) != pid) return res;
  auto bytes = read_file(err_path);
  res.err.assign(bytes.begin(), bytes.end());
  return res;
}

bool in_child() { return getenv("FAMSYNC_ISSUE12_CHILD") != nullptr; }
#define CHILD_ONLY() \
  if (!in_child()) GTEST_SKIP() << "runs as a child of another Issue12 test"

bool exited_zero(const ChildResult &r) { return WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0; }

uint64_t size_of(const std::string &path) {
  struct stat st;
  return ::stat(path.c_str(), &st) == 0 ? static_cast<uint64_t>(st.st_size) : UINT64_MAX;
}

// ---- Item 1: resize through the API makes the new bytes usable ----------------------------------

TEST(Issue12, CApiResizeGrowsAndShrinksTheWorkingCopy) {
  for (Medium m : {Medium::shm_pmem, Medium::disk_file}) {
    SCOPED_TRACE(medium_name(m));
    TempDir dir(m);
    std::string path = dir.file("data");
    write_file(path, std::vector<uint8_t>(4096, 1));
    fams_region *r = nullptr;
    ASSERT_EQ(fams_map(path.c_str(), map_flags(m), &r), 0) << fams_last_error_message();
    // Growth inside the 2 MiB window slot: in place.
    ASSERT_EQ(fams_resize(r, 1 << 20), 0) << fams_last_error_message();
    EXPECT_EQ(fams_region_size(r), 1u << 20);
    auto *p = static_cast<uint8_t *>(fams_region_addr(r));
    ASSERT_EQ(fams_will_write(p + 512 * 1024, 8), 0)
        << "grown bytes must be writable: " << fams_last_error_message();
    p[512 * 1024] = 7;
    EXPECT_EQ(p[(1 << 20) - 1], 0) << "grown bytes read as zero";
    // Growth past the slot: the working copy moves; the handle still names it.
    ASSERT_EQ(fams_resize(r, 5 << 20), 0) << fams_last_error_message();
    p = static_cast<uint8_t *>(fams_region_addr(r));
    ASSERT_NE(p, nullptr);
    EXPECT_EQ(p[512 * 1024], 7) << "a pending change moves with the working copy";
    ASSERT_EQ(fams_will_write(p + (4 << 20), 1), 0) << fams_last_error_message();
    p[4 << 20] = 9;
    ASSERT_EQ(fams_msync(r), 0) << fams_last_error_message();
    // Shrinking: the cut bytes are no longer part of the region.
    ASSERT_EQ(fams_resize(r, 8192), 0) << fams_last_error_message();
    p = static_cast<uint8_t *>(fams_region_addr(r));
    EXPECT_EQ(fams_will_write(p + 4096, 8), 0);
    EXPECT_EQ(fams_will_write(p + (512 * 1024), 8), FAMS_ENOTTRACKED)
        << "bytes past a shrink must not be accepted as part of the region";
    ASSERT_EQ(fams_resize(r, 1 << 20), 0) << fams_last_error_message();
    p = static_cast<uint8_t *>(fams_region_addr(r));
    EXPECT_EQ(p[512 * 1024], 0) << "cut bytes must not come back with a later growth";
    ASSERT_EQ(fams_unmap(r), 0) << fams_last_error_message();
    auto f = read_file(path);
    ASSERT_EQ(f.size(), 1u << 20);
    EXPECT_EQ(f[0], 1);
    EXPECT_EQ(f[512 * 1024], 0);
  }
}

TEST(Issue12, MappedFileResizeGrowthIsUsable) {
  TempDir dir(Medium::shm_pmem);
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(4096, 0));
  {
    auto f = famsync::MappedFile::open(path);
    f.store<uint64_t>(0, 1);
    f.commit();
    f.resize(1 << 20);
    EXPECT_EQ(f.size(), 1u << 20);
    f.store<uint64_t>(512 * 1024, 7);  // threw "not inside one tracked region" before the fix
    EXPECT_EQ(f.load<uint64_t>(512 * 1024), 7u);
    EXPECT_EQ(f.bytes().size(), 1u << 20);
    EXPECT_EQ(static_cast<int>(f.bytes()[(1 << 20) - 1]), 0);
    f.commit();
    f.resize(4096);
    EXPECT_THROW(f.store<uint64_t>(512 * 1024, 8), famsync::Error);
    EXPECT_EQ(f.load<uint64_t>(0), 1u);
    f.close();
  }
  EXPECT_EQ(size_of(path), 4096u);
}

// ---- Item 8: stale handles --------------------------------------------------------------------

// Writes two 4 KiB files (A_PATH of 'a's, B_PATH of 'b's) and maps the first: a handle about to
// go stale, and a file whose region may take the old Region's place. Null if the map failed.
fams_region *write_both_map_first(const std::string &a_path, const std::string &b_path) {
  write_file(a_path, std::vector<uint8_t>(4096, 'a'));
  write_file(b_path, std::vector<uint8_t>(4096, 'b'));
  fams_region *a = nullptr;
  return fams_map(a_path.c_str(), FAMS_MAP_FORCE_FILE, &a) == 0 ? a : nullptr;
}

TEST(Issue12, StaleHandleNeverNamesALaterRegion) {
  TempDir dir(Medium::disk_file);
  std::string a_path = dir.file("a"), b_path = dir.file("b");
  fams_region *a = write_both_map_first(a_path, b_path), *b = nullptr;
  ASSERT_NE(a, nullptr) << fams_last_error_message();
  ASSERT_EQ(fams_unmap(a), 0);
  // The new Region object is typically allocated where the old one was.
  ASSERT_EQ(fams_map(b_path.c_str(), FAMS_MAP_FORCE_FILE, &b), 0);
  auto *p = static_cast<char *>(fams_region_addr(b));
  ASSERT_EQ(fams_will_write(p, 1), 0);
  p[0] = 'B';
  EXPECT_EQ(fams_rollback(a), FAMS_ENOTTRACKED) << "a stale handle must not act";
  EXPECT_NE(std::string(fams_last_error_message()).find("not a live region handle"),
            std::string::npos) << fams_last_error_message();
  EXPECT_EQ(fams_msync(a), FAMS_ENOTTRACKED);
  EXPECT_EQ(fams_unmap(a), FAMS_ENOTTRACKED);
  EXPECT_EQ(fams_region_addr(a), nullptr);
  EXPECT_EQ(p[0], 'B') << "the other region's pending change must be untouched";
  EXPECT_EQ(fams_region_of(p), b) << "fams_region_of gives the same handle fams_map did";
  ASSERT_EQ(fams_unmap(b), 0);
  EXPECT_EQ(read_file(b_path)[0], 'B');
}

// A thread resolves a handle once and keeps the answer (registry::by_id): after another thread
// unmaps that region, the same handle in the first thread must fail, not reach a freed Region.
TEST(Issue12, StaleHandleResolvedEarlierByAnotherThread) {
  TempDir dir(Medium::disk_file);
  std::string a_path = dir.file("a"), b_path = dir.file("b");
  fams_region *a = write_both_map_first(a_path, b_path), *b = nullptr;
  ASSERT_NE(a, nullptr) << fams_last_error_message();
  std::atomic<int> step{0};
  int first = -1, after_unmap = -1;
  std::thread t([&] {
    first = fams_msync(a);  // resolves (and remembers) a
    step.store(1);
    while (step.load() != 2) std::this_thread::yield();
    after_unmap = fams_msync(a);
  });
  while (step.load() != 1) std::this_thread::yield();
  ASSERT_EQ(fams_unmap(a), 0);
  // A new region, most likely where the old Region object was.
  ASSERT_EQ(fams_map(b_path.c_str(), FAMS_MAP_FORCE_FILE, &b), 0);
  step.store(2);
  t.join();
  EXPECT_EQ(first, 0);
  EXPECT_EQ(after_unmap, FAMS_ENOTTRACKED) << "a handle a thread resolved before the unmap";
  ASSERT_EQ(fams_unmap(b), 0);
}

// ---- Item 10: a failing rollback never lets a half-rolled-back copy be committed -------------

struct FactoryScope {
  FactoryScope() { install_failing_reads_backend(); }
  ~FactoryScope() { uninstall_failing_reads_backend(); }
};

TEST(Issue12, FailedRollbackRefusesCommitsAndTheDestructorCommitsNothing) {
  TempDir dir(Medium::disk_file);
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(16384, 0));
  FactoryScope scope;
  {
    auto f = famsync::MappedFile::open(path, famsync::Backend::file);
    f.store<uint64_t>(0, 1);
    f.store<uint64_t>(8192, 1);
    f.commit();
    f.store<uint64_t>(0, 2);  // two dirty runs: the rollback needs two reads
    f.store<uint64_t>(8192, 2);
    set_fail_reads(true);
  }  // ~MappedFile: rollback fails; before the fix its unmap committed the 2s
  set_fail_reads(false);
  auto bytes = read_file(path);
  uint64_t v0, v1;
  memcpy(&v0, &bytes[0], 8);
  memcpy(&v1, &bytes[8192], 8);
  EXPECT_EQ(v0, 1u) << "the destructor must not commit after a failed rollback";
  EXPECT_EQ(v1, 1u) << "the destructor must not commit after a failed rollback";

  // The C API says so: the rollback's error, then every commit refused.
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(path.c_str(), FAMS_MAP_FORCE_FILE, &r), 0) << fams_last_error_message();
  auto *p = static_cast<uint8_t *>(fams_region_addr(r));
  ASSERT_EQ(fams_will_write(p, 1), 0);
  p[0] = 3;
  set_fail_reads(true);
  EXPECT_EQ(fams_rollback(r), EIO);
  EXPECT_NE(std::string(fams_last_error_message()).find("rollback succeeds"), std::string::npos)
      << fams_last_error_message();
  set_fail_reads(false);
  EXPECT_EQ(fams_msync(r), FAMS_EPOISONED) << "no commit after a failed rollback";
  EXPECT_EQ(read_file(path)[0], 1);
  // A retried rollback restores everything and lifts the refusal.
  EXPECT_EQ(fams_rollback(r), 0) << fams_last_error_message();
  EXPECT_EQ(p[0], 1);
  ASSERT_EQ(fams_will_write(p + 100, 1), 0);
  p[100] = 4;
  EXPECT_EQ(fams_msync(r), 0) << fams_last_error_message();
  EXPECT_EQ(fams_unmap(r), 0);
  auto f = read_file(path);
  EXPECT_EQ(f[0], 1);
  EXPECT_EQ(f[100], 4);
}

// FAMSYNC_EXIT_COMMIT=0 rolls back at exit: a failed rollback is said, and commits nothing.
TEST(Issue12Child, RollbackAtExitFails) {
  CHILD_ONLY();
  FactoryScope scope;
  std::string path = getenv("ISSUE12_PATH");
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(path.c_str(), FAMS_MAP_FORCE_FILE, &r), 0) << fams_last_error_message();
  auto *p = static_cast<uint8_t *>(fams_region_addr(r));
  ASSERT_EQ(fams_will_write(p, 1), 0);
  p[0] = 5;
  ASSERT_EQ(fams_msync(r), 0);
  ASSERT_EQ(fams_will_write(p + 8192, 1), 0);
  p[8192] = 6;
  set_fail_reads(true);
  exit(0);  // the exit hook rolls back (and fails), then closes
}

TEST(Issue12, FailedRollbackAtExitIsReportedAndCommitsNothing) {
  TempDir dir(Medium::disk_file);
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(16384, 0));
  ChildResult res = run_child("RollbackAtExitFails",
                              {"FAMSYNC_EXIT_COMMIT=0", "ISSUE12_PATH=" + path});
  EXPECT_TRUE(exited_zero(res)) << res.err;
  EXPECT_NE(res.err.find("rollback at exit failed"), std::string::npos) << res.err;
  auto f = read_file(path);
  EXPECT_EQ(f[0], 5);
  EXPECT_EQ(f[8192], 0);
}

// ---- Item 11: redirected write() positions ----------------------------------------------------

class Issue12Runtime : public ::testing::Test {
 protected:
  Issue12Runtime() : dir_(Medium::disk_file) {
    __fams_module_init();
    path_ = dir_.file("data");
  }
  TempDir dir_;
  std::string path_;
};

TEST_F(Issue12Runtime, WriteOnAnAppendDescriptorAppends) {
  write_file(path_, std::vector<uint8_t>(8192, '.'));
  int fd = open(path_.c_str(), O_RDWR);
  int afd = open(path_.c_str(), O_WRONLY | O_APPEND);
  ASSERT_GE(fd, 0);
  ASSERT_GE(afd, 0);
  void *p = __fams_mmap(nullptr, 16384, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(p, MAP_FAILED);
  ASSERT_NE(fams_region_of(p), nullptr);
  ASSERT_EQ(__fams_write(afd, "TAIL", 4), 4);
  ASSERT_EQ(__fams_write(afd, "MORE", 4), 4);
  EXPECT_EQ(lseek(afd, 0, SEEK_CUR), 8200);
  EXPECT_EQ(static_cast<char *>(p)[0], '.') << "an O_APPEND write must not land at offset 0";
  ASSERT_EQ(__fams_msync(p, 16384, MS_SYNC), 0);
  ASSERT_EQ(__fams_munmap(p, 16384), 0);
  auto f = read_file(path_);
  ASSERT_EQ(f.size(), 8200u);
  EXPECT_EQ(std::string(f.begin() + 8192, f.end()), "TAILMORE");
  EXPECT_EQ(f[0], '.');
  close(afd);
  close(fd);
}

TEST_F(Issue12Runtime, ThreadsSharingADescriptorNeverOverlap) {
  constexpr int kThreads = 4, kRecords = 1000, kLen = 16;
  write_file(path_, std::vector<uint8_t>(kThreads * kRecords * kLen, '.'));
  int fd = open(path_.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  size_t len = kThreads * kRecords * kLen;
  void *p = __fams_mmap(nullptr, len, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(p, MAP_FAILED);
  std::vector<std::thread> threads;
  for (int t = 0; t < kThreads; ++t)
    threads.emplace_back([fd, t] {
      for (int i = 0; i < kRecords; ++i) {
        char rec[kLen + 1];
        snprintf(rec, sizeof rec, "t%d-%011d\n", t, i);
        if (__fams_write(fd, rec, kLen) != kLen) abort();
      }
    });
  for (auto &th : threads) th.join();
  EXPECT_EQ(lseek(fd, 0, SEEK_CUR), static_cast<off_t>(len)) << "a write's position was lost";
  std::set<std::string> seen;
  const char *c = static_cast<const char *>(p);
  for (size_t off = 0; off < len; off += kLen) seen.insert(std::string(c + off, kLen));
  EXPECT_EQ(seen.size(), static_cast<size_t>(kThreads * kRecords))
      << "records overwrote each other";
  ASSERT_EQ(__fams_munmap(p, len), 0);
  close(fd);
}

// ---- Item 12: the exit hook beside a thread that munmaps ------------------------------------

TEST_F(Issue12Runtime, ExitWhileAnotherThreadMunmapsIsSafe) {
  constexpr int kFiles = 48;
  std::vector<std::string> paths;
  for (int i = 0; i < kFiles; ++i) {
    paths.push_back(dir_.file("f" + std::to_string(i)));
    write_file(paths.back(), std::vector<uint8_t>(4096, '.'));
  }
  EXPECT_EXIT(
      {
        std::vector<char *> maps;
        for (const std::string &path : paths) {
          int fd = open(path.c_str(), O_RDWR);
          void *p = __fams_mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
          if (p == MAP_FAILED || fams_region_of(p) == nullptr) _exit(3);
          close(fd);
          __fams_store1(p);
          static_cast<char *>(p)[0] = '!';
          maps.push_back(static_cast<char *>(p));
        }
        std::atomic<bool> started{false};
        // Detached: it is still unmapping (each munmap commits) when exit() runs the exit hook.
        std::thread([&maps, &started] {
          started = true;
          for (char *p : maps) __fams_munmap(p, 4096);
        }).detach();
        while (!started) {
        }
        exit(0);
      },
      ::testing::ExitedWithCode(0), "");
  for (const std::string &path : paths)
    EXPECT_EQ(read_file(path)[0], '!') << path << ": committed by munmap or by the exit hook";
}

// ---- Item 13: dropped errors -------------------------------------------------------------------

TEST(Issue12, FailedReReserveKeepsTheSlotOutOfThePool) {
  ASSERT_EQ(famsync::window::reserve(), 0);
  uintptr_t slot = 0;
  ASSERT_EQ(famsync::window::allocate(1 << 21, &slot), 0);
  uint64_t before = famsync::window::free_bytes();
  // A misaligned address makes the re-reserving mmap fail (EINVAL), as ENOMEM would.
  EXPECT_EQ(famsync::window::release(slot + 1, 1 << 21), EINVAL);
  EXPECT_EQ(famsync::window::free_bytes(), before)
      << "a slot whose re-reservation failed must not be handed out again";
  EXPECT_EQ(famsync::window::release(slot, 1 << 21), 0);
  EXPECT_EQ(famsync::window::free_bytes(), before + (1 << 21));
}

TEST(Issue12, PmemBackendErrorPathUnmapsAllOfTheData) {
  TempDir dir(Medium::shm_pmem);
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(4096, 0));
  // The log cannot be mapped (no descriptor): the data mapping made first must go, all of it.
  EXPECT_NE(make_pmem_backend_with_bad_log(path, 1 << 20), 0);
  auto maps = read_file("/proc/self/maps");
  EXPECT_EQ(std::string(maps.begin(), maps.end()).find(path), std::string::npos)
      << "part of the data file is still mapped";
}

TEST(Issue12Child, ModuleInitWithoutAddressSpace) {
  CHILD_ONLY();
  struct rlimit old;
  ASSERT_EQ(getrlimit(RLIMIT_AS, &old), 0);
  unsigned long pages = 0;
  FILE *statm = fopen("/proc/self/statm", "r");
  ASSERT_NE(statm, nullptr);
  ASSERT_EQ(fscanf(statm, "%lu", &pages), 1);
  fclose(statm);
  struct rlimit low = old;
  low.rlim_cur = pages * static_cast<rlim_t>(sysconf(_SC_PAGESIZE)) + (256ull << 20);
  ASSERT_EQ(setrlimit(RLIMIT_AS, &low), 0);
  __fams_module_init();  // cannot reserve even 1 GiB
  ASSERT_EQ(setrlimit(RLIMIT_AS, &old), 0);
  EXPECT_EQ(__fams_window_size, 0u);
  // Room again, but a window appearing now would be invisible to running instrumented code.
  fams_region *r = nullptr;
  EXPECT_EQ(fams_map(getenv("ISSUE12_PATH"), 0, &r), ENOMEM);
  EXPECT_NE(std::string(fams_last_error_message()).find("at program start"), std::string::npos)
      << fams_last_error_message();
  EXPECT_EQ(__fams_window_size, 0u);
}

TEST(Issue12, FailedModuleInitReservationIsFinalAndSaid) {
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "sanitizers need more address space than the limit this test sets";
#endif
  TempDir dir(Medium::disk_file);
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(4096, 0));
  ChildResult res = run_child("ModuleInitWithoutAddressSpace", {"ISSUE12_PATH=" + path});
  EXPECT_TRUE(exited_zero(res)) << res.err;
  EXPECT_NE(res.err.find("nothing will be tracked in this process"), std::string::npos) << res.err;
}

// ---- Item 2: no silently untracked mapping; a forced pmem backend tracks /dev/shm ---------------

TEST(Issue12Child, MapShmFile) {
  CHILD_ONLY();
  __fams_module_init();
  std::string path = getenv("ISSUE12_PATH");
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0);
  void *p = __fams_mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(p, MAP_FAILED);
  bool want_tracked = strcmp(getenv("ISSUE12_WANT"), "tracked") == 0;
  EXPECT_EQ(fams_region_of(p) != nullptr, want_tracked);
  // A second mapping of an untracked file says nothing more.
  void *q = __fams_mmap(nullptr, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
  ASSERT_NE(q, MAP_FAILED);
  if (q != p) __fams_munmap(q, 4096);
  __fams_munmap(p, 4096);
  close(fd);
}

TEST(Issue12, ShmFilesAreTrackedWhenPmemIsForcedAndOtherwiseSayWhy) {
  TempDir dir(Medium::shm_pmem);
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(4096, 0));
  for (const char *force : {"FAMSYNC_FORCE_PMEM=1", "FAMSYNC_BACKEND=pmem"}) {
    ChildResult res = run_child("MapShmFile", {force, "ISSUE12_PATH=" + path,
                                               "ISSUE12_WANT=tracked"});
    EXPECT_TRUE(exited_zero(res)) << force << ": " << res.err;
    EXPECT_EQ(res.err.find("not tracking"), std::string::npos) << res.err;
  }
  ChildResult res = run_child("MapShmFile", {"FAMSYNC_PATHS=" + dir.path() + "/",
                                             "ISSUE12_PATH=" + path, "ISSUE12_WANT=tracked"});
  EXPECT_TRUE(exited_zero(res)) << res.err;
  // Left untracked: one line, saying why and what to set.
  res = run_child("MapShmFile", {"ISSUE12_PATH=" + path, "ISSUE12_WANT=untracked"});
  EXPECT_TRUE(exited_zero(res)) << res.err;
  size_t at = res.err.find("famsync: not tracking " + path + ": /dev/shm");
  EXPECT_NE(at, std::string::npos) << res.err;
  EXPECT_NE(res.err.find("FAMSYNC_BACKEND=pmem"), std::string::npos) << res.err;
  EXPECT_EQ(res.err.find("not tracking", at + 22), std::string::npos) << "one line: " << res.err;
  res = run_child("MapShmFile", {"FAMSYNC_FORCE_PMEM=1", "FAMSYNC_EXCLUDE=" + path,
                                 "ISSUE12_PATH=" + path, "ISSUE12_WANT=untracked"});
  EXPECT_TRUE(exited_zero(res)) << res.err;
  EXPECT_NE(res.err.find("it matches FAMSYNC_EXCLUDE"), std::string::npos) << res.err;
  res = run_child("MapShmFile", {"FAMSYNC_DISABLE=1", "ISSUE12_PATH=" + path,
                                 "ISSUE12_WANT=untracked"});
  EXPECT_TRUE(exited_zero(res)) << res.err;
  EXPECT_NE(res.err.find("FAMSYNC_DISABLE"), std::string::npos) << res.err;
}

}  // namespace
