// workload.hpp — the one key-value workload every durable_kv store runs, and its measurement.
//
// Keys are 16 printable bytes, values 100 bytes. PRELOAD records are written first and made
// durable once (not timed); then OPS operations are timed, each followed by one durable commit:
// with probability 1/2 an insert of a new key, else an update of a uniformly chosen existing key.
// Keys and values are pure functions of (seed, index), so every store sees the same sequence.
// Around the timed phase the program calls access() on two marker paths, so a trace of the run
// (run.sh: strace) can count the flushes of the timed phase alone; it syncs the file system and
// reads the block device's counters before and after (sectors written, flush requests).
// Invariant: a result line is printed only if every operation returned success and a read-back
// of every key after the timed phase found the value last written to it.
#ifndef FAMSYNC_BENCH_DURABLE_KV_WORKLOAD_HPP
#define FAMSYNC_BENCH_DURABLE_KV_WORKLOAD_HPP

#include <fcntl.h>
#include <unistd.h>

#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <string>
#include <vector>

namespace durable_kv {

constexpr size_t kKeyBytes = 16;
constexpr size_t kValueBytes = 100;

[[noreturn]] inline void die(const char *what, const std::string &detail = "") {
  fprintf(stderr, "durable_kv: %s%s%s\n", what, detail.empty() ? "" : ": ", detail.c_str());
  exit(1);
}

// splitmix64's finaliser: a bijection, so distinct indices give distinct keys.
inline uint64_t mix64(uint64_t x) {
  x += 0x9E3779B97F4A7C15ull;
  x = (x ^ (x >> 30)) * 0xBF58476D1CE4E5B9ull;
  x = (x ^ (x >> 27)) * 0x94D049BB133111EBull;
  return x ^ (x >> 31);
}

inline void make_key(uint64_t seed, uint64_t index, char *out) {
  static const char kHex[] = "0123456789abcdef";
  uint64_t h = mix64(index ^ (seed << 40));
  for (size_t i = 0; i < kKeyBytes; ++i) out[i] = kHex[(h >> (4 * (i % 16))) & 15];
}

// The value written by write number W (preload writes are 0..P-1, timed op j is P + j).
inline void make_value(uint64_t seed, uint64_t w, char *out) {
  uint64_t h = mix64(w * 0x100000001B3ull ^ seed);
  for (size_t i = 0; i < kValueBytes; ++i) {
    if (i % 8 == 0) h = mix64(h);
    out[i] = static_cast<char>('!' + (h >> (8 * (i % 8))) % 90);
  }
}

struct Options {
  std::string dir;        // directory of the store's files (created fresh by the caller)
  std::string dev_stat;   // /sys/block/NAME/stat of the device under DIR, or empty
  std::string csv;        // append the result line here (and always print it)
  std::string system;     // name in the result line
  std::string fs;         // file-system label in the result line
  uint64_t seed = 42, preload = 20000, ops = 20000;
  int rep = 1;
};

inline Options parse(int argc, char **argv, const char *system) {
  Options o;
  o.system = system;
  for (int i = 1; i < argc; ++i) {
    std::string a = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) die("missing value after", a);
      return argv[++i];
    };
    if (a == "--dir") o.dir = val();
    else if (a == "--dev-stat") o.dev_stat = val();
    else if (a == "--csv") o.csv = val();
    else if (a == "--fs") o.fs = val();
    else if (a == "--system") o.system = val();
    else if (a == "--seed") o.seed = std::stoull(val());
    else if (a == "--preload") o.preload = std::stoull(val());
    else if (a == "--ops") o.ops = std::stoull(val());
    else if (a == "--rep") o.rep = std::stoi(val());
    else die("unknown argument (--dir D [--dev-stat F] [--csv F] [--fs L] [--seed N] "
             "[--preload N] [--ops N] [--rep N])", a);
  }
  if (o.dir.empty()) die("--dir is required");
  return o;
}

// Fields 7 (sectors written) and 16 (flush requests completed; 0 if the kernel has no field) of
// a block device's stat file.
struct DevCounters {
  uint64_t sectors_written = 0, flushes = 0;
};
inline DevCounters read_dev(const std::string &path) {
  DevCounters c;
  if (path.empty()) return c;
  std::ifstream in(path);
  std::vector<uint64_t> f;
  uint64_t v;
  while (in >> v) f.push_back(v);
  if (f.size() < 7) die("cannot read block device counters", path);
  c.sectors_written = f[6];
  if (f.size() >= 16) c.flushes = f[15];
  return c;
}

inline void sync_fs(const std::string &dir) {
  int fd = open(dir.c_str(), O_RDONLY | O_DIRECTORY);
  if (fd < 0 || syncfs(fd) != 0) die("syncfs failed", dir);
  close(fd);
}

// Runs the workload against a STORE, which provides:
//   void open(const std::string &dir)             create an empty store in DIR
//   void put(const char *key, const char *value)  insert or overwrite
//   void commit()                                 make every put so far durable
//   bool get(const char *key, char *value)        read back (false if absent)
//   void close()
// Every failure inside the store must end the process with a message (die()).
template <typename Store>
int run(const Options &o, Store &store) {
  const uint64_t total_keys = o.preload + o.ops;  // upper bound on distinct keys
  std::vector<uint64_t> last_writer(total_keys, UINT64_MAX);
  char key[kKeyBytes], value[kValueBytes];

  store.open(o.dir);
  for (uint64_t i = 0; i < o.preload; ++i) {
    make_key(o.seed, i, key);
    make_value(o.seed, i, value);
    store.put(key, value);
    last_writer[i] = i;
  }
  store.commit();
  sync_fs(o.dir);

  // The operation list, drawn before timing (xorshift on the seed).
  std::vector<uint64_t> op_key(o.ops);
  uint64_t present = o.preload, rng = mix64(o.seed ^ 0xD0AB1E);
  for (uint64_t j = 0; j < o.ops; ++j) {
    rng = mix64(rng);
    if (present == 0 || (rng & 1)) op_key[j] = present++;  // insert a new key
    else op_key[j] = (rng >> 1) % present;                 // update an existing one
  }

  DevCounters d0 = read_dev(o.dev_stat);
  access("/durable_kv-timed-phase-begin", F_OK);
  auto t0 = std::chrono::steady_clock::now();
  for (uint64_t j = 0; j < o.ops; ++j) {
    make_key(o.seed, op_key[j], key);
    make_value(o.seed, o.preload + j, value);
    store.put(key, value);
    store.commit();
  }
  auto t1 = std::chrono::steady_clock::now();
  access("/durable_kv-timed-phase-end", F_OK);
  sync_fs(o.dir);  // what the commits left in the page cache reaches the device too
  DevCounters d1 = read_dev(o.dev_stat);
  for (uint64_t j = 0; j < o.ops; ++j) last_writer[op_key[j]] = o.preload + j;

  char expect[kValueBytes];
  uint64_t keys = 0;
  for (uint64_t k = 0; k < total_keys; ++k) {
    if (last_writer[k] == UINT64_MAX) continue;
    ++keys;
    make_key(o.seed, k, key);
    make_value(o.seed, last_writer[k], expect);
    if (!store.get(key, value)) die("read-back: a key is missing", std::string(key, kKeyBytes));
    if (memcmp(value, expect, kValueBytes) != 0)
      die("read-back: wrong value for key", std::string(key, kKeyBytes));
  }
  store.close();

  double s = std::chrono::duration<double>(t1 - t0).count();
  char line[512];
  snprintf(line, sizeof line, "%s,%s,%d,%llu,%llu,%llu,%llu,%.6f,%.1f,%.1f,%.3f\n",
           o.system.c_str(), o.fs.c_str(), o.rep, (unsigned long long)o.seed,
           (unsigned long long)o.preload, (unsigned long long)o.ops, (unsigned long long)keys, s,
           o.ops / s,
           o.dev_stat.empty() ? -1.0 : 512.0 * (d1.sectors_written - d0.sectors_written) / o.ops,
           o.dev_stat.empty() ? -1.0 : double(d1.flushes - d0.flushes) / o.ops);
  fputs(line, stdout);
  if (!o.csv.empty()) {
    FILE *f = fopen(o.csv.c_str(), "a");
    if (f == nullptr || fputs(line, f) < 0 || fclose(f) != 0) die("cannot append to", o.csv);
  }
  return 0;
}

// The header of the result lines above.
constexpr const char *kCsvHeader =
    "system,fs,rep,seed,preload,ops,keys,seconds,ops_per_s,dev_bytes_per_op,dev_flushes_per_op";

}  // namespace durable_kv

#endif  // FAMSYNC_BENCH_DURABLE_KV_WORKLOAD_HPP
