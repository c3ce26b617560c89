// bad_input_test.cpp — every public function against bad arguments and damaged files: a clear
// error code and message, no crash, and the committed data untouched.
#include "../test_util.hpp"

#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

using namespace famsync::test;

namespace {

// Maps PATH (pmem backend: undo protocol), writes BYTES at OFFSET, and kills the child after the
// write-back: the file holds the new bytes and its log the old ones, so recovery is due.
void leave_live_log(const std::string &path, size_t offset, const std::string &bytes) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    setenv("FAMSYNC_CRASH_AT", "commit-after-writeback", 1);
    setenv("FAMSYNC_BACKEND", "pmem", 1);
    setenv("FAMSYNC_PMEM_PROTOCOL", "undo", 1);  // its live log must roll the file back
    execl(FAMSYNC_CRASH_CHILD, FAMSYNC_CRASH_CHILD, "poke", path.c_str(),
          std::to_string(offset).c_str(), bytes.c_str(), static_cast<char *>(nullptr));
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
}

class BadInputTest : public ::testing::Test {
 protected:
  BadInputTest() : dir_(Medium::shm_pmem) {}
  TempDir dir_;
};

TEST_F(BadInputTest, NullAndUnknownArguments) {
  fams_region *r = nullptr;
  EXPECT_EQ(fams_map(nullptr, 0, &r), EINVAL);
  EXPECT_STRNE(fams_last_error_message(), "");
  EXPECT_EQ(fams_map("/x", 0, nullptr), EINVAL);
  EXPECT_EQ(fams_map("/x", 0x100, &r), EINVAL);
  EXPECT_EQ(fams_map("/x", FAMS_MAP_FORCE_PMEM | FAMS_MAP_FORCE_FILE, &r), EINVAL);
  EXPECT_EQ(fams_msync(nullptr), EINVAL);
  EXPECT_EQ(fams_rollback(nullptr), EINVAL);
  EXPECT_EQ(fams_unmap(nullptr), EINVAL);
  EXPECT_EQ(fams_recover(nullptr), EINVAL);
  EXPECT_EQ(fams_stats(nullptr, nullptr), EINVAL);
  EXPECT_EQ(fams_region_addr(nullptr), nullptr);
  EXPECT_EQ(fams_region_size(nullptr), 0u);
  EXPECT_EQ(fams_region_of(nullptr), nullptr);
  int x;
  auto *garbage = reinterpret_cast<fams_region *>(&x);  // not a region: must not be dereferenced
  EXPECT_EQ(fams_msync(garbage), FAMS_ENOTTRACKED);
  EXPECT_EQ(fams_unmap(garbage), FAMS_ENOTTRACKED);
  EXPECT_STRNE(fams_strerror(FAMS_ECORRUPT), "");
  EXPECT_STRNE(fams_strerror(-12345), "");
  EXPECT_STREQ(fams_strerror(0), "success");
}

TEST_F(BadInputTest, MissingEmptyDirectoryAndReadOnlyFiles) {
  fams_region *r = nullptr;
  EXPECT_EQ(fams_map(dir_.file("missing").c_str(), 0, &r), ENOENT);
  EXPECT_NE(std::string(fams_last_error_message()).find("missing"), std::string::npos);
  write_file(dir_.file("empty"), {});
  EXPECT_EQ(fams_map(dir_.file("empty").c_str(), 0, &r), FAMS_EEMPTY);
  EXPECT_EQ(fams_map(dir_.path().c_str(), 0, &r), FAMS_ENOTREGULAR);
  EXPECT_EQ(fams_map("/dev/null", 0, &r), FAMS_ENOTREGULAR);
  std::string ro = dir_.file("readonly");
  write_file(ro, pattern(4096, 1));
  chmod(ro.c_str(), 0444);
  if (geteuid() != 0) {  // root ignores file permissions
    EXPECT_EQ(fams_map(ro.c_str(), 0, &r), EACCES);
  }
  EXPECT_EQ(r, nullptr);
}

TEST_F(BadInputTest, SameFileTwiceInOneProcess) {
  std::string path = dir_.file("data");
  write_file(path, pattern(4096, 2));
  fams_region *a = nullptr, *b = nullptr;
  ASSERT_EQ(fams_map(path.c_str(), 0, &a), 0);
  EXPECT_EQ(fams_map(path.c_str(), 0, &b), FAMS_ETRACKED);
  EXPECT_EQ(fams_recover(path.c_str()), FAMS_ETRACKED);
  EXPECT_EQ(fams_unmap(a), 0);
}

TEST_F(BadInputTest, SecondProcessGetsEbusy) {
  std::string path = dir_.file("data");
  write_file(path, pattern(4096, 3));
  fams_region *a = nullptr;
  ASSERT_EQ(fams_map(path.c_str(), 0, &a), 0);
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(FAMSYNC_CRASH_CHILD, FAMSYNC_CRASH_CHILD, "try-map", path.c_str(),
          static_cast<char *>(nullptr));
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status));
  EXPECT_EQ(WEXITSTATUS(status), EBUSY) << "the second process must get EBUSY";
  EXPECT_EQ(fams_unmap(a), 0);
}

TEST_F(BadInputTest, CorruptLogHeaderRefusesAndLeavesFileAlone) {
  std::string path = dir_.file("data");
  auto initial = pattern(8192, 4);
  write_file(path, initial);
  leave_live_log(path, 100, "uncommitted");
  auto before = read_file(path);  // the crash left new bytes in the file: recovery is due
  ASSERT_NE(before, initial);
  std::string log = log_path_of(path);
  // Flip each byte of the static header line in turn: every one must be refused, file untouched.
  auto log_bytes = read_file(log);
  for (size_t i = 0; i < 64; ++i) {
    auto damaged = log_bytes;
    damaged[i] ^= 0x40;
    write_file(log, damaged);
    fams_region *r = nullptr;
    int rc = fams_map(path.c_str(), 0, &r);
    EXPECT_EQ(rc, FAMS_ECORRUPT) << "flipped header byte " << i;
    EXPECT_EQ(read_file(path), before) << "flipped header byte " << i;
  }
  write_file(log, log_bytes);
  ASSERT_EQ(fams_recover(path.c_str()), 0) << fams_last_error_message();
  EXPECT_EQ(read_file(path), initial) << "recovery after repair must restore the committed state";
}

TEST_F(BadInputTest, TruncatedLogIsRefused) {
  std::string path = dir_.file("data");
  write_file(path, pattern(8192, 5));
  leave_live_log(path, 0, "x");
  auto before = read_file(path);
  std::string log = log_path_of(path);
  ASSERT_EQ(truncate(log.c_str(), 4096 + 100), 0);
  EXPECT_EQ(fams_recover(path.c_str()), FAMS_ECORRUPT);
  ASSERT_EQ(truncate(log.c_str(), 10), 0);
  EXPECT_EQ(fams_recover(path.c_str()), FAMS_ECORRUPT);
  EXPECT_EQ(read_file(path), before);
}

TEST_F(BadInputTest, LiveCountBeyondCapacityIsCorrupt) {
  std::string path = dir_.file("data");
  write_file(path, pattern(4096, 6));
  leave_live_log(path, 0, "x");
  auto before = read_file(path);
  std::string log = log_path_of(path);
  auto bytes = read_file(log);
  uint64_t huge = 1ull << 40;
  memcpy(bytes.data() + 72, &huge, sizeof huge);
  write_file(log, bytes);
  EXPECT_EQ(fams_recover(path.c_str()), FAMS_ECORRUPT);
  EXPECT_EQ(read_file(path), before);
}

// B is a copy of A made with its extended attributes (cp --preserve=xattr, rsync -X): it carries
// A's identity, so it finds A's log — which names A's inode.
void copy_identity(const std::string &from, const std::string &to) {
  char value[4200];
  ssize_t n = getxattr(from.c_str(), "user.famsync", value, sizeof value);
  ASSERT_GT(n, 0) << from << " has no identity";
  ASSERT_EQ(setxattr(to.c_str(), "user.famsync", value, static_cast<size_t>(n), 0), 0);
}

TEST_F(BadInputTest, ForeignLogWithLiveEntriesIsRefused) {
  std::string a = dir_.file("a"), b = dir_.file("b");
  write_file(a, pattern(8192, 7));
  write_file(b, pattern(8192, 8));
  leave_live_log(a, 64, "live");
  copy_identity(a, b);
  auto before_a = read_file(a), before_b = read_file(b), log_a = read_file(log_path_of(a));
  fams_region *r = nullptr;
  EXPECT_EQ(fams_map(b.c_str(), 0, &r), FAMS_EFOREIGN);
  EXPECT_NE(std::string(fams_last_error_message()).find("another file"), std::string::npos);
  EXPECT_NE(std::string(fams_last_error_message()).find("Only if"), std::string::npos)
      << "the advice must say when --force-identity is safe: " << fams_last_error_message();
  EXPECT_EQ(read_file(b), before_b);
  EXPECT_EQ(read_file(a), before_a);
  EXPECT_EQ(read_file(log_path_of(a)), log_a) << "the other file's log must not change";
  // A itself still recovers from its log.
  ASSERT_EQ(fams_recover(a.c_str()), 0) << fams_last_error_message();
}

TEST_F(BadInputTest, CopyCarryingAnIdentityGetsItsOwn) {
  std::string a = dir_.file("a"), b = dir_.file("b");
  write_file(a, pattern(4096, 9));
  write_file(b, pattern(4096, 10));
  fams_region *ra = nullptr, *rb = nullptr;
  ASSERT_EQ(fams_map(a.c_str(), 0, &ra), 0);  // A live: its log exists and is locked
  copy_identity(a, b);
  ASSERT_EQ(fams_map(b.c_str(), 0, &rb), 0) << "a copy is another file: " << fams_last_error_message();
  EXPECT_NE(log_path_of(a), log_path_of(b)) << "the copy must get an identity of its own";
  EXPECT_EQ(fams_unmap(rb), 0);
  EXPECT_EQ(fams_unmap(ra), 0);
}

TEST_F(BadInputTest, DataFileShrunkBehindOurBackIsRefused) {
  std::string path = dir_.file("data");
  write_file(path, pattern(8192, 11));
  leave_live_log(path, 8000, "near the end");
  ASSERT_EQ(truncate(path.c_str(), 4096), 0);
  auto before = read_file(path);
  EXPECT_EQ(fams_recover(path.c_str()), FAMS_ERANGE);
  EXPECT_EQ(read_file(path), before);
}

TEST_F(BadInputTest, RecoverWithoutLogIsANoOp) {
  std::string path = dir_.file("data");
  auto initial = pattern(4096, 12);
  write_file(path, initial);
  EXPECT_EQ(fams_recover(path.c_str()), 0);
  EXPECT_EQ(read_file(path), initial);
}

}  // namespace

namespace {

// Found while writing famsync(3): a child inherits the region but not the right to change the
// file; fams_resize in the child used to grow the parent's file behind its back.
TEST(ForkTest, ChildCannotResizeTheParentsFile) {
  TempDir dir(Medium::shm_pmem);
  std::string path = dir.file("data");
  write_file(path, pattern(4096, 13));
  fams_region *r = nullptr;
  ASSERT_EQ(fams_map(path.c_str(), 0, &r), 0) << fams_last_error_message();
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) _exit(fams_resize(r, 8192) == FAMS_ENOTTRACKED ? 0 : 1);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << "fams_resize in a forked child must fail with FAMS_ENOTTRACKED";
  struct stat st;
  ASSERT_EQ(stat(path.c_str(), &st), 0);
  EXPECT_EQ(st.st_size, 4096) << "the child changed the parent's file";
  EXPECT_EQ(fams_unmap(r), 0);
}

}  // namespace

namespace {

// A process with no instrumented code whose fixed window range is taken (ThreadSanitizer's layout
// reserves it) still tracks files through the API: the window is placed elsewhere.
TEST(WindowTest, ApiOnlyProcessWorksWhenTheFixedRangeIsTaken) {
#if defined(__SANITIZE_THREAD__)
  GTEST_SKIP() << "ThreadSanitizer owns the fixed range: the window always floats there";
#endif
  TempDir dir(Medium::shm_pmem);
  std::string path = dir.file("data");
  write_file(path, pattern(4096, 14));
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    execl(FAMSYNC_CRASH_CHILD, FAMSYNC_CRASH_CHILD, "occupied-window", path.c_str(),
          static_cast<char *>(nullptr));
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFEXITED(status)) << status;
  EXPECT_EQ(WEXITSTATUS(status), 0) << "fams_map must work with the window placed elsewhere";
  EXPECT_EQ(std::string(reinterpret_cast<const char *>(read_file(path).data()), 5), "float");
}

}  // namespace
