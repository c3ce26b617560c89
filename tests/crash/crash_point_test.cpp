// crash_point_test.cpp — kill a real process at each named step of the commit and recovery
// protocols (FAMSYNC_CRASH_AT), and at random times, then recover and check the oracle: the file
// holds exactly the last acknowledged commit, or the one in flight if it passed its commit point.
#include "../test_util.hpp"
#include "../workload.hpp"

#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <chrono>
#include <csignal>
#include <cstdio>
#include <cstring>
#include <random>
#include <sys/wait.h>
#include <unistd.h>

using namespace famsync::test;

namespace {

struct ChildResult {
  int status = 0;
  uint64_t acknowledged = 0;  // last "committed r" line read
};

// Runs crash_child with ARGS and extra ENV entries; if KILL_AFTER_US >= 0, SIGKILLs it that long
// after start. Returns its wait status and the last acknowledged commit.
ChildResult run_child(const std::vector<std::string> &args, const std::vector<std::string> &env,
                      long kill_after_us = -1) {
  int out[2];
  if (pipe(out) != 0) abort();
  pid_t pid = fork();
  if (pid < 0) abort();
  if (pid == 0) {
    dup2(out[1], 1);
    close(out[0]);
    close(out[1]);
    for (const std::string &e : env) putenv(strdup(e.c_str()));
    std::vector<char *> argv{const_cast<char *>(FAMSYNC_CRASH_CHILD)};
    for (const std::string &a : args) argv.push_back(const_cast<char *>(a.c_str()));
    argv.push_back(nullptr);
    execv(FAMSYNC_CRASH_CHILD, argv.data());
    _exit(127);
  }
  close(out[1]);
  if (kill_after_us >= 0) {
    usleep(static_cast<useconds_t>(kill_after_us));
    kill(pid, SIGKILL);
  }
  ChildResult res;
  FILE *f = fdopen(out[0], "r");
  char line[128];
  while (fgets(line, sizeof line, f) != nullptr) {
    unsigned long long r;
    if (sscanf(line, "committed %llu", &r) == 1) res.acknowledged = r;
  }
  fclose(f);
  waitpid(pid, &res.status, 0);
  return res;
}

bool killed(int status) { return WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL; }

class CrashPointTest : public ::testing::TestWithParam<Medium> {
 protected:
  CrashPointTest() : dir_(GetParam()) {}
  // EXTRA plus the environment that selects the backend (and on pmem the protocol) under test.
  std::vector<std::string> env(std::vector<std::string> extra = {}) const {
    for (std::string &kv : child_env_for(GetParam())) extra.push_back(std::move(kv));
    return extra;
  }
  bool undo() const { return GetParam() == Medium::shm_pmem_undo; }

  // One random kill: PATH starts as INITIAL, crash_child runs MODE with SEED until SIGKILLed
  // after a delay drawn from RNG (*DELAY_US), then `recover` must succeed. *ACKNOWLEDGED = the
  // commits the child reported before it died. The caller checks the recovered file.
  ::testing::AssertionResult kill_and_recover(const char *mode, const std::string &path,
                                              const std::vector<uint8_t> &initial, uint64_t seed,
                                              std::mt19937_64 &rng, uint64_t *acknowledged,
                                              long *delay_us) {
    write_file(path, initial);
    *delay_us = static_cast<long>(rng() % (GetParam() != Medium::disk_file ? 20000 : 60000));
    ChildResult res = run_child({mode, path, std::to_string(seed), "100000"}, env(),
                                *delay_us);
    *acknowledged = res.acknowledged;
    if (!killed(res.status)) return ::testing::AssertionFailure() << "the child was not killed";
    ChildResult rec = run_child({"recover", path}, env());
    if (!WIFEXITED(rec.status) || WEXITSTATUS(rec.status) != 0)
      return ::testing::AssertionFailure() << "recover failed";
    return ::testing::AssertionSuccess();
  }
  TempDir dir_;
};

struct Point {
  const char *name;
  bool commit_survives;  // past the commit point: the crashed commit's state is the result
};
// Undo (pmem, FAMSYNC_PMEM_PROTOCOL=undo): the commit point is the retire. Redo (pmem by default,
// and files): it is the log group's persist (a drain, or an fdatasync).
const std::vector<Point> kUndoPoints = {
    {"commit-before-publish", false}, {"commit-entries-durable", false},
    {"commit-after-publish", false},
    {"commit-mid-writeback", false},  {"commit-after-writeback", false},
    {"commit-after-retire", true},
};
const std::vector<Point> kRedoPoints = {
    {"commit-before-publish", false}, {"commit-after-publish", true},
    {"commit-mid-writeback", true},   {"commit-after-writeback", true},
};
// Redo on pmem: the group's stores are in the shared mapping before its drain, and a killed
// process (unlike a power failure) leaves them there, so at commit-before-publish the group is
// already complete: the in-flight commit survives (allowed: it had not returned). Power failures
// at that point are the crash simulator's (tests/sim).
const std::vector<Point> kRedoPmemPoints = {
    {"commit-before-publish", true}, {"commit-after-publish", true},
    {"commit-mid-writeback", true},  {"commit-after-writeback", true},
};

TEST_P(CrashPointTest, EveryCommitStepRecoversToOldOrNew) {
  const uint64_t seed = 7;
  auto initial = pattern(40000, seed);
  int cases = 0;
  const auto &points = undo()                             ? kUndoPoints
                       : GetParam() == Medium::shm_pmem ? kRedoPmemPoints
                                                        : kRedoPoints;
  for (const Point &p : points) {
    for (int occurrence : {1, 2, 6}) {
      std::string path = dir_.file(std::string(p.name) + "-" + std::to_string(occurrence));
      write_file(path, initial);
      std::string at = std::string("FAMSYNC_CRASH_AT=") + p.name + ":" + std::to_string(occurrence);
      ChildResult res = run_child({"rounds", path, std::to_string(seed), "10"}, env({at}));
      ASSERT_TRUE(killed(res.status)) << at << " status " << res.status;
      ASSERT_EQ(res.acknowledged, static_cast<uint64_t>(occurrence - 1)) << at;
      // Recover in another process, as a restarted program would.
      ChildResult rec = run_child({"recover", path}, env());
      ASSERT_TRUE(WIFEXITED(rec.status) && WEXITSTATUS(rec.status) == 0) << at;
      uint64_t expect = p.commit_survives ? occurrence : occurrence - 1;
      ASSERT_EQ(read_file(path), state_after(initial, seed, expect))
          << at << " seed " << seed << ": recovered state is not commit " << expect;
      ++cases;
    }
  }
  EXPECT_EQ(cases, static_cast<int>(points.size()) * 3);
}

TEST_P(CrashPointTest, CheckpointStepsKeepEveryCommit) {
  // Redo only: a checkpoint syncs the data file and empties the log; it runs when the log fills
  // (FAMSYNC_LOG_ENTRIES=8 makes that frequent) and at unmap. A crash inside it must lose no
  // acknowledged commit.
  if (undo()) GTEST_SKIP() << "checkpoints belong to the redo protocol";
  const uint64_t seed = 13;
  auto initial = pattern(20000, seed);
  for (const char *point : {"checkpoint-data-synced", "checkpoint-done"}) {
    for (int occurrence : {1, 3}) {
      std::string path = dir_.file(std::string(point) + std::to_string(occurrence));
      write_file(path, initial);
      std::string at = std::string("FAMSYNC_CRASH_AT=") + point + ":" + std::to_string(occurrence);
      ChildResult res = run_child({"rounds", path, std::to_string(seed), "30"},
                                  env({at, "FAMSYNC_LOG_ENTRIES=8"}));
      ASSERT_TRUE(killed(res.status)) << at << " status " << res.status;
      ChildResult rec = run_child({"recover", path}, env());
      ASSERT_TRUE(WIFEXITED(rec.status) && WEXITSTATUS(rec.status) == 0) << at;
      auto got = read_file(path);
      // The checkpoint runs inside a commit (before its group is written) or at unmap.
      bool ok = got == state_after(initial, seed, res.acknowledged) ||
                got == state_after(initial, seed, res.acknowledged + 1);
      ASSERT_TRUE(ok) << at << " seed " << seed << " acknowledged " << res.acknowledged;
    }
  }
}

TEST_P(CrashPointTest, CrashDuringRecoveryThenRecoverAgain) {
  const uint64_t seed = 11;
  auto initial = pattern(30000, seed);
  for (const char *rpoint : {"recovery-mid-apply", "recovery-applied"}) {
    std::string path = dir_.file(rpoint);
    write_file(path, initial);
    ChildResult res = run_child({"rounds", path, std::to_string(seed), "5"},
                                env({"FAMSYNC_CRASH_AT=commit-after-writeback:3"}));
    ASSERT_TRUE(killed(res.status));
    // Undo: recovery restores commit 2. Redo: commit 3 passed its commit point; spoil the data
    // file back to commit 2 so that recovery has work to do.
    uint64_t expect = undo() ? 2 : 3;
    if (!undo()) write_file(path, state_after(initial, seed, 2));
    else ASSERT_NE(read_file(path), state_after(initial, seed, 2)) << "nothing to recover";
    ChildResult rec = run_child({"recover", path},
                                env({std::string("FAMSYNC_CRASH_AT=") + rpoint}));
    ASSERT_TRUE(killed(rec.status)) << rpoint;
    ChildResult rec2 = run_child({"recover", path}, env());
    ASSERT_TRUE(WIFEXITED(rec2.status) && WEXITSTATUS(rec2.status) == 0) << rpoint;
    EXPECT_EQ(read_file(path), state_after(initial, seed, expect)) << rpoint;
    // Idempotent: a third recovery changes nothing.
    ChildResult rec3 = run_child({"recover", path}, env());
    ASSERT_TRUE(WIFEXITED(rec3.status) && WEXITSTATUS(rec3.status) == 0);
    EXPECT_EQ(read_file(path), state_after(initial, seed, expect)) << rpoint;
  }
}

// Kills per backend: FAMSYNC_TEST_KILLS (the `kill_storm` ctest sets 500), else a quick 40/20.
int kill_count(Medium m) {
  if (const char *k = getenv("FAMSYNC_TEST_KILLS")) return atoi(k);
  return m != Medium::disk_file ? 40 : 20;
}

TEST_P(CrashPointTest, RandomKillsRecoverToAcknowledgedOrNext) {
  const uint64_t seed = 20261121;
  const int kills = kill_count(GetParam());
  auto started = std::chrono::steady_clock::now();
  int violations = 0, recovered_new = 0;
  std::mt19937_64 rng(seed);
  auto initial = pattern(50000, seed);
  std::vector<std::vector<uint8_t>> states{initial};  // states[r] = after r commits
  for (int i = 0; i < kills; ++i) {
    std::string path = dir_.file("kill-" + std::to_string(i));
    uint64_t acknowledged = 0;
    long delay = 0;
    ASSERT_TRUE(kill_and_recover("rounds", path, initial, seed, rng, &acknowledged, &delay))
        << "seed " << seed << " kill " << i;
    while (states.size() < acknowledged + 2) {  // states[r] = the file after r commits
      auto next = states.back();
      apply_round(next.data(), next.size(), seed, states.size(), nullptr);
      states.push_back(std::move(next));
    }
    auto got = read_file(path);
    bool ok = got == states[acknowledged] || got == states[acknowledged + 1];
    if (ok && got != states[acknowledged]) ++recovered_new;
    if (!ok) ++violations;
    EXPECT_TRUE(ok) << "seed " << seed << " kill " << i << " after " << delay << " us, acknowledged "
                    << acknowledged << ": file is neither that commit nor the next";
    std::remove(log_path_of(path).c_str());  // named by the file: first
    std::remove(path.c_str());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  printf("kill summary (%s backend): kills: %d, violations: %d, recovered to the in-flight commit: "
         "%d, seed %llu, time %.1f s\n", medium_name(GetParam()), kills, violations, recovered_new,
         (unsigned long long)seed, secs);
}

// The same with file size changes (crash_child resize): a growth is undone unless its commit
// passed its commit point; a shrink is durable at once. So after a kill with K acknowledged
// commits the file is commit K, commit K cut to round K+1's smaller size, or commit K+1 — and
// never longer than the last commit that reached its commit point.
TEST_P(CrashPointTest, ResizeKillsRecoverToAcknowledgedOrNext) {
  const uint64_t seed = 20261122;
  const int kills = kill_count(GetParam());
  auto started = std::chrono::steady_clock::now();
  int violations = 0, recovered_new = 0, recovered_cut = 0;
  std::mt19937_64 rng(seed);
  auto initial = pattern(30011, seed);
  std::vector<std::vector<uint8_t>> states{initial};  // states[r] = after r commits
  for (int i = 0; i < kills; ++i) {
    std::string path = dir_.file("resize-kill-" + std::to_string(i));
    uint64_t acknowledged = 0;
    long delay = 0;
    ASSERT_TRUE(kill_and_recover("resize", path, initial, seed, rng, &acknowledged, &delay))
        << "seed " << seed << " kill " << i;
    while (states.size() < acknowledged + 2) {
      auto next = states.back();
      next.resize(resize_round_size(initial.size(), seed, states.size()), 0);
      apply_round(next.data(), next.size(), seed, states.size(), nullptr);
      states.push_back(std::move(next));
    }
    const auto &done = states[acknowledged];
    std::vector<uint8_t> cut(done.begin(),
                             done.begin() + std::min(done.size(), states[acknowledged + 1].size()));
    auto got = read_file(path);
    bool ok = got == done || got == cut || got == states[acknowledged + 1];
    if (ok && got == states[acknowledged + 1] && got != done) ++recovered_new;
    else if (ok && got != done) ++recovered_cut;
    if (!ok) ++violations;
    EXPECT_TRUE(ok) << "seed " << seed << " kill " << i << " after " << delay << " us, acknowledged "
                    << acknowledged << ": file (" << got.size() << " bytes) is neither that "
                    << "commit (" << done.size() << " bytes), nor it cut, nor the next ("
                    << states[acknowledged + 1].size() << " bytes)";
    std::remove(log_path_of(path).c_str());  // named by the file: first
    std::remove(path.c_str());
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - started).count();
  printf("resize kill summary (%s backend): kills: %d, violations: %d, recovered to the in-flight "
         "commit: %d, to a durable shrink: %d, seed %llu, time %.1f s\n", medium_name(GetParam()),
         kills, violations, recovered_new, recovered_cut, (unsigned long long)seed, secs);
}

INSTANTIATE_TEST_SUITE_P(Backends, CrashPointTest,
                         ::testing::Values(Medium::shm_pmem, Medium::disk_file,
                                           Medium::shm_pmem_undo),
                         [](const auto &info) { return std::string(medium_name(info.param)); });

}  // namespace
