// group_commit.cpp — commits/s and flushes per commit call with 1, 2 and 4 threads committing the
// same mapping (issue 14, item 6), file backend on an ordinary file system.
//
// Each thread loops: write one 8-byte word on its own page (fams_will_write + store), fams_msync.
// Reported per thread count: commit calls/s, commits that ran (fams_stats commits; each is one
// fdatasync of the log on the critical path, plus checkpoints), calls served by another thread's
// commit (joined_commits), and flushes per call. Medians over reps.
// Usage: group_commit [DIR] [--seconds=S] [--reps=R]
#include <famsync/famsync.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

namespace {

struct Result {
  double calls_per_s;
  double flushes_per_call;  // (commits + checkpoints) / calls
  double joined_share;      // joined_commits / calls
};

Result run(const std::string &path, int threads, double seconds) {
  {
    std::vector<char> zeros(64 * 4096, 0);
    int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
    if (fd < 0 || write(fd, zeros.data(), zeros.size()) != static_cast<ssize_t>(zeros.size()) ||
        fsync(fd) != 0) {
      perror(path.c_str());
      exit(1);
    }
    close(fd);
  }
  fams_region *r = nullptr;
  if (fams_map(path.c_str(), FAMS_MAP_FORCE_FILE, &r) != 0) {
    fprintf(stderr, "fams_map: %s\n", fams_last_error_message());
    exit(1);
  }
  auto *words = static_cast<uint64_t *>(fams_region_addr(r));
  std::atomic<bool> stop{false};
  std::atomic<uint64_t> calls{0};
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t)
    pool.emplace_back([&, t] {
      uint64_t *mine = &words[t * 512];
      for (uint64_t v = 1; !stop.load(std::memory_order_relaxed); ++v) {
        fams_will_write(mine, 8);
        __atomic_store_n(mine, v, __ATOMIC_RELAXED);
        if (fams_msync(r) != 0) {
          fprintf(stderr, "fams_msync: %s\n", fams_last_error_message());
          exit(1);
        }
        calls.fetch_add(1, std::memory_order_relaxed);
      }
    });
  auto t0 = std::chrono::steady_clock::now();
  std::this_thread::sleep_for(std::chrono::duration<double>(seconds));
  stop = true;
  for (auto &t : pool) t.join();
  double elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  fams_stat_counters s{};
  fams_stats(r, &s);
  fams_unmap(r);
  unlink(path.c_str());
  double n = static_cast<double>(calls.load());
  return {n / elapsed, static_cast<double>(s.commits + s.checkpoints) / n,
          static_cast<double>(s.joined_commits) / n};
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char **argv) {
  std::string dir = "/var/tmp";
  double seconds = 1.0;
  int reps = 3;
  for (int i = 1; i < argc; ++i) {
    if (strncmp(argv[i], "--seconds=", 10) == 0) seconds = atof(argv[i] + 10);
    else if (strncmp(argv[i], "--reps=", 7) == 0) reps = atoi(argv[i] + 7);
    else if (argv[i][0] != '-') dir = argv[i];
    else {
      fprintf(stderr, "usage: group_commit [DIR] [--seconds=S] [--reps=R]\n");
      return 64;
    }
  }
  std::string path = dir + "/famsync-group-commit.dat";
  printf("group commit: threads each write one word on their own page and fams_msync, file backend "
         "on %s; medians of %d reps of %.1f s\n", dir.c_str(), reps, seconds);
  printf("%-8s %12s %12s %16s %14s\n", "threads", "calls/s", "vs 1 thread", "flushes/call",
         "joined share");
  double base = 0;
  for (int threads : {1, 2, 4}) {
    std::vector<double> rate, flushes, joined;
    for (int rep = 0; rep < reps; ++rep) {
      Result r = run(path, threads, seconds);
      rate.push_back(r.calls_per_s);
      flushes.push_back(r.flushes_per_call);
      joined.push_back(r.joined_share);
    }
    double m = median(rate);
    if (threads == 1) base = m;
    printf("%-8d %12.0f %11.2fx %16.3f %14.3f\n", threads, m, m / base, median(flushes),
           median(joined));
  }
  return 0;
}
