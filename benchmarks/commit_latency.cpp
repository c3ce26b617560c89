// commit_latency.cpp — commit latency vs number of dirty lines, next to the physical floor.
//
// For N dirty 64-byte lines (scattered one per 4 KiB page, the worst case for coalescing, and
// contiguous), measures on the pmem backend (file on /dev/shm, pmem path forced):
//   store   = the first-write logging cost of dirtying N lines (fams_will_write + store)
//   commit  = fams_msync() alone
//   floor   = what any failure-atomic scheme must pay, measured in the same run on the same
//             kind of memory: N·64 B copied with explicit NT stores (one 64-byte movntdq zmm
//             per line, no library dispatch) + sfence, then one 8-byte commit word + clwb +
//             sfence: 2 drains (data before commit record, commit record durable)
// and prints medians and the ratio commit/floor. Usage: commit_latency [DIR] [--quick]
#include <famsync/famsync.h>

#include <libpmem.h>

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

// N lines from SRC to DST (both 64-byte aligned) with one non-temporal 64-byte store each.
[[gnu::target("avx512f")]] void nt_copy_lines(char *dst, const char *src, size_t n) {
  for (size_t i = 0; i < n; ++i)
    _mm512_stream_si512(reinterpret_cast<__m512i *>(dst + i * 64),
                        _mm512_load_si512(reinterpret_cast<const __m512i *>(src + i * 64)));
}

double us_since(Clock::time_point t0) {
  return std::chrono::duration<double, std::micro>(Clock::now() - t0).count();
}

void make_file(const std::string &path, size_t size) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0 || posix_fallocate(fd, 0, static_cast<off_t>(size)) != 0) {
    perror(path.c_str());
    exit(1);
  }
  close(fd);
}

struct Row {
  double store_us, commit_us, floor_us;
};

Row measure(const std::string &dir, size_t n, bool scattered, int trials) {
  const size_t stride = scattered ? 4096 : 64;
  const size_t size = std::max<size_t>(n * stride, 4096);
  std::string path = dir + "/commit_latency.data";
  make_file(path, size);
  fams_region *r = nullptr;
  if (int rc = fams_map(path.c_str(), FAMS_MAP_FORCE_PMEM, &r)) {
    fprintf(stderr, "fams_map: %s (%s)\n", fams_strerror(rc), fams_last_error_message());
    exit(1);
  }
  auto *base = static_cast<char *>(fams_region_addr(r));

  // The floor's target: a separate pmem mapping of the same size, and a DRAM source.
  std::string floor_path = dir + "/commit_latency.floor";
  make_file(floor_path, size + 4096);
  size_t mapped = 0;
  int is_pmem = 0;
  auto *floor_dst = static_cast<char *>(pmem_map_file(floor_path.c_str(), 0, 0, 0, &mapped, &is_pmem));
  auto *src_mem = static_cast<char *>(aligned_alloc(64, n * 64));
  memset(src_mem, 'x', n * 64);
  struct Src {
    char *p;
    char *data() { return p; }
  } src{src_mem};

  std::vector<double> store, commit, floor;
  for (int t = 0; t < trials + 2; ++t) {  // 2 warm-up trials
    auto t0 = Clock::now();
    for (size_t i = 0; i < n; ++i) {
      char *p = base + i * stride;
      fams_will_write(p, 8);
      *reinterpret_cast<volatile uint64_t *>(p) = t * 1000003ull + i;
    }
    double s = us_since(t0);
    t0 = Clock::now();
    if (int rc = fams_msync(r)) {
      fprintf(stderr, "fams_msync: %s\n", fams_strerror(rc));
      exit(1);
    }
    double c = us_since(t0);
    t0 = Clock::now();
    nt_copy_lines(floor_dst + 4096, src.data(), n);
    _mm_sfence();
    *reinterpret_cast<volatile uint64_t *>(floor_dst) = t;
    _mm_clwb(floor_dst);
    _mm_sfence();
    double f = us_since(t0);
    if (t >= 2) store.push_back(s), commit.push_back(c), floor.push_back(f);
  }
  fams_unmap(r);
  pmem_unmap(floor_dst, mapped);
  unlink(path.c_str());
  unlink(floor_path.c_str());
  free(src_mem);
  return {median(store), median(commit), median(floor)};
}

}  // namespace

int main(int argc, char **argv) {
  std::string dir = "/dev/shm";
  bool quick = false;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--quick") == 0) quick = true;
    else dir = argv[i];
  }
  printf("famsync commit latency, pmem backend forced on %s (medians; floor = N*64 B NT copy + 2 drains, same run)\n",
         dir.c_str());
  printf("%-10s %-9s %12s %12s %12s %10s\n", "layout", "N lines", "store us", "commit us",
         "floor us", "commit/floor");
  std::vector<size_t> sizes = quick ? std::vector<size_t>{1, 64, 4096}
                                    : std::vector<size_t>{1, 8, 64, 512, 4096, 16384};
  for (bool scattered : {true, false}) {
    for (size_t n : sizes) {
      int trials = n <= 64 ? (quick ? 300 : 2000) : (n <= 4096 ? (quick ? 40 : 200) : 30);
      Row row = measure(dir, n, scattered, trials);
      printf("%-10s %-9zu %12.2f %12.2f %12.2f %10.2fx\n", scattered ? "scattered" : "contiguous",
             n, row.store_us, row.commit_us, row.floor_us, row.commit_us / row.floor_us);
    }
  }
  return 0;
}
