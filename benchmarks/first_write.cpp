// first_write.cpp — the cost of the first write to a page (issue 15 item 5).
//
// A famsync working copy is a MAP_PRIVATE mapping of the file: the first write to each page is a
// copy-on-write fault. This measures, per page, a first write (one 8-byte store per page, pages in
// address order) to a file whose pages are all in the page cache, through:
//   shared          plain mmap(MAP_SHARED): the kernel's own first-write fault (page_mkwrite)
//   private         mmap(MAP_PRIVATE) without famsync: the bare copy-on-write fault
//   private+pw R    MAP_PRIVATE, madvise(MADV_POPULATE_WRITE) over each run of R pages first
//   private+pop     MAP_PRIVATE | MAP_POPULATE (what FAMSYNC_PREFAULT does), the map included
//   private+huge    MAP_PRIVATE after madvise(MADV_HUGEPAGE) (does THP apply to a COW of a file?)
//   famsync         fams_map + fams_will_write + store (file backend): fault + line logging
//   famsync+pw R    the same after madvise(MADV_POPULATE_WRITE) of each run of R pages of the
//                   working copy (contents unchanged: it breaks copy-on-write ahead of the stores)
// Reported: median ns per page over REPS fresh mappings, minor faults per page (getrusage), and
// the ratio to `shared`, side by side. The commit is not timed (it is the same for every famsync
// variant). Usage: first_write [DIR=/var/tmp] [PAGES=16384] [REPS=7]
#include <famsync/famsync.h>

#include <fcntl.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <string>
#include <vector>

#ifndef MADV_POPULATE_WRITE
#define MADV_POPULATE_WRITE 23  // Linux 5.14
#endif

namespace {

constexpr uint64_t kPage = 4096;

uint64_t now_ns() {
  timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return static_cast<uint64_t>(ts.tv_sec) * 1000000000ull + static_cast<uint64_t>(ts.tv_nsec);
}

long minor_faults() {
  rusage ru;
  getrusage(RUSAGE_SELF, &ru);
  return ru.ru_minflt;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

bool g_populate_write_ok = true;

// Populates [p, p+len) for writing, ignoring EINVAL (kernel before 5.14).
void populate_write(char *p, size_t len) {
  if (!g_populate_write_ok) return;
  if (madvise(p, len, MADV_POPULATE_WRITE) != 0) {
    if (errno == EINVAL) g_populate_write_ok = false;
    else perror("madvise(MADV_POPULATE_WRITE)");
  }
}

void store_pages(char *base, uint64_t first, uint64_t n, uint64_t value) {
  for (uint64_t i = first; i < first + n; ++i) memcpy(base + i * kPage + 64, &value, 8);
}

}  // namespace

int main(int argc, char **argv) {
  std::string dir = argc > 1 ? argv[1] : "/var/tmp";
  uint64_t pages = argc > 2 ? std::strtoull(argv[2], nullptr, 10) : 16384;
  int reps = argc > 3 ? atoi(argv[3]) : 7;
  uint64_t len = pages * kPage;
  std::string path = dir + "/famsync-first-write.dat";
  unlink(path.c_str());
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) return perror(path.c_str()), 2;
  {  // allocated and in the page cache: first writes measure faults, not I/O
    std::vector<char> buf(1 << 20, 'x');
    for (uint64_t off = 0; off < len; off += buf.size())
      if (pwrite(fd, buf.data(), std::min<uint64_t>(buf.size(), len - off),
                 static_cast<off_t>(off)) < 0)
        return perror("pwrite"), 2;
    fdatasync(fd);
  }
  char thp[64] = "?";
  if (FILE *f = fopen("/sys/kernel/mm/transparent_hugepage/enabled", "r")) {
    if (!fgets(thp, sizeof thp, f)) thp[0] = '\0';
    fclose(f);
    thp[strcspn(thp, "\n")] = '\0';
  }
  printf("first_write: %" PRIu64 " pages (%" PRIu64 " MiB) in %s, %d reps, THP: %s\n", pages,
         len >> 20, dir.c_str(), reps, thp);

  // One variant: RUN maps, times the first writes (TIMED), unmaps. Returns ns, faults.
  struct Variant {
    std::string name;
    std::function<char *()> map;  // untimed unless the variant times its map (pop)
    std::function<void(char *, uint64_t)> write;
    std::function<void(char *)> unmap;
    bool time_map = false;
  };
  auto mmap_file = [&](int flags) {
    return [&, flags]() -> char * {
      void *p = mmap(nullptr, len, PROT_READ | PROT_WRITE, flags, fd, 0);
      if (p == MAP_FAILED) return perror("mmap"), nullptr;
      return static_cast<char *>(p);
    };
  };
  auto plain_unmap = [&](char *p) {
    munmap(p, len);
    fdatasync(fd);  // shared writes: flush now, outside the timing
  };
  auto writes_in_runs = [&](uint64_t run) {
    return [&, run](char *base, uint64_t value) {
      for (uint64_t first = 0; first < pages; first += run) {
        uint64_t n = std::min(run, pages - first);
        populate_write(base + first * kPage, n * kPage);
        store_pages(base, first, n, value);
      }
    };
  };
  fams_region *region = nullptr;
  auto fams_open = [&]() -> char * {
    if (int rc = fams_map(path.c_str(), FAMS_MAP_FORCE_FILE, &region)) {
      fprintf(stderr, "fams_map: %s: %s\n", fams_strerror(rc), fams_last_error_message());
      exit(2);
    }
    return static_cast<char *>(fams_region_addr(region));
  };
  auto fams_close = [&](char *) {
    if (int rc = fams_unmap(region)) {  // commits: not timed
      fprintf(stderr, "fams_unmap: %s: %s\n", fams_strerror(rc), fams_last_error_message());
      exit(2);
    }
  };
  auto fams_writes = [&](uint64_t run) {
    return [&, run](char *base, uint64_t value) {
      for (uint64_t first = 0; first < pages; first += run) {
        uint64_t n = std::min(run, pages - first);
        if (run > 1) populate_write(base + first * kPage, n * kPage);
        for (uint64_t i = first; i < first + n; ++i) {
          fams_will_write(base + i * kPage + 64, 8);
          memcpy(base + i * kPage + 64, &value, 8);
        }
      }
    };
  };
  std::vector<Variant> variants = {
      {"shared", mmap_file(MAP_SHARED), writes_in_runs(UINT64_MAX >> 1), plain_unmap},
      {"private", mmap_file(MAP_PRIVATE), writes_in_runs(1) /* populate of 1 page: see below */,
       [&](char *p) { munmap(p, len); }},
      {"private+pw 16", mmap_file(MAP_PRIVATE), writes_in_runs(16),
       [&](char *p) { munmap(p, len); }},
      {"private+pw 512", mmap_file(MAP_PRIVATE), writes_in_runs(512),
       [&](char *p) { munmap(p, len); }},
      {"private+pop", mmap_file(MAP_PRIVATE | MAP_POPULATE),
       [&](char *b, uint64_t v) { store_pages(b, 0, pages, v); }, [&](char *p) { munmap(p, len); },
       true},
      {"private+huge",
       [&]() -> char * {
         char *p = mmap_file(MAP_PRIVATE)();
         if (p != nullptr && madvise(p, len, MADV_HUGEPAGE) != 0) perror("madvise(MADV_HUGEPAGE)");
         return p;
       },
       [&](char *b, uint64_t v) { store_pages(b, 0, pages, v); }, [&](char *p) { munmap(p, len); }},
      {"famsync", fams_open, fams_writes(1), fams_close},
      {"famsync+pw 16", fams_open, fams_writes(16), fams_close},
      {"famsync+pw 512", fams_open, fams_writes(512), fams_close},
  };
  // "private" must not populate: its runs of 1 store without madvise.
  variants[1].write = [&](char *b, uint64_t v) { store_pages(b, 0, pages, v); };
  // "shared" likewise writes all pages without madvise.
  variants[0].write = [&](char *b, uint64_t v) { store_pages(b, 0, pages, v); };

  std::vector<std::vector<double>> ns(variants.size()), faults(variants.size());
  for (int rep = 0; rep < reps; ++rep) {
    for (size_t v = 0; v < variants.size(); ++v) {  // interleaved: drift hits all alike
      Variant &var = variants[v];
      uint64_t t0 = now_ns();
      long f0 = minor_faults();
      char *base = var.map();
      if (base == nullptr) return 2;
      if (!var.time_map) t0 = now_ns(), f0 = minor_faults();
      var.write(base, 0x1234 + rep);
      uint64_t t1 = now_ns();
      long f1 = minor_faults();
      var.unmap(base);
      ns[v].push_back(static_cast<double>(t1 - t0) / pages);
      faults[v].push_back(static_cast<double>(f1 - f0) / pages);
    }
  }
  if (!g_populate_write_ok)
    printf("MADV_POPULATE_WRITE: EINVAL (kernel < 5.14): +pw rows = no madvise\n");
  double shared = median(ns[0]);
  printf("%-16s %12s %14s %10s\n", "variant", "ns/page", "faults/page", "vs shared");
  for (size_t v = 0; v < variants.size(); ++v)
    printf("%-16s %12.0f %14.3f %9.2fx\n", variants[v].name.c_str(), median(ns[v]),
           median(faults[v]), median(ns[v]) / shared);
  close(fd);
  unlink(path.c_str());
  return 0;
}
