// quick_compare.cpp — one failure-atomic update of K random 8-byte words, four ways, side by side:
//   famsync  (pmem backend, file on /dev/shm, forced)   vs  PMDK libpmemobj transaction (same)
//   famsync  (file backend, ext4)                       vs  plain msync(MS_SYNC) (ext4, NOT atomic)
// Every page is written once before timing (page faults are not what is compared); the two of a
// pair are timed in alternation, round by round, with the same words.
// Prints medians (µs per update) and the medians of the per-round ratios. Usage: quick_compare [SHM_DIR DISK_DIR] [--quick]
#include <famsync/famsync.h>

#include <libpmemobj.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
constexpr size_t kFileSize = 16 << 20;
constexpr size_t kWords = kFileSize / 8 - 1024;  // leave room for pmemobj's own metadata

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

void make_file(const std::string &path) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || posix_fallocate(fd, 0, kFileSize) != 0) {
    perror(path.c_str());
    exit(1);
  }
  close(fd);
}

// One way of updating K words: set up (map, fault every page in), update, tear down.
struct Way {
  Way() = default;
  Way(const Way &) = delete;  // each owns a mapping or a pool, released once
  Way &operator=(const Way &) = delete;
  virtual ~Way() = default;
  virtual void update(const std::vector<size_t> &idx, uint64_t v) = 0;
};

class FamsyncWay : public Way {
 public:
  FamsyncWay(const std::string &dir, unsigned flags) : path_(dir + "/quick_compare.famsync") {
    make_file(path_);
    if (fams_map(path_.c_str(), flags, &region_) != 0) {
      fprintf(stderr, "fams_map %s: %s\n", path_.c_str(), fams_last_error_message());
      exit(1);
    }
    words_ = static_cast<uint64_t *>(fams_region_addr(region_));
    // Warm-up, as for the others: the first write to each page of a working copy takes a
    // copy-on-write fault (measured separately by commit_latency's "store" column).
    for (size_t w = 0; w < kWords; w += 512) {
      fams_will_write(&words_[w], 8);
      words_[w] = 0;
    }
    if (fams_msync(region_) != 0) abort();
  }
  ~FamsyncWay() override {
    fams_unmap(region_);
    unlink(path_.c_str());
  }
  void update(const std::vector<size_t> &idx, uint64_t v) override {
    for (size_t i : idx) {
      fams_will_write(&words_[i], 8);
      words_[i] = v;
    }
    if (fams_msync(region_) != 0) abort();
  }

 private:
  std::string path_;
  fams_region *region_ = nullptr;
  uint64_t *words_ = nullptr;
};

class PmdkWay : public Way {
 public:
  explicit PmdkWay(const std::string &dir) : path_(dir + "/quick_compare.pmdk") {
    unlink(path_.c_str());
    pop_ = pmemobj_create(path_.c_str(), "quick_compare", kFileSize + (8 << 20), 0644);
    if (pop_ == nullptr) {
      fprintf(stderr, "pmemobj_create: %s\n", pmemobj_errormsg());
      exit(1);
    }
    words_ = static_cast<uint64_t *>(pmemobj_direct(pmemobj_root(pop_, kWords * 8)));
    for (size_t w = 0; w < kWords; w += 512) words_[w] = 0;  // warm-up: fault every page in
    pmemobj_persist(pop_, words_, kWords * 8);
  }
  ~PmdkWay() override {
    pmemobj_close(pop_);
    unlink(path_.c_str());
  }
  void update(const std::vector<size_t> &idx, uint64_t v) override {
    if (pmemobj_tx_begin(pop_, nullptr, TX_PARAM_NONE) != 0) abort();
    for (size_t i : idx) {
      pmemobj_tx_add_range_direct(&words_[i], 8);
      words_[i] = v;
    }
    pmemobj_tx_commit();
    if (pmemobj_tx_end() != 0) abort();
  }

 private:
  std::string path_;
  PMEMobjpool *pop_ = nullptr;
  uint64_t *words_ = nullptr;
};

class MsyncWay : public Way {
 public:
  explicit MsyncWay(const std::string &dir) : path_(dir + "/quick_compare.msync") {
    make_file(path_);
    int fd = open(path_.c_str(), O_RDWR);
    void *p = mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    close(fd);
    if (p == MAP_FAILED) {
      perror("mmap");
      exit(1);
    }
    words_ = static_cast<uint64_t *>(p);
    for (size_t w = 0; w < kWords; w += 512) words_[w] = 0;  // warm-up: fault every page in
    msync(words_, kFileSize, MS_SYNC);
  }
  ~MsyncWay() override {
    munmap(words_, kFileSize);
    unlink(path_.c_str());
  }
  void update(const std::vector<size_t> &idx, uint64_t v) override {
    for (size_t i : idx) words_[i] = v;
    if (msync(words_, kFileSize, MS_SYNC) != 0) abort();
  }

 private:
  std::string path_;
  uint64_t *words_ = nullptr;
};

// Medians (µs per update) of two ways timed in alternation, the same random words for both in
// each round, and the median of the per-round ratios b/a. Interleaved because the disk's latency
// drifts over seconds on these VMs: timed one after the other, the ext4 K = 1 ratio of a quick
// run swung between 0.48x and 1.80x from one run to the next.
struct PairResult {
  double a_us, b_us, ratio;
};
PairResult time_pair(int trials, size_t k, Way &a, Way &b) {
  std::mt19937_64 rng(1);
  std::vector<size_t> idx(k);
  std::vector<double> a_us, b_us, ratios;
  auto time_one = [&](Way &w, uint64_t v) {
    auto t0 = Clock::now();
    w.update(idx, v);
    return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
  };
  for (int t = 0; t < trials + 5; ++t) {
    for (auto &i : idx) i = rng() % kWords;
    // Alternate which goes first, so neither always finds the disk's queue just drained.
    double da, db;
    if (t % 2 == 0) {
      da = time_one(a, t);
      db = time_one(b, t);
    } else {
      db = time_one(b, t);
      da = time_one(a, t);
    }
    if (t < 5) continue;  // warm-up rounds
    a_us.push_back(da);
    b_us.push_back(db);
    ratios.push_back(db / da);
  }
  return {median(a_us), median(b_us), median(ratios)};
}

}  // namespace

int main(int argc, char **argv) {
  std::string shm = "/dev/shm", disk = "/var/tmp";
  bool quick = false;
  std::vector<std::string> dirs;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--quick") == 0) quick = true;
    else dirs.push_back(argv[i]);
  }
  if (dirs.size() == 2) shm = dirs[0], disk = dirs[1];
  setenv("PMEM_IS_PMEM_FORCE", "1", 1);  // nothing here is real pmem: force both onto that path
  int fast = quick ? 300 : 3000, slow = quick ? 60 : 200;
  printf("One failure-atomic update of K random 8-byte words in a 16 MiB file (median us/update)\n");
  printf("%-4s | %9s %9s %8s | %10s %10s %8s\n", "K", "famsync", "PMDK tx", "speedup",
         "famsync", "msync", "ratio");
  printf("%-4s | %28s | %30s\n", "", "pmem emulated on /dev/shm", "ext4 file (msync NOT atomic)");
  for (size_t k : {1, 8, 64}) {
    PairResult pmem, file;
    {
      FamsyncWay famsync(shm, FAMS_MAP_FORCE_PMEM);
      PmdkWay pmdk(shm);
      pmem = time_pair(fast, k, famsync, pmdk);
    }
    {
      FamsyncWay famsync(disk, FAMS_MAP_FORCE_FILE);
      MsyncWay plain(disk);
      file = time_pair(slow, k, famsync, plain);
    }
    printf("%-4zu | %9.2f %9.2f %7.2fx | %10.1f %10.1f %7.2fx\n", k, pmem.a_us, pmem.b_us,
           pmem.ratio, file.a_us, file.b_us, file.ratio);
  }
  printf("speedup = PMDK/famsync, ratio = msync/famsync: medians of per-round ratios, the two\n"
         "timed in alternation (>1: famsync faster)\n");
  return 0;
}
