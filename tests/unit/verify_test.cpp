// verify_test.cpp — FAMSYNC_VERIFY reports writes that bypassed tracking, and each mode does what
// DESIGN.md says: fail the commit (nothing written), warn and adopt, or abort.
#include "../test_util.hpp"

#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <csignal>
#include <cstdio>
#include <sys/wait.h>
#include <unistd.h>

using namespace famsync::test;

namespace {

struct ChildRun {
  int status;
  std::string err;
};

ChildRun run_untracked(const std::string &path, const char *verify) {
  std::string err_path = path + ".stderr";
  pid_t pid = fork();
  if (pid == 0) {
    if (verify) setenv("FAMSYNC_VERIFY", verify, 1);
    else unsetenv("FAMSYNC_VERIFY");
    freopen(err_path.c_str(), "w", stderr);
    execl(FAMSYNC_CRASH_CHILD, FAMSYNC_CRASH_CHILD, "untracked", path.c_str(),
          static_cast<char *>(nullptr));
    _exit(127);
  }
  int status = 0;
  waitpid(pid, &status, 0);
  auto err = read_file(err_path);
  return {status, std::string(err.begin(), err.end())};
}

class VerifyTest : public ::testing::TestWithParam<Medium> {
 protected:
  VerifyTest() : dir_(GetParam()) {
    path_ = dir_.file("data");
    write_file(path_, std::vector<uint8_t>(8192, '.'));
    setenv("FAMSYNC_BACKEND", medium_name(GetParam()), 1);
  }
  ~VerifyTest() override { unsetenv("FAMSYNC_BACKEND"); }
  TempDir dir_;
  std::string path_;
};

TEST_P(VerifyTest, FailModeReportsAndCommitsNothing) {
  ChildRun r = run_untracked(path_, "1");
  ASSERT_TRUE(WIFEXITED(r.status)) << r.err;
  EXPECT_EQ(WEXITSTATUS(r.status), 100 + (-FAMS_EVERIFY - 30900)) << r.err;
  EXPECT_NE(r.err.find("bytes [0, +64) changed without an instrumented write"), std::string::npos)
      << r.err;
  EXPECT_EQ(r.err.find("[3968, +64)"), std::string::npos) << "the announced write is not reported";
  auto file = read_file(path_);
  EXPECT_EQ(file[0], '.');
  EXPECT_EQ(file[4000], '.') << "a failed verify must not commit anything";
}

TEST_P(VerifyTest, WarnModeReportsAndAdopts) {
  ChildRun r = run_untracked(path_, "warn");
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.err;
  EXPECT_NE(r.err.find("bytes [0, +64)"), std::string::npos) << r.err;
  auto file = read_file(path_);
  EXPECT_EQ(file[0], 'U');
  EXPECT_EQ(file[4000], 'T');
}

TEST_P(VerifyTest, AbortMode) {
  ChildRun r = run_untracked(path_, "abort");
  EXPECT_TRUE(WIFSIGNALED(r.status) && WTERMSIG(r.status) == SIGABRT) << r.status << r.err;
}

TEST_P(VerifyTest, OffByDefaultAndSilent) {
  ChildRun r = run_untracked(path_, nullptr);
  ASSERT_TRUE(WIFEXITED(r.status) && WEXITSTATUS(r.status) == 0) << r.err;
  EXPECT_EQ(r.err.find("verify"), std::string::npos);
  EXPECT_EQ(read_file(path_)[4000], 'T');
}

INSTANTIATE_TEST_SUITE_P(Backends, VerifyTest,
                         ::testing::Values(Medium::shm_pmem, Medium::disk_file),
                         [](const auto &info) { return std::string(medium_name(info.param)); });

}  // namespace
