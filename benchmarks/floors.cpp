// floors.cpp — the physical floors (floors.hpp): NT copies and cache-line write-back picked at
// run time, the file floor, and the fault/device counters.
//
// Invariant: no instruction beyond SSE2 runs unless __builtin_cpu_supports said the CPU has it,
// so the binary runs on any x86-64 CI machine.
#include "floors.hpp"

#include <immintrin.h>

#include <algorithm>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <fstream>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/sysmacros.h>
#include <unistd.h>

namespace famsync::bench {
namespace {

constexpr size_t kLine = 64;

// Line i: SRC + i*SRC_STRIDE -> DST + i*DST_STRIDE.
[[gnu::target("avx512f")]] void nt_copy_avx512(char *dst, size_t dst_stride, const char *src,
                                               size_t src_stride, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    _mm512_stream_si512(reinterpret_cast<__m512i *>(dst + i * dst_stride),
                        _mm512_load_si512(reinterpret_cast<const __m512i *>(src + i * src_stride)));
  }
}

[[gnu::target("avx")]] void nt_copy_avx(char *dst, size_t dst_stride, const char *src,
                                        size_t src_stride, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    auto *d = reinterpret_cast<__m256i *>(dst + i * dst_stride);
    auto *s = reinterpret_cast<const __m256i *>(src + i * src_stride);
    _mm256_stream_si256(d, _mm256_load_si256(s));
    _mm256_stream_si256(d + 1, _mm256_load_si256(s + 1));
  }
}

void nt_copy_sse2(char *dst, size_t dst_stride, const char *src, size_t src_stride, size_t n) {
  for (size_t i = 0; i < n; ++i) {
    auto *d = reinterpret_cast<__m128i *>(dst + i * dst_stride);
    auto *s = reinterpret_cast<const __m128i *>(src + i * src_stride);
    for (int k = 0; k < 4; ++k) _mm_stream_si128(d + k, _mm_load_si128(s + k));
  }
}

[[gnu::target("clwb")]] void flush_clwb(const void *p) { _mm_clwb(const_cast<void *>(p)); }
[[gnu::target("clflushopt")]] void flush_clflushopt(const void *p) {
  _mm_clflushopt(const_cast<void *>(p));
}
void flush_clflush(const void *p) { _mm_clflush(p); }

struct Dispatch {
  void (*copy)(char *, size_t, const char *, size_t, size_t);
  void (*flush)(const void *);
  const char *copy_name, *flush_name;
  Dispatch() {
    __builtin_cpu_init();
    if (__builtin_cpu_supports("avx512f"))
      copy = nt_copy_avx512, copy_name = "avx512f";
    else if (__builtin_cpu_supports("avx"))
      copy = nt_copy_avx, copy_name = "avx";
    else
      copy = nt_copy_sse2, copy_name = "sse2";
    // CPUID leaf 7 EBX: bit 24 clwb, bit 23 clflushopt (not every compiler's
    // __builtin_cpu_supports knows them).
    unsigned a, b, c, d;
    __asm__("cpuid" : "=a"(a), "=b"(b), "=c"(c), "=d"(d) : "a"(7), "c"(0));
    if (b & (1u << 24))
      flush = flush_clwb, flush_name = "clwb";
    else if (b & (1u << 23))
      flush = flush_clflushopt, flush_name = "clflushopt";
    else
      flush = flush_clflush, flush_name = "clflush";
  }
};

Dispatch &dispatch() {
  static Dispatch d;
  return d;
}

}  // namespace

const char *nt_isa_name() { return dispatch().copy_name; }
const char *flush_isa_name() { return dispatch().flush_name; }

bool force_nt_isa(const char *name) {
  Dispatch &d = dispatch();
  if (strcmp(name, "avx512f") == 0 && __builtin_cpu_supports("avx512f")) {
    d.copy = nt_copy_avx512, d.copy_name = "avx512f";
  } else if (strcmp(name, "avx") == 0 && __builtin_cpu_supports("avx")) {
    d.copy = nt_copy_avx, d.copy_name = "avx";
  } else if (strcmp(name, "sse2") == 0) {
    d.copy = nt_copy_sse2, d.copy_name = "sse2";
  } else {
    return false;
  }
  return true;
}

void nt_copy_lines(char *dst, const char *src, size_t n, size_t stride) {
  dispatch().copy(dst, stride, src, stride, n);
}

void flush_line(const void *p) { dispatch().flush(p); }

void drain() { _mm_sfence(); }

void pmem_floor(char *dst, const char *src, size_t n, size_t stride, uint64_t *commit_word,
                uint64_t value) {
  const Dispatch &d = dispatch();
  d.copy(dst, stride, src, stride, n);
  _mm_sfence();  // drain 1: the data is durable before the commit record
  *reinterpret_cast<volatile uint64_t *>(commit_word) = value;
  d.flush(commit_word);
  _mm_sfence();  // drain 2: the commit record is durable
}

void pmem_in_place_floor(char *log, char *dst, const char *src, size_t n, size_t stride,
                         uint64_t *commit_word, uint64_t value) {
  const Dispatch &d = dispatch();
  d.copy(log, kLine, src, stride, n);  // the lines, packed, into the log
  *reinterpret_cast<volatile uint64_t *>(commit_word) = value;
  d.flush(commit_word);
  _mm_sfence();                          // the one drain: log and record durable
  d.copy(dst, stride, src, stride, n);  // in place (durable with the next drain)
}

void file_floor(int fd, const char *buf, size_t len, off_t off) {
  ssize_t w = pwrite(fd, buf, len, off);
  if (w != static_cast<ssize_t>(len)) {
    perror("file floor: pwrite");
    exit(1);
  }
  if (fdatasync(fd) != 0) {
    perror("file floor: fdatasync");
    exit(1);
  }
}

int make_written_file(const std::string &path, size_t size) {
  int fd = open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC, 0644);
  if (fd < 0) {
    perror(path.c_str());
    exit(1);
  }
  if (int rc = posix_fallocate(fd, 0, static_cast<off_t>(size)); rc != 0) {
    fprintf(stderr, "posix_fallocate(%s): %s\n", path.c_str(), strerror(rc));
    exit(1);
  }
  std::vector<char> zeros(1 << 20, 0);
  for (size_t off = 0; off < size; off += zeros.size()) {
    size_t len = std::min(zeros.size(), size - off);
    if (pwrite(fd, zeros.data(), len, static_cast<off_t>(off)) != static_cast<ssize_t>(len)) {
      perror(path.c_str());
      exit(1);
    }
  }
  if (fsync(fd) != 0) {
    perror(path.c_str());
    exit(1);
  }
  return fd;
}

Counters operator-(const Counters &a, const Counters &b) {
  return {a.minflt - b.minflt, a.majflt - b.majflt, a.dev_writes - b.dev_writes,
          a.dev_sectors - b.dev_sectors, a.dev_flushes - b.dev_flushes};
}

CounterSource::CounterSource(const std::string &dir) {
  struct stat st;
  if (stat(dir.c_str(), &st) != 0) return;
  char path[128];
  snprintf(path, sizeof path, "/sys/dev/block/%u:%u/stat", major(st.st_dev), minor(st.st_dev));
  if (access(path, R_OK) != 0) return;
  stat_path_ = path;
  char link[256], resolved[512];
  snprintf(link, sizeof link, "/sys/dev/block/%u:%u", major(st.st_dev), minor(st.st_dev));
  if (realpath(link, resolved) != nullptr) {
    const char *slash = strrchr(resolved, '/');
    device_ = slash != nullptr ? slash + 1 : resolved;
  }
}

Counters CounterSource::read() const {
  Counters c;
  struct rusage ru;
  if (getrusage(RUSAGE_THREAD, &ru) == 0) c.minflt = ru.ru_minflt, c.majflt = ru.ru_majflt;
  if (stat_path_.empty()) return c;
  // Fields: 1-4 reads, 5 write I/Os, 6 write merges, 7 sectors written, ..., 16 flush I/Os.
  std::ifstream in(stat_path_);
  uint64_t f[17] = {};
  for (int i = 0; i < 17 && (in >> f[i]); ++i) {
  }
  c.dev_writes = f[4];
  c.dev_sectors = f[6];
  c.dev_flushes = f[15];
  return c;
}

std::string fs_type(const std::string &dir) {
  struct statfs s;
  if (statfs(dir.c_str(), &s) != 0) return "?";
  switch (static_cast<unsigned long>(s.f_type)) {
    case 0xEF53:
      return "ext4";
    case 0x01021994:
      return "tmpfs";
    case 0x58465342:
      return "xfs";
    case 0x9123683E:
      return "btrfs";
    case 0x794c7630:
      return "overlayfs";
    default: {
      char buf[32];
      snprintf(buf, sizeof buf, "0x%lx", static_cast<unsigned long>(s.f_type));
      return buf;
    }
  }
}

}  // namespace famsync::bench
