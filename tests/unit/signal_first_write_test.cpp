// signal_first_write_test.cpp — first writes interrupted by a signal handler's first writes, in a
// process that has one thread (the store path's solo fast path, region_epoch.cpp).
//
// While a process has one thread, a first write takes its log slot with a read-modify-write that
// has no lock prefix; what can interrupt it is a signal handler on the same thread. The fast path
// loads the next slot, then claims the line, then takes the slot with a compare-exchange: a handler
// that takes slots in between makes that compare-exchange fail, and the line must then be listed
// by the general path. If it were not (a slot taken twice, a line never listed), that line's new
// bytes would never be committed: after a final commit the file would differ from the working
// copy. A SIGALRM every 20 us writes its own lines (disjoint from the main loop's: a handler that
// waited for a line its interrupted thread had claimed would wait forever) while the main loop
// first-writes 512 lines per round; commits run with the signal blocked (a handler must not write
// while its own thread commits, DESIGN.md §6).
//
// The scenario runs in a freshly exec'd copy of this binary: glibc keeps __libc_single_threaded
// false for good once a thread has existed, so a forked gtest process (whose earlier tests made
// threads) would only exercise the general path.
#include "../test_util.hpp"

#include <famsync/famsync.h>

#include <gtest/gtest.h>

#include <cerrno>
#include <csignal>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/single_threaded.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <unistd.h>
#include <vector>

using namespace famsync::test;

namespace {

constexpr size_t kLines = 1024;  // 64 KiB
constexpr size_t kMainLines = 512;
constexpr size_t kHandlerLines = 256;  // lines kMainLines .. kMainLines + kHandlerLines - 1
constexpr int kRounds = 400;
constexpr const char *kChildEnv = "FAMSYNC_TEST_SIGNAL_CHILD";

uint64_t *g_words = nullptr;
volatile sig_atomic_t g_handled = 0;
int g_handler_errors = 0;

void first_write_in_handler(int) {
  uint64_t k = static_cast<uint64_t>(g_handled) + 1;
  g_handled = static_cast<sig_atomic_t>(k);
  // A different line most times, so that most of these writes are first writes.
  uint64_t *w = &g_words[(kMainLines + (k * 7) % kHandlerLines) * 8];
  if (fams_will_write(w, sizeof *w) != 0) ++g_handler_errors;
  *w = k;
}

// The child's scenario; returns 0 when the file equals the working copy after the last commit.
int run_scenario(const char *path, const char *medium) {
  if (!__libc_single_threaded) {
    fprintf(stderr, "the exec'd child is not single-threaded: the solo path is not tested\n");
    return 3;
  }
  fams_region *r = nullptr;
  unsigned flags = strcmp(medium, "file") == 0 ? FAMS_MAP_FORCE_FILE : FAMS_MAP_FORCE_PMEM;
  if (fams_map(path, flags, &r) != 0) {
    fprintf(stderr, "fams_map: %s\n", fams_last_error_message());
    return 1;
  }
  g_words = static_cast<uint64_t *>(fams_region_addr(r));
  struct sigaction sa{};
  sa.sa_handler = first_write_in_handler;
  sa.sa_flags = SA_RESTART;
  sigemptyset(&sa.sa_mask);
  sigaction(SIGALRM, &sa, nullptr);
  sigset_t alarm_only;
  sigemptyset(&alarm_only);
  sigaddset(&alarm_only, SIGALRM);
  itimerval every{{0, 20}, {0, 20}};
  setitimer(ITIMER_REAL, &every, nullptr);
  int failures = 0;
  for (int round = 1; round <= kRounds; ++round) {
    for (size_t line = 0; line < kMainLines; ++line) {
      uint64_t *w = &g_words[line * 8 + round % 8];
      if (fams_will_write(w, sizeof *w) != 0) ++failures;
      *w = static_cast<uint64_t>(round) << 32 | line;
    }
    sigprocmask(SIG_BLOCK, &alarm_only, nullptr);
    if (fams_msync(r) != 0) {
      fprintf(stderr, "round %d: fams_msync: %s\n", round, fams_last_error_message());
      ++failures;
    }
    sigprocmask(SIG_UNBLOCK, &alarm_only, nullptr);
  }
  itimerval off{};
  setitimer(ITIMER_REAL, &off, nullptr);
  sigprocmask(SIG_BLOCK, &alarm_only, nullptr);
  if (fams_msync(r) != 0) ++failures;
  std::vector<uint64_t> file(kLines * 8);
  int fd = open(path, O_RDONLY);
  bool read_ok = fd >= 0 && pread(fd, file.data(), kLines * 64, 0) == ssize_t(kLines * 64);
  if (fd >= 0) close(fd);
  size_t differ = 0, first = kLines;
  for (size_t i = 0; read_ok && i < kLines * 8; ++i)
    if (file[i] != g_words[i]) ++differ, first = std::min(first, i / 8);
  if (!read_ok || differ != 0) {
    fprintf(stderr, "%s: %zu words differ between file and working copy (first in line %zu)\n",
            medium, differ, first);
    ++failures;
  }
  // The race must really have happened: thousands of handler first writes.
  if (g_handled < 1000) {
    fprintf(stderr, "%s: only %d signals handled\n", medium, static_cast<int>(g_handled));
    ++failures;
  }
  if (g_handler_errors != 0) {
    fprintf(stderr, "%s: %d fams_will_write calls failed in the handler\n", medium,
            g_handler_errors);
    ++failures;
  }
  if (fams_unmap(r) != 0) ++failures;
  fprintf(stderr, "%s: %d signals handled, %zu words differ\n", medium,
          static_cast<int>(g_handled), differ);
  return failures == 0 ? 0 : 1;
}

void run_in_fresh_process(Medium m) {
  TempDir dir(m);
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(kLines * 64, 0));
  std::string child_env = std::string(kChildEnv) + "=" + path;
  std::string medium_env = std::string("FAMSYNC_TEST_SIGNAL_MEDIUM=") + backend_name(m);
  pid_t pid = fork();
  if (pid == 0) {
    alarm(60);  // a hang (a handler waiting for a line nobody logs) kills the child
    // Only what the scenario needs: no FAMSYNC_* of the parent's run (a tiny log would send
    // first writes to the overflow list, whose mutex a handler must not take).
    char *argv[] = {const_cast<char *>("/proc/self/exe"),
                    const_cast<char *>("--gtest_filter=SignalFirstWrite.*"), nullptr};
    // The sanitizers' options pass through (a UBSan report must still halt the child).
    std::vector<char *> envp{child_env.data(), medium_env.data()};
    for (char **e = environ; *e != nullptr; ++e)
      for (const char *prefix : {"ASAN_OPTIONS=", "UBSAN_OPTIONS=", "LSAN_OPTIONS="})
        if (strncmp(*e, prefix, strlen(prefix)) == 0) envp.push_back(*e);
    envp.push_back(nullptr);
    execve("/proc/self/exe", argv, envp.data());
    _exit(127);
  }
  ASSERT_GT(pid, 0);
  int status = 0;
  ASSERT_EQ(waitpid(pid, &status, 0), pid);
  EXPECT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0)
      << medium_name(m) << ": child status " << status << " (see its stderr)";
}

// In the exec'd child the test body runs the scenario and exits with its verdict.
void maybe_run_as_child() {
  const char *path = getenv(kChildEnv);
  const char *medium = getenv("FAMSYNC_TEST_SIGNAL_MEDIUM");
  if (path != nullptr && medium != nullptr) _exit(run_scenario(path, medium));
}

#if defined(__SANITIZE_THREAD__)
// TSan's runtime starts a thread of its own: a TSan process is never single-threaded, so the
// path under test cannot run there.
#define SKIP_UNDER_TSAN() GTEST_SKIP() << "never single-threaded under TSan"
#else
#define SKIP_UNDER_TSAN() (void)0
#endif

TEST(SignalFirstWrite, PmemHandlerFirstWritesAreNeverLost) {
  SKIP_UNDER_TSAN();
  maybe_run_as_child();
  run_in_fresh_process(Medium::shm_pmem);
}

TEST(SignalFirstWrite, FileHandlerFirstWritesAreNeverLost) {
  SKIP_UNDER_TSAN();
  maybe_run_as_child();
  run_in_fresh_process(Medium::disk_file);
}

}  // namespace
