// ycsb.hpp — the YCSB core workload's generators and workload table, transcribed from Java YCSB
// (site.ycsb.generator.*, site.ycsb.workloads.CoreWorkload, site.ycsb.Utils), not from YCSB-C.
//
// What is faithful: FNV-64 (Utils.fnvhash64, with Math.abs) for key names and for scrambling;
// ScrambledZipfianGenerator draws a rank from a zipfian(0.99) over 10^10 items with the
// precomputed zeta 26.46902820178302 and maps it to min + fnv64(rank) % itemcount, where the key
// space is recordcount + 2·opcount·insertproportion (CoreWorkload's "expectednewkeys") and draws
// beyond the last inserted key are redrawn; SkewedLatestGenerator ("latest", workload D) is
// lastValue − zipfian(lastValue) with zeta recomputed incrementally as records are inserted
// (and, as in Java, eta keeps the initial item count); scan length uniform 1..100; field chosen
// uniformly for an update; read reads all fields.
// Invariant: with the same seed a generator yields the same sequence; nothing here reads a clock.
#ifndef FAMSYNC_BENCH_HARNESS_YCSB_HPP
#define FAMSYNC_BENCH_HARNESS_YCSB_HPP

#include <atomic>
#include <cmath>
#include <cstdint>
#include <string>

namespace harness {

// xoshiro256** seeded by splitmix64: fast, and plenty for workload generation.
class Rng {
 public:
  explicit Rng(uint64_t seed) {
    for (auto &s : s_) {
      seed += 0x9e3779b97f4a7c15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
      z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
      s = z ^ (z >> 31);
    }
  }
  uint64_t next() {
    uint64_t r = rotl(s_[1] * 5, 7) * 9, t = s_[1] << 17;
    s_[2] ^= s_[0], s_[3] ^= s_[1], s_[1] ^= s_[2], s_[0] ^= s_[3], s_[2] ^= t, s_[3] = rotl(s_[3], 45);
    return r;
  }
  double next_double() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }  // [0, 1)
  uint64_t uniform(uint64_t lo, uint64_t hi) { return lo + next() % (hi - lo + 1); }  // inclusive

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

// Utils.fnvhash64: FNV-1a over the 8 bytes of VAL, low byte first, then Math.abs.
inline uint64_t fnvhash64(uint64_t val) {
  int64_t h = static_cast<int64_t>(0xCBF29CE484222325ull);
  for (int i = 0; i < 8; ++i) {
    h ^= static_cast<int64_t>(val & 0xff);
    val >>= 8;
    h = static_cast<int64_t>(static_cast<uint64_t>(h) * 1099511628211ull);
  }
  return static_cast<uint64_t>(h < 0 ? -h : h);  // Math.abs (Long.MIN_VALUE stays negative in Java)
}

// CoreWorkload.buildKeyName with insertorder=hashed: "user" + fnvhash64(keynum).
inline uint64_t key_of(uint64_t keynum) { return fnvhash64(keynum); }
inline std::string key_name(uint64_t keynum) { return "user" + std::to_string(key_of(keynum)); }

constexpr double kZipfianConstant = 0.99;
constexpr uint64_t kScrambledItemCount = 10000000000ull;
constexpr double kScrambledZetan = 26.46902820178302;

inline double zeta_static(uint64_t st, uint64_t n, double theta, double initialsum) {
  double sum = initialsum;
  for (uint64_t i = st; i < n; ++i) sum += 1 / std::pow(static_cast<double>(i + 1), theta);
  return sum;
}

// ZipfianGenerator(min, max, theta, zetan).
class Zipfian {
 public:
  Zipfian(uint64_t min, uint64_t max, double theta, double zetan)
      : items_(max - min + 1), base_(min), theta_(theta), zeta2theta_(zeta_static(0, 2, theta, 0)),
        alpha_(1.0 / (1.0 - theta)), zetan_(zetan), countforzeta_(items_) {
    eta_ = (1 - std::pow(2.0 / static_cast<double>(items_), 1 - theta_)) / (1 - zeta2theta_ / zetan_);
  }
  Zipfian(uint64_t min, uint64_t max, double theta)
      : Zipfian(min, max, theta, zeta_static(0, max - min + 1, theta, 0)) {}

  uint64_t next(Rng &rng) { return next(rng, items_); }
  uint64_t next(Rng &rng, uint64_t itemcount) {
    if (itemcount > countforzeta_) {  // Java: incremental zeta; eta keeps `items` (sic)
      zetan_ = zeta_static(countforzeta_, itemcount, theta_, zetan_);
      countforzeta_ = itemcount;
      eta_ = (1 - std::pow(2.0 / static_cast<double>(items_), 1 - theta_)) / (1 - zeta2theta_ / zetan_);
    }
    double u = rng.next_double();
    double uz = u * zetan_;
    if (uz < 1.0) return base_;
    if (uz < 1.0 + std::pow(0.5, theta_)) return base_ + 1;
    return base_ + static_cast<uint64_t>(static_cast<double>(itemcount) * std::pow(eta_ * u - eta_ + 1, alpha_));
  }

 private:
  uint64_t items_, base_;
  double theta_, zeta2theta_, alpha_, zetan_, eta_;
  uint64_t countforzeta_;
};

// ScrambledZipfianGenerator(min, max).
class ScrambledZipfian {
 public:
  ScrambledZipfian(uint64_t min, uint64_t max)
      : min_(min), itemcount_(max - min + 1),
        gen_(0, kScrambledItemCount - 1, kZipfianConstant, kScrambledZetan) {}
  uint64_t next(Rng &rng) { return min_ + fnvhash64(gen_.next(rng)) % itemcount_; }

 private:
  uint64_t min_, itemcount_;
  Zipfian gen_;
};

// SkewedLatestGenerator over the acknowledged insert counter.
class SkewedLatest {
 public:
  explicit SkewedLatest(uint64_t last_value) : zipf_(0, last_value - 1, kZipfianConstant) {}
  uint64_t next(Rng &rng, uint64_t last_value) { return last_value - zipf_.next(rng, last_value); }

 private:
  Zipfian zipf_;
};

enum class Op { kRead, kUpdate, kInsert, kScan, kReadModifyWrite, kCount };
inline const char *op_name(Op op) {
  static const char *const kNames[] = {"READ", "UPDATE", "INSERT", "SCAN", "READ-MODIFY-WRITE"};
  return kNames[static_cast<int>(op)];
}
inline bool op_writes(Op op) { return op == Op::kUpdate || op == Op::kInsert || op == Op::kReadModifyWrite; }

struct Workload {
  char name;
  double read, update, insert, scan, rmw;
  bool latest;  // requestdistribution=latest (else zipfian)
};

// workloads/workload{a..f} of the YCSB distribution.
inline const Workload *find_workload(char name) {
  static const Workload kWorkloads[] = {
      {'A', 0.50, 0.50, 0, 0, 0, false}, {'B', 0.95, 0.05, 0, 0, 0, false},
      {'C', 1.00, 0, 0, 0, 0, false},    {'D', 0.95, 0, 0.05, 0, 0, true},
      {'E', 0, 0, 0.05, 0.95, 0, false}, {'F', 0.50, 0, 0, 0, 0.50, false},
  };
  for (const auto &w : kWorkloads)
    if (w.name == name) return &w;
  return nullptr;
}

// DiscreteGenerator over the workload's proportions (Java adds them in this order).
inline Op choose_op(const Workload &w, Rng &rng) {
  double sum = w.read + w.update + w.insert + w.scan + w.rmw;
  double v = rng.next_double() * sum;
  if ((v -= w.read) < 0) return Op::kRead;
  if ((v -= w.update) < 0) return Op::kUpdate;
  if ((v -= w.insert) < 0) return Op::kInsert;
  if ((v -= w.scan) < 0) return Op::kScan;
  return Op::kReadModifyWrite;
}

constexpr uint64_t kMaxScanLength = 100;

// Fills N bytes with printable pseudo-random characters (RandomByteIterator's alphabet size);
// the same cost for every policy.
inline void random_bytes(Rng &rng, char *out, size_t n) {
  for (size_t i = 0; i < n; i += 8) {
    uint64_t r = rng.next();
    for (size_t j = 0; j < 8 && i + j < n; ++j, r >>= 8) out[i + j] = static_cast<char>(' ' + (r & 0x3f) % 95);
  }
}

}  // namespace harness

#endif  // FAMSYNC_BENCH_HARNESS_YCSB_HPP
