// damaged_log_test.cpp — recovery refuses a damaged log instead of reporting success over a mix
// (issue 12, item 5).
//
// A crash leaves a live log; then a byte of it is flipped (a bad sector, a stray write). An entry
// that cannot be the tail of an interrupted append is damage: recovery must refuse with
// FAMS_ECORRUPT and leave the file untouched. Undo (format 3): every entry the live word covers
// was durable before the commit wrote the file. Redo: a broken group followed by a later
// commit's intact group.
#include "../test_util.hpp"

#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <fcntl.h>
#include <string>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace famsync::test;

namespace {

constexpr size_t kHeader = 4096, kEntry = 128;

// Runs crash_child ARGS with ENV and expects it to die at its FAMSYNC_CRASH_AT point.
void crash_child(const std::vector<std::string> &env, const std::vector<std::string> &args) {
  pid_t pid = fork();
  ASSERT_GE(pid, 0);
  if (pid == 0) {
    for (const std::string &kv : env) putenv(strdup(kv.c_str()));
    std::vector<char *> argv{const_cast<char *>(FAMSYNC_CRASH_CHILD)};
    for (const std::string &a : args) argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    int devnull = open("/dev/null", O_WRONLY);
    dup2(devnull, 1);
    execv(FAMSYNC_CRASH_CHILD, argv.data());
    _exit(127);
  }
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  ASSERT_TRUE(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL) << "status " << status;
}

void flip_byte(const std::string &path, off_t offset) {
  int fd = open(path.c_str(), O_RDWR);
  ASSERT_GE(fd, 0) << path;
  unsigned char b = 0;
  ASSERT_EQ(pread(fd, &b, 1, offset), 1);
  b ^= 0x40;
  ASSERT_EQ(pwrite(fd, &b, 1, offset), 1);
  close(fd);
}

TEST(DamagedLog, UndoLiveEntryDamagedAfterWritebackIsRefused) {
  TempDir dir(Medium::shm_pmem);
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(8192, 'o'));
  // Two lines change; the crash comes after the write-back, before the commit point.
  crash_child({"FAMSYNC_CRASH_AT=commit-after-writeback", "FAMSYNC_BACKEND=pmem",
               "FAMSYNC_PMEM_PROTOCOL=undo"},
              {"poke", path, "60", std::string(10, 'N')});
  std::string log = log_path_of(path);
  ASSERT_FALSE(log.empty());
  auto torn_state = read_file(path);
  ASSERT_EQ(torn_state[64], 'N') << "the write-back happened";
  flip_byte(log, kHeader + 0 * kEntry + 7);  // inside the first live entry's bytes
  EXPECT_EQ(fams_recover(path.c_str()), FAMS_ECORRUPT);
  EXPECT_NE(std::string(fams_last_error_message()).find("damaged"), std::string::npos)
      << fams_last_error_message();
  EXPECT_EQ(read_file(path), torn_state) << "nothing may be changed";
  fams_region *r = nullptr;
  EXPECT_EQ(fams_map(path.c_str(), FAMS_MAP_FORCE_PMEM, &r), FAMS_ECORRUPT) << "mapping refuses too";
  // Undamaged, the same state recovers to the committed bytes (the check above is not vacuous).
  flip_byte(log, kHeader + 0 * kEntry + 7);
  ASSERT_EQ(fams_recover(path.c_str()), 0) << fams_last_error_message();
  EXPECT_EQ(read_file(path), std::vector<uint8_t>(8192, 'o'));
}

// Two commits reach the log (groups 0 and 1); the crash comes after the second's write-back,
// before any checkpoint. Then the log byte at DAMAGE (in group 0) is flipped: recovery must
// refuse and change nothing; flipped back, the same state recovers.
void expect_damaged_first_redo_group_refused(off_t damage) {
  TempDir dir(Medium::disk_file);
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(16384, 0));
  crash_child({"FAMSYNC_CRASH_AT=commit-after-writeback:2", "FAMSYNC_BACKEND=file"},
              {"rounds", path, "7", "3"});
  std::string log = log_path_of(path);
  ASSERT_FALSE(log.empty());
  auto before = read_file(path);
  flip_byte(log, damage);
  EXPECT_EQ(fams_recover(path.c_str()), FAMS_ECORRUPT);
  EXPECT_NE(std::string(fams_last_error_message()).find("is intact"), std::string::npos)
      << fams_last_error_message();
  EXPECT_EQ(read_file(path), before) << "nothing may be changed";
  flip_byte(log, damage);
  EXPECT_EQ(fams_recover(path.c_str()), 0) << fams_last_error_message();
}

// Group 0's header damaged: group 1 is found by searching slot by slot.
TEST(DamagedLog, RedoGroupFollowedByALaterCommitIsRefused) {
  expect_damaged_first_redo_group_refused(kHeader + 0 * kEntry + 3);
}

// Format 4: group 0's header intact and its body damaged (the first line offset): recovery
// finds group 1 where group 0's header says it starts.
TEST(DamagedLog, RedoGroupBodyFollowedByALaterCommitIsRefused) {
  expect_damaged_first_redo_group_refused(kHeader + 64 + 3);
}

}  // namespace
