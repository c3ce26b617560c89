// commit_latency.cpp — commit latency vs number of dirty lines, next to the physical floors and
// to what users pick instead, all measured in the same run, rep by rep (floors.hpp).
//
// pmem (file on SHM_DIR, pmem backend forced), N dirty 64-byte lines scattered one per 4 KiB
// page and contiguous:
//   store  = first writes: fams_will_write + one 8-byte store per line
//   commit = fams_msync()
//   floor  = N·64 B NT-stored from a DRAM copy of the same layout that was just written, drain,
//            8-byte commit record + flush, drain (floors.hpp)
//   floor2 = the in-place floor: the same lines NT-stored packed into a log, commit record + flush,
//            drain, then NT-stored in place (floors.hpp): what any commit that updates the file
//            in place must do at least (every line crosses the bus twice)
//   bare   = the same stores + a bit set in a bitmap + the line index appended (issue 14 item 2)
// ordinary file (DISK_DIR, file backend forced), N lines scattered one per 4 KiB page:
//   store, commit as above; floor = one pwrite of N·64 B + one fdatasync into a zero-filled
//   fsynced file on the same file system; msync = plain mmap(MAP_SHARED) of a file of the same
//   size, the same stores ("mstore") and msync(MS_SYNC) (not atomic: what users pick instead).
// Every rep dirties the same N lines with new values in each scheme; the order of the schemes
// rotates from rep to rep so none always runs right after another's TLB flushes or I/O. Prints
// medians, fault counts per rep (getrusage) and, for files, the device's write requests, KiB
// written and flushes per rep (medians; they include other processes' I/O).
// Usage: commit_latency [SHM_DIR [DISK_DIR]] [--quick] [--pmem-only|--file-only] [--sizes=N,...]
//                       [--nt-isa=avx512f|avx|sse2]
// (defaults /dev/shm, /var/tmp: the harness's). --quick: fewer reps, well under a minute.
#include "floors.hpp"

#include <famsync/famsync.h>

#include <libpmem.h>

#include <immintrin.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <functional>
#include <numeric>
#include <string>
#include <sys/mman.h>
#include <unistd.h>
#include <vector>

namespace {

using Clock = std::chrono::steady_clock;
using famsync::bench::Counters;
using famsync::bench::CounterSource;

double median(std::vector<double> v) {
  if (v.empty()) return 0;
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

double mean(const std::vector<double> &v) {
  return v.empty() ? 0 : std::accumulate(v.begin(), v.end(), 0.0) / v.size();
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

fams_region *map_or_die(const std::string &path, unsigned flags) {
  fams_region *r = nullptr;
  if (int rc = fams_map(path.c_str(), flags, &r)) {
    fprintf(stderr, "fams_map(%s): %s (%s)\n", path.c_str(), fams_strerror(rc),
            fams_last_error_message());
    exit(1);
  }
  return r;
}

void msync_or_die(fams_region *r) {
  if (int rc = fams_msync(r)) {
    fprintf(stderr, "fams_msync: %s (%s)\n", fams_strerror(rc), fams_last_error_message());
    exit(1);
  }
}

char *alloc_lines(size_t bytes) {
  auto *p = static_cast<char *>(aligned_alloc(4096, (bytes + 4095) / 4096 * 4096));
  if (p == nullptr) abort();
  memset(p, 'x', bytes);  // resident before timing
  return p;
}

// One scheme's samples: time per rep and the counter deltas of the timed part.
struct Samples {
  std::vector<double> us;
  std::vector<double> minflt, majflt, dev_writes, dev_kib, dev_flushes;
  void add(double t, const Counters &d) {
    us.push_back(t);
    minflt.push_back(static_cast<double>(d.minflt));
    majflt.push_back(static_cast<double>(d.majflt));
    dev_writes.push_back(static_cast<double>(d.dev_writes));
    dev_kib.push_back(static_cast<double>(d.dev_sectors) / 2);
    dev_flushes.push_back(static_cast<double>(d.dev_flushes));
  }
};

// Both ends of every interval: MFENCE waits until every earlier store, non-temporal ones
// included, is globally visible (for pmem: in the persistence domain), and LFENCE keeps the
// clock read after it. Without them the clock read at the end runs ahead of the stores still
// draining behind an SFENCE (RDTSC is not ordered after SFENCE), and an interval of a few
// stores + SFENCE measured only their dispatch: the old floor of 0.03-0.06 us whatever N.
inline void settle() {
  _mm_mfence();
  _mm_lfence();
}

// Times F between two counter reads (the reads are outside the interval).
template <typename F>
void timed(const CounterSource &cs, Samples &s, bool keep, F &&f) {
  Counters c0 = cs.read();
  settle();
  auto t0 = Clock::now();
  f();
  settle();
  double t = us_since(t0);
  Counters c1 = cs.read();
  if (keep) s.add(t, c1 - c0);
}

// Median of an empty interval, fences and clock reads included: what every interval includes.
double timer_overhead_us() {
  std::vector<double> v;
  for (int i = 0; i < 10001; ++i) {
    settle();
    auto t0 = Clock::now();
    settle();
    v.push_back(us_since(t0));
  }
  return median(v);
}

// Runs the schemes of one rep, starting at a different one each rep.
void rotate_run(int rep, const std::vector<std::function<void()>> &schemes) {
  for (size_t k = 0; k < schemes.size(); ++k) schemes[(k + rep) % schemes.size()]();
}

// ---- pmem ------------------------------------------------------------------------------------

struct PmemRow {
  Samples store, commit, floor, floor2, bare;
};

PmemRow measure_pmem(const std::string &dir, size_t n, bool scattered, int trials) {
  const size_t stride = scattered ? 4096 : 64;
  const size_t size = std::max<size_t>(n * stride, 4096);
  const CounterSource cs("");  // faults only: the medium is memory
  std::string path = dir + "/commit_latency.data";
  make_file(path, size);
  fams_region *r = map_or_die(path, FAMS_MAP_FORCE_PMEM);
  auto *base = static_cast<char *>(fams_region_addr(r));

  // The floor's destination: a pmem mapping of the same size and layout on the same medium; its
  // commit record sits in a second mapping (famsync's is in its log file).
  std::string floor_path = dir + "/commit_latency.floor", rec_path = dir + "/commit_latency.rec";
  std::string log_path = dir + "/commit_latency.floorlog", dst2_path = dir + "/commit_latency.floor2";
  const size_t log_size = std::max<size_t>(n * 64, 4096);
  make_file(floor_path, size);
  make_file(dst2_path, size);
  make_file(log_path, log_size);
  make_file(rec_path, 4096);
  size_t mapped = 0, rec_mapped = 0;
  int is_pmem = 0;
  auto *floor_dst =
      static_cast<char *>(pmem_map_file(floor_path.c_str(), 0, 0, 0, &mapped, &is_pmem));
  auto *rec =
      static_cast<uint64_t *>(pmem_map_file(rec_path.c_str(), 0, 0, 0, &rec_mapped, &is_pmem));
  size_t log_mapped = 0, dst2_mapped = 0;
  auto *floor_log =
      static_cast<char *>(pmem_map_file(log_path.c_str(), 0, 0, 0, &log_mapped, &is_pmem));
  auto *floor2_dst =
      static_cast<char *>(pmem_map_file(dst2_path.c_str(), 0, 0, 0, &dst2_mapped, &is_pmem));
  if (floor_dst == nullptr || rec == nullptr || floor_log == nullptr || floor2_dst == nullptr) {
    perror("pmem_map_file");
    exit(1);
  }
  memset(floor_dst, 0, size);  // pages present, as famsync's data file's after the warm-up
  memset(floor2_dst, 0, size);
  memset(floor_log, 0, log_size);
  // The DRAM copy the floor writes back (the working copy's role) and the bare loop dirties.
  char *src = alloc_lines(size);
  famsync::bench::BareTracker bare(size / 64);

  PmemRow row;
  const int warmup = 2;
  for (int t = 0; t < trials + warmup; ++t) {
    const bool keep = t >= warmup;
    const uint64_t v = t * 1000003ull;
    rotate_run(t, {[&] {
                     timed(cs, row.store, keep, [&] {
                       for (size_t i = 0; i < n; ++i) {
                         char *p = base + i * stride;
                         fams_will_write(p, 8);
                         *reinterpret_cast<volatile uint64_t *>(p) = v + i;
                       }
                     });
                     timed(cs, row.commit, keep, [&] { msync_or_die(r); });
                   },
                   [&] {
                     timed(cs, row.bare, keep, [&] {
                       for (size_t i = 0; i < n; ++i) bare.write(src, i * (stride / 64), v + i);
                     });
                     timed(cs, row.floor, keep,
                           [&] { famsync::bench::pmem_floor(floor_dst, src, n, stride, rec, v); });
                     timed(cs, row.floor2, keep, [&] {
                       famsync::bench::pmem_in_place_floor(floor_log, floor2_dst, src, n, stride,
                                                           rec, v);
                     });
                     bare.clear();  // the commit's bookkeeping, not timed
                   }});
  }
  // The floor really wrote every line (a broken NT-copy variant would make it look cheap).
  for (size_t i = 0; i < n; ++i) {
    if (memcmp(floor_dst + i * stride, src + i * stride, 64) != 0 ||
        memcmp(floor2_dst + i * stride, src + i * stride, 64) != 0 ||
        memcmp(floor_log + i * 64, src + i * stride, 64) != 0) {
      fprintf(stderr, "commit_latency: the %s floor did not copy line %zu\n",
              famsync::bench::nt_isa_name(), i);
      exit(1);
    }
  }
  fams_unmap(r);
  pmem_unmap(floor_dst, mapped);
  pmem_unmap(rec, rec_mapped);
  pmem_unmap(floor_log, log_mapped);
  pmem_unmap(floor2_dst, dst2_mapped);
  unlink(path.c_str());
  unlink(floor_path.c_str());
  unlink(log_path.c_str());
  unlink(dst2_path.c_str());
  unlink(rec_path.c_str());
  free(src);
  return row;
}

// ---- ordinary file ---------------------------------------------------------------------------

struct FileRow {
  Samples store, commit, floor, mstore, msync;
};

FileRow measure_file(const std::string &dir, size_t n, int trials) {
  const size_t stride = 4096;
  const size_t size = std::max<size_t>(n * stride, 4096);
  const CounterSource cs(dir);
  std::string path = dir + "/commit_latency.fdata", mpath = dir + "/commit_latency.mdata",
              fpath = dir + "/commit_latency.floorlog";
  close(famsync::bench::make_written_file(path, size));
  fams_region *r = map_or_die(path, FAMS_MAP_FORCE_FILE);
  auto *base = static_cast<char *>(fams_region_addr(r));

  close(famsync::bench::make_written_file(mpath, size));
  int mfd = open(mpath.c_str(), O_RDWR);
  auto *mbase =
      static_cast<char *>(mmap(nullptr, size, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0));
  if (mfd < 0 || mbase == MAP_FAILED) {
    perror(mpath.c_str());
    exit(1);
  }

  // The floor appends N·64 B per rep to a log-like file, wrapping around (never extending it).
  const size_t rec = n * 64;
  const size_t floor_size = std::max<size_t>(rec * 8, 1 << 20) / 4096 * 4096 + 4096;
  int ffd = famsync::bench::make_written_file(fpath, floor_size);
  char *fbuf = alloc_lines(rec);
  size_t foff = 0;

  FileRow row;
  const int warmup = 2;
  for (int t = 0; t < trials + warmup; ++t) {
    const bool keep = t >= warmup;
    const uint64_t v = t * 1000003ull;
    rotate_run(t, {[&] {
                     timed(cs, row.store, keep, [&] {
                       for (size_t i = 0; i < n; ++i) {
                         char *p = base + i * stride;
                         fams_will_write(p, 8);
                         *reinterpret_cast<volatile uint64_t *>(p) = v + i;
                       }
                     });
                     timed(cs, row.commit, keep, [&] { msync_or_die(r); });
                   },
                   [&] {
                     timed(cs, row.mstore, keep, [&] {
                       for (size_t i = 0; i < n; ++i)
                         *reinterpret_cast<volatile uint64_t *>(mbase + i * stride) = v + i;
                     });
                     timed(cs, row.msync, keep, [&] {
                       if (msync(mbase, size, MS_SYNC) != 0) {
                         perror("msync");
                         exit(1);
                       }
                     });
                   },
                   [&] {
                     for (size_t i = 0; i < n; ++i)  // the new bytes, as the commit has them
                       *reinterpret_cast<uint64_t *>(fbuf + i * 64) = v + i;
                     if (foff + rec > floor_size) foff = 0;
                     timed(cs, row.floor, keep, [&] {
                       famsync::bench::file_floor(ffd, fbuf, rec, static_cast<off_t>(foff));
                     });
                     foff += rec;
                   }});
  }
  fams_unmap(r);
  munmap(mbase, size);
  close(mfd);
  close(ffd);
  unlink(path.c_str());
  unlink(mpath.c_str());
  unlink(fpath.c_str());
  free(fbuf);
  return row;
}

double per_rep(const std::vector<double> &v) { return median(v); }

}  // namespace

int main(int argc, char **argv) {
  std::string shm_dir = "/dev/shm", disk_dir = "/var/tmp";
  bool quick = false, run_pmem = true, run_file = true;
  std::vector<size_t> sizes{1, 8, 64, 512, 4096, 16384};
  int positional = 0;
  for (int i = 1; i < argc; ++i) {
    if (strcmp(argv[i], "--quick") == 0) {
      quick = true;
    } else if (strcmp(argv[i], "--pmem-only") == 0) {
      run_file = false;
    } else if (strcmp(argv[i], "--file-only") == 0) {
      run_pmem = false;
    } else if (strncmp(argv[i], "--sizes=", 8) == 0) {  // e.g. --sizes=1,64 (for perf, strace)
      sizes.clear();
      for (const char *p = argv[i] + 8; *p != '\0';) {
        char *end = nullptr;
        unsigned long long v = strtoull(p, &end, 10);
        if (end == p || v == 0 || v > (1u << 20)) {
          fprintf(stderr, "commit_latency: bad --sizes list %s\n", argv[i] + 8);
          return 2;
        }
        sizes.push_back(v);
        p = *end == ',' ? end + 1 : end;
      }
    } else if (strncmp(argv[i], "--nt-isa=", 9) == 0) {  // compare the NT-store variants
      if (!famsync::bench::force_nt_isa(argv[i] + 9)) {
        fprintf(stderr, "commit_latency: --nt-isa=%s: unknown or not supported here\n",
                argv[i] + 9);
        return 2;
      }
    } else if (argv[i][0] == '-') {
      fprintf(stderr,
              "usage: commit_latency [SHM_DIR [DISK_DIR]] [--quick] [--pmem-only|--file-only] "
              "[--sizes=N,N,...] [--nt-isa=avx512f|avx|sse2]\n");
      return 2;
    } else if (positional++ == 0) {
      shm_dir = argv[i];
    } else {
      disk_dir = argv[i];
    }
  }
  const CounterSource disk_counters(disk_dir);

  printf(
      "famsync commit latency vs dirty lines; floors and alternatives measured in the same run, "
      "rep by rep (medians; us = microseconds)\n");
  printf(
      "cpus %ld; NT stores %s; line write-back %s; timer overhead %.3f us per interval (not "
      "subtracted)\n",
      sysconf(_SC_NPROCESSORS_ONLN), famsync::bench::nt_isa_name(),
      famsync::bench::flush_isa_name(), timer_overhead_us());

  if (run_pmem) {
    printf(
        "\n== pmem backend forced on %s (%s); floor = N*64 B NT stores + drain + 8 B commit record "
        "+ flush + drain; floor2 = in place: N*64 B NT to a log + 8 B record + flush + drain + "
        "N*64 B NT in place; bare = store + bit set + index append ==\n",
        shm_dir.c_str(), famsync::bench::fs_type(shm_dir).c_str());
    printf("%-10s %-9s %10s %10s %10s %12s %14s %10s %13s %10s %10s %9s %9s %9s\n", "layout",
           "N lines", "store us", "commit us", "floor us", "commit/floor", "(st+cm)/floor",
           "floor2 us", "commit/floor2", "bare us", "store/bare", "st flt", "cm flt", "reps");
    for (bool scattered : {true, false}) {
      for (size_t n : sizes) {
        int trials = n <= 64     ? (quick ? 400 : 3000)
                     : n <= 512  ? (quick ? 200 : 1000)
                     : n <= 4096 ? (quick ? 40 : 200)
                                 : (quick ? 15 : 60);
        PmemRow r = measure_pmem(shm_dir, n, scattered, trials);
        double st = median(r.store.us), cm = median(r.commit.us), fl = median(r.floor.us),
               f2 = median(r.floor2.us), ba = median(r.bare.us);
        printf("%-10s %-9zu %10.2f %10.2f %10.3f %11.2fx %13.2fx %10.3f %12.2fx %10.3f %9.2fx "
               "%9.1f %9.1f %9d\n",
               scattered ? "scattered" : "contiguous", n, st, cm, fl, cm / fl, (st + cm) / fl, f2,
               cm / f2, ba, st / ba, per_rep(r.store.minflt) + per_rep(r.store.majflt),
               per_rep(r.commit.minflt) + per_rep(r.commit.majflt), trials);
        fflush(stdout);
      }
    }
  }

  if (run_file) {
    printf(
        "\n== file backend forced on %s (%s, device %s); scattered lines (one per 4 KiB page); "
        "floor = one pwrite of N*64 B + one fdatasync; msync = plain mmap(MAP_SHARED) + "
        "msync(MS_SYNC) of the same lines (not atomic) ==\n",
        disk_dir.c_str(), famsync::bench::fs_type(disk_dir).c_str(),
        disk_counters.has_device() ? disk_counters.device().c_str() : "none");
    printf(
        "%-6s %-7s %9s %9s %9s %9s %9s %10s %9s %9s %9s %9s %7s %7s %7s %8s %8s %8s %6s %6s %6s "
        "%5s\n",
        "scheme", "N", "store us", "commit us", "cm mean", "floor us", "msync us", "mstore us",
        "cm/floor", "(s+c)/fl", "cm/msync", "(s+c)/(ms)", "st flt", "cm flt", "ms flt", "cm KiB",
        "ms KiB", "fl KiB", "cm fls", "ms fls", "fl fls", "reps");
    for (size_t n : sizes) {
      int trials = n <= 64     ? (quick ? 101 : 301)
                   : n <= 512  ? (quick ? 41 : 101)
                   : n <= 4096 ? (quick ? 11 : 31)
                               : (quick ? 7 : 15);
      FileRow r = measure_file(disk_dir, n, trials);
      double st = median(r.store.us), cm = median(r.commit.us), fl = median(r.floor.us),
             ms = median(r.msync.us), mst = median(r.mstore.us);
      printf(
          "%-6s %-7zu %9.1f %9.1f %9.1f %9.1f %9.1f %10.1f %8.2fx %8.2fx %8.2fx %9.2fx %7.0f "
          "%7.0f %7.0f %8.0f %8.0f %8.0f %6.0f %6.0f %6.0f %5d\n",
          "file", n, st, cm, mean(r.commit.us), fl, ms, mst, cm / fl, (st + cm) / fl, cm / ms,
          (st + cm) / (mst + ms), per_rep(r.store.minflt) + per_rep(r.store.majflt),
          per_rep(r.commit.minflt) + per_rep(r.commit.majflt),
          per_rep(r.mstore.minflt) + per_rep(r.mstore.majflt), per_rep(r.commit.dev_kib),
          per_rep(r.msync.dev_kib), per_rep(r.floor.dev_kib), per_rep(r.commit.dev_flushes),
          per_rep(r.msync.dev_flushes), per_rep(r.floor.dev_flushes), trials);
      fflush(stdout);
    }
  }
  return 0;
}
