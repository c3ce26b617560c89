// quick_compare.cpp — one failure-atomic update of K random 8-byte words, four ways, side by side:
//   famsync  (pmem backend, file on /dev/shm, forced)   vs  PMDK libpmemobj transaction (same)
//   famsync  (file backend, ext4)                       vs  plain msync(MS_SYNC) (ext4, NOT atomic)
// Every page is written once before timing (page faults are not what is compared).
// Prints medians (µs per update) and the ratios. Usage: quick_compare [SHM_DIR DISK_DIR] [--quick]
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

template <typename Update>
double time_updates(int trials, size_t k, Update update) {
  std::mt19937_64 rng(1);
  std::vector<size_t> idx(k);
  std::vector<double> us;
  for (int t = 0; t < trials + 5; ++t) {
    for (auto &i : idx) i = rng() % kWords;
    auto t0 = Clock::now();
    update(idx, static_cast<uint64_t>(t));
    double d = std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
    if (t >= 5) us.push_back(d);
  }
  return median(us);
}

double famsync_update(const std::string &dir, unsigned flags, size_t k, int trials) {
  std::string path = dir + "/quick_compare.famsync";
  make_file(path);
  fams_region *r = nullptr;
  if (int rc = fams_map(path.c_str(), flags, &r)) {
    fprintf(stderr, "fams_map: %s\n", fams_last_error_message());
    exit(1);
  }
  auto *words = static_cast<uint64_t *>(fams_region_addr(r));
  // Warm-up, as for the others: the first write to each page of a working copy takes a
  // copy-on-write fault (measured separately by commit_latency's "store" column).
  for (size_t w = 0; w < kWords; w += 512) {
    fams_will_write(&words[w], 8);
    words[w] = 0;
  }
  if (fams_msync(r) != 0) abort();
  double m = time_updates(trials, k, [&](const std::vector<size_t> &idx, uint64_t v) {
    for (size_t i : idx) {
      fams_will_write(&words[i], 8);
      words[i] = v;
    }
    if (fams_msync(r) != 0) abort();
  });
  fams_unmap(r);
  unlink(path.c_str());
  return m;
}

double pmdk_update(const std::string &dir, size_t k, int trials) {
  std::string path = dir + "/quick_compare.pmdk";
  unlink(path.c_str());
  PMEMobjpool *pop = pmemobj_create(path.c_str(), "quick_compare", kFileSize + (8 << 20), 0644);
  if (pop == nullptr) {
    fprintf(stderr, "pmemobj_create: %s\n", pmemobj_errormsg());
    exit(1);
  }
  PMEMoid root = pmemobj_root(pop, kWords * 8);
  auto *words = static_cast<uint64_t *>(pmemobj_direct(root));
  for (size_t w = 0; w < kWords; w += 512) words[w] = 0;  // warm-up: fault every page in
  pmemobj_persist(pop, words, kWords * 8);
  double m = time_updates(trials, k, [&](const std::vector<size_t> &idx, uint64_t v) {
    if (pmemobj_tx_begin(pop, nullptr, TX_PARAM_NONE) != 0) abort();
    for (size_t i : idx) {
      pmemobj_tx_add_range_direct(&words[i], 8);
      words[i] = v;
    }
    pmemobj_tx_commit();
    if (pmemobj_tx_end() != 0) abort();
  });
  pmemobj_close(pop);
  unlink(path.c_str());
  return m;
}

double msync_update(const std::string &dir, size_t k, int trials) {
  std::string path = dir + "/quick_compare.msync";
  make_file(path);
  int fd = open(path.c_str(), O_RDWR);
  auto *words = static_cast<uint64_t *>(
      mmap(nullptr, kFileSize, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0));
  close(fd);
  for (size_t w = 0; w < kWords; w += 512) words[w] = 0;  // warm-up: fault every page in
  msync(words, kFileSize, MS_SYNC);
  double m = time_updates(trials, k, [&](const std::vector<size_t> &idx, uint64_t v) {
    for (size_t i : idx) words[i] = v;
    if (msync(words, kFileSize, MS_SYNC) != 0) abort();
  });
  munmap(words, kFileSize);
  unlink(path.c_str());
  return m;
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
  int fast = quick ? 300 : 3000, slow = quick ? 30 : 200;
  printf("One failure-atomic update of K random 8-byte words in a 16 MiB file (median us/update)\n");
  printf("%-4s | %9s %9s %8s | %10s %10s %8s\n", "K", "famsync", "PMDK tx", "speedup",
         "famsync", "msync", "ratio");
  printf("%-4s | %28s | %30s\n", "", "pmem emulated on /dev/shm", "ext4 file (msync NOT atomic)");
  for (size_t k : {1, 8, 64}) {
    double fp = famsync_update(shm, FAMS_MAP_FORCE_PMEM, k, fast);
    double pm = pmdk_update(shm, k, fast);
    double ff = famsync_update(disk, FAMS_MAP_FORCE_FILE, k, slow);
    double ms = msync_update(disk, k, slow);
    printf("%-4zu | %9.2f %9.2f %7.2fx | %10.1f %10.1f %7.2fx\n", k, fp, pm, pm / fp, ff, ms,
           ms / ff);
  }
  printf("speedup = PMDK/famsync (>1: famsync faster); ratio = msync/famsync (>1: famsync faster)\n");
  return 0;
}
