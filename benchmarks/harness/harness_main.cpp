// harness_main.cpp — runs ONE benchmark configuration and appends its results to a CSV file.
//
//   harness_{famsync,ref} ycsb  --policy P --storage shm|ext4 --dir D --workload A..F
//                               [--records N] [--ops M] [--threads T] [--batch K] [--load-batch K]
//                               [--seed S] [--rep R] [--csv FILE] [--verify]
//   harness_{famsync,ref} btree --policy P --storage shm|ext4 --dir D [--keys N] [--seed S] ...
//
// The same source is compiled twice: with famsync-c++ (FAMSYNC_HARNESS_INSTRUMENTED; policies
// famsync and none-instr) and with plain clang++ of the same version and flags (pmdk, msync,
// none); see policies.hpp. One configuration per process, so peak RSS is that configuration's.
//
// YCSB: load phase inserts records 0..N-1 in order (one thread; a write unit every --load-batch
// inserts), then the run phase executes --ops operations on T threads. The store is protected by
// one global mutex; a thread holds it for a whole write unit of --batch operations (so with
// --batch 1, per operation), which is what lets a PMDK transaction or a famsync commit cover
// exactly that thread's operations. Reads never open a unit on their own (no empty transactions).
// Latency of an operation = lock wait + the operation + its commit if it closes a unit;
// generating keys and values happens outside the timed region, as in Java YCSB's DBWrapper.
//
// b-tree: N distinct random keys inserted, then read, then deleted (random orders), one unit per
// write.
// Invariant: every reported number comes from this run; the seed is printed and recorded; a run
// that fails any check (lost key, famsync saw no dirty lines) exits non-zero and writes no row.
#include <atomic>
#include <cinttypes>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

#include "arena.hpp"
#include "btree.hpp"
#include "kvstore.hpp"
#include "measure.hpp"
#include "policies.hpp"
#include "ycsb.hpp"

namespace harness {
namespace {

#ifdef FAMSYNC_HARNESS_INSTRUMENTED
constexpr const char *kBuild = "famsync-c++";
#else
constexpr const char *kBuild = "clang++";
#endif

struct Args {
  std::string bench, policy, storage = "shm", dir = "/dev/shm", csv, label;
  char workload = 'A';
  uint64_t records = 100000, ops = 100000, keys = 100000, seed = 42, arena_mb = 0;
  unsigned threads = 1, batch = 1, load_batch = 1, rep = 0;
  bool verify = false;
};

[[noreturn]] void usage(const char *msg) {
  fprintf(stderr, "harness: %s\nsee the banner of benchmarks/harness/harness_main.cpp for usage\n", msg);
  exit(2);
}

Args parse(int argc, char **argv) {
  Args a;
  if (argc < 2) usage("missing bench (ycsb|btree)");
  a.bench = argv[1];
  for (int i = 2; i < argc; ++i) {
    std::string k = argv[i];
    auto val = [&]() -> std::string {
      if (i + 1 >= argc) usage(("missing value for " + k).c_str());
      return argv[++i];
    };
    auto num = [&]() { return std::strtoull(val().c_str(), nullptr, 10); };
    if (k == "--policy") a.policy = val();
    else if (k == "--storage") a.storage = val();
    else if (k == "--dir") a.dir = val();
    else if (k == "--csv") a.csv = val();
    else if (k == "--label") a.label = val();
    else if (k == "--workload") a.workload = static_cast<char>(toupper(val()[0]));
    else if (k == "--records") a.records = num();
    else if (k == "--ops") a.ops = num();
    else if (k == "--keys") a.keys = num();
    else if (k == "--seed") a.seed = num();
    else if (k == "--arena-mb") a.arena_mb = num();
    else if (k == "--threads") a.threads = static_cast<unsigned>(num());
    else if (k == "--batch") a.batch = static_cast<unsigned>(num());
    else if (k == "--load-batch") a.load_batch = static_cast<unsigned>(num());
    else if (k == "--rep") a.rep = static_cast<unsigned>(num());
    else if (k == "--verify") a.verify = true;
    else usage(("unknown option " + k).c_str());
  }
  if (a.storage != "shm" && a.storage != "ext4") usage("--storage must be shm or ext4");
  if (a.threads < 1 || a.batch < 1 || a.load_batch < 1) usage("--threads/--batch/--load-batch must be >= 1");
  return a;
}

// Everything a run reports besides the latency rows.
struct RunInfo {
  uint64_t arena_bytes = 0, data_bytes = 0, log_bytes = 0;
  long meta_kb = 0, arena_rss_kb = 0, medium_rss_kb = 0;
  uint64_t fams_dirty_lines = 0, fams_commits = 0, fams_logged_at_store = 0;
};

class CsvOut {
 public:
  CsvOut(const Args &a) : a_(a) {}
  void row(const char *phase, const char *op, const Summary &s, double seconds, uint64_t phase_ops,
           const RunInfo &ri) {
    char line[2048];
    std::string wl = a_.bench == "ycsb" ? std::string(1, a_.workload) : "-";
    snprintf(line, sizeof line,
             "%s,%s,%s,%s,%s,%u,%u,%" PRIu64 ",%" PRIu64 ",%" PRIu64 ",%u,%s,%s,%" PRIu64
             ",%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.3f,%.4f,%.1f,%ld,%" PRIu64 ",%" PRIu64 ",%" PRIu64
             ",%ld,%ld,%ld,%" PRIu64 ",%" PRIu64 ",%s\n",
             a_.bench.c_str(), a_.storage.c_str(), a_.policy.c_str(), kBuild, wl.c_str(), a_.threads,
             a_.batch, a_.bench == "ycsb" ? a_.records : a_.keys, a_.bench == "ycsb" ? a_.ops : a_.keys,
             a_.seed, a_.rep, phase, op, s.count, s.avg_us, s.min_us, s.max_us, s.p50_us, s.p95_us,
             s.p99_us, s.p999_us, seconds, seconds > 0 ? static_cast<double>(phase_ops) / seconds : 0.0,
             peak_rss_kb(), ri.arena_bytes, ri.data_bytes, ri.log_bytes, ri.arena_rss_kb, ri.medium_rss_kb,
             ri.meta_kb, ri.fams_dirty_lines, ri.fams_commits, a_.label.c_str());
    rows_ += line;
  }
  void flush() {
    if (a_.csv.empty()) {
      fputs(rows_.c_str(), stdout);
      return;
    }
    FILE *f = fopen(a_.csv.c_str(), "a");
    if (f == nullptr) fatal(a_.csv.c_str(), strerror(errno));
    if (ftell(f) == 0) fputs(kHeader, f);
    fputs(rows_.c_str(), f);
    fclose(f);
  }
  static constexpr const char *kHeader =
      "bench,storage,policy,build,workload,threads,batch,records,ops,seed,rep,phase,op,count,avg_us,min_us,"
      "max_us,p50_us,p95_us,p99_us,p999_us,seconds,ops_per_s,peak_rss_kb,arena_bytes,data_file_bytes,"
      "log_file_bytes,arena_rss_kb,medium_rss_kb,meta_rss_kb,fams_dirty_lines,fams_commits,label\n";

 private:
  const Args &a_;
  std::string rows_;
};

// Opens the policy's store, keeping the memory baseline for the metadata measurement.
template <typename Policy>
struct Store {
  Policy pol;
  void *base = nullptr;
  size_t size = 0;
  MemSplit before;
  std::string path;

  void open(const Args &a, size_t bytes) {
    size = (bytes + (2u << 20) - 1) & ~size_t{(2u << 20) - 1};
    path = a.dir + "/harness." + std::to_string(getpid()) + "." + Policy::kName;
    // The policy's file names are known before open (files() only formats strings).
    before = mem_split(0, 0, {});
    base = pol.open(path, size, a.storage == "shm");
  }
  // At rest (after the last commit): resident bytes and bytes on the medium.
  void measure(RunInfo *ri) {
    auto lo = reinterpret_cast<uintptr_t>(base);
    MemSplit after = mem_split(lo, lo + size, pol.files());
    ri->arena_bytes = size;
    ri->arena_rss_kb = after.arena_kb;
    ri->medium_rss_kb = after.medium_kb;
    ri->meta_kb = after.anon_kb - before.anon_kb;
    if (const char *dump = getenv("HARNESS_DUMP_SMAPS"); dump != nullptr && *dump != '\0') {
      // Diagnosis aid: the mappings that hold "other" resident memory.
      std::string cmd = "awk '/^[0-9a-f]+-/{h=$0} /^Rss:/{if ($2 > 256) print $2 \" kB  \" h}' /proc/" +
                        std::to_string(getpid()) + "/smaps >&2";
      if (system(cmd.c_str()) != 0) perror("smaps dump");
    }
    auto files = pol.files();
    if (!files.empty()) ri->data_bytes = disk_bytes(files[0]);
    for (size_t i = 1; i < files.size(); ++i) ri->log_bytes += disk_bytes(files[i]);
#ifdef FAMSYNC_HARNESS_INSTRUMENTED
    fams_stat_counters st;
    fams_stats(nullptr, &st);
    ri->fams_dirty_lines = st.dirty_lines;
    ri->fams_commits = st.commits;
    ri->fams_logged_at_store = st.logged_at_store;
#endif
  }
  void close() {
    pol.close();
    for (const auto &f : pol.files()) unlink(f.c_str());
  }
};

// famsync's will_write is a no-op: if the pass did not instrument the data structure, nothing
// would be logged or committed. Refuse to report such a run.
template <typename Policy>
void check_instrumented(const RunInfo &ri) {
#ifdef FAMSYNC_HARNESS_INSTRUMENTED
  if (std::string(Policy::kName) == "famsync" && ri.fams_dirty_lines == 0)
    fatal("famsync", "no dirty lines were committed: the pass did not instrument the harness");
#else
  (void)ri;
#endif
}

// ---- YCSB ---------------------------------------------------------------------------------------

struct Samples {
  std::vector<uint64_t> by_op[static_cast<int>(Op::kCount)];
};

template <typename Policy>
int run_ycsb(const Args &a) {
  const Workload *w = find_workload(a.workload);
  if (w == nullptr) usage("--workload must be A..F");
  const bool ordered = w->scan > 0;
  const uint64_t expected_new = static_cast<uint64_t>(static_cast<double>(a.ops) * w->insert * 2.0);
  const uint64_t max_records = a.records + expected_new + 1;
  uint64_t nb = 1;
  while (nb < max_records) nb <<= 1;
  size_t bytes = a.arena_mb ? a.arena_mb << 20
                            : kHeaderBytes + nb * 8 + max_records * (1024 + (ordered ? 128 : 0)) + (4u << 20);

  // Reserve every sample vector before the memory baseline.
  std::vector<Samples> samples(a.threads);
  for (auto &s : samples)
    for (auto &v : s.by_op) v.reserve(a.ops / a.threads + 1);
  std::vector<uint64_t> load_ns;
  load_ns.reserve(a.records);
  char value[kValueBytes], out[kValueBytes];

  Store<Policy> st;
  st.open(a, bytes);
  Arena<Policy> arena(st.pol, st.base, st.size);
  KVStore<Policy> kv(arena);
  st.pol.begin();
  arena.format(st.size);
  kv.format(max_records, ordered);
  st.pol.commit();
  kv.attach();

  // Load phase.
  Rng load_rng(a.seed);
  uint64_t t_load = now_ns();
  for (uint64_t i = 0; i < a.records; ++i) {
    random_bytes(load_rng, value, kValueBytes);
    uint64_t key = key_of(i);
    uint64_t t0 = now_ns();
    if (i % a.load_batch == 0) st.pol.begin();
    kv.insert(key, value);
    if (i % a.load_batch == a.load_batch - 1 || i + 1 == a.records) st.pol.commit();
    load_ns.push_back(now_ns() - t0);
  }
  double load_s = static_cast<double>(now_ns() - t_load) / 1e9;

  // Run phase.
  std::mutex mu;
  uint64_t insert_seq = a.records;                 // next key number to insert (under mu)
  std::atomic<uint64_t> last_value{a.records - 1};  // AcknowledgedCounterGenerator.lastValue()
  std::atomic<uint64_t> misses{0};
  auto worker = [&](unsigned tid, uint64_t nops) {
    Rng rng(a.seed * 1000003 + 17 + tid);
    ScrambledZipfian zipf(0, a.records + expected_new);  // CoreWorkload: insertstart + insertcount + expectednewkeys
    SkewedLatest latest(a.records - 1 > 0 ? a.records - 1 : 1);
    char val[kValueBytes], buf[kValueBytes];
    auto next_keynum = [&]() {
      uint64_t k, lv = last_value.load(std::memory_order_acquire);
      if (w->latest) return latest.next(rng, lv);
      do k = zipf.next(rng);
      while (k > lv);
      return k;
    };
    unsigned in_batch = 0;
    bool in_unit = false;
    std::unique_lock<std::mutex> lock(mu, std::defer_lock);
    for (uint64_t i = 0; i < nops; ++i) {
      Op op = choose_op(*w, rng);
      uint64_t keynum = 0, scan_len = 0;
      int field = 0;
      if (op == Op::kInsert) {
        random_bytes(rng, val, kValueBytes);
      } else {
        keynum = next_keynum();
        if (op == Op::kScan) scan_len = rng.uniform(1, kMaxScanLength);
        if (op == Op::kUpdate || op == Op::kReadModifyWrite) {
          field = static_cast<int>(rng.uniform(0, kFields - 1));
          random_bytes(rng, val, kFieldBytes);
        }
      }
      uint64_t t0 = now_ns();
      if (in_batch == 0) lock.lock();
      if (op_writes(op) && !in_unit) st.pol.begin(), in_unit = true;
      bool ok = true;
      switch (op) {
        case Op::kRead: ok = kv.read(key_of(keynum), buf); break;
        case Op::kUpdate: ok = kv.update(key_of(keynum), field, val); break;
        case Op::kInsert: {
          uint64_t kn = insert_seq++;
          kv.insert(key_of(kn), val);
          last_value.store(kn, std::memory_order_release);
          break;
        }
        case Op::kScan: kv.scan(key_of(keynum), scan_len, buf); break;
        case Op::kReadModifyWrite:
          ok = kv.read(key_of(keynum), buf) && kv.update(key_of(keynum), field, val);
          break;
        default: break;
      }
      if (++in_batch == a.batch || i + 1 == nops) {
        if (in_unit) st.pol.commit(), in_unit = false;
        in_batch = 0;
        lock.unlock();
      }
      samples[tid].by_op[static_cast<int>(op)].push_back(now_ns() - t0);
      if (!ok) misses.fetch_add(1, std::memory_order_relaxed);
    }
  };
  uint64_t t_run = now_ns();
  std::vector<std::thread> threads;
  for (unsigned t = 0; t < a.threads; ++t)
    threads.emplace_back(worker, t, a.ops / a.threads + (t < a.ops % a.threads ? 1 : 0));
  for (auto &t : threads) t.join();
  double run_s = static_cast<double>(now_ns() - t_run) / 1e9;
  if (misses.load() != 0) fatal("ycsb", ("operations on missing keys: " + std::to_string(misses.load())).c_str());

  if (a.verify) {
    uint64_t expect = insert_seq;
    if (kv.size() != expect) fatal("verify", "record count mismatch");
    for (uint64_t k = 0; k < expect; ++k)
      if (!kv.read(key_of(k), out)) fatal("verify", "a record is missing");
    if (ordered && kv.check_ordered() != expect) fatal("verify", "ordered index size mismatch");
  }

  RunInfo ri;
  st.measure(&ri);
  check_instrumented<Policy>(ri);
  CsvOut csv(a);
  csv.row("load", "INSERT", summarize(load_ns), load_s, a.records, ri);
  std::vector<uint64_t> all;
  for (int o = 0; o < static_cast<int>(Op::kCount); ++o) {
    std::vector<uint64_t> merged;
    for (auto &s : samples) merged.insert(merged.end(), s.by_op[o].begin(), s.by_op[o].end());
    if (merged.empty()) continue;
    all.insert(all.end(), merged.begin(), merged.end());
    csv.row("run", op_name(static_cast<Op>(o)), summarize(std::move(merged)), run_s, a.ops, ri);
  }
  Summary total = summarize(all);
  csv.row("run", "ALL", total, run_s, a.ops, ri);
  st.close();
  csv.flush();
  fprintf(stderr,
          "ycsb %c %-10s %-4s T=%u k=%u seed=%" PRIu64 " rep=%u: load %.0f ops/s, run %.0f ops/s (p50 %.2f us), "
          "peak RSS %ld MiB, meta %ld KiB\n",
          a.workload, a.policy.c_str(), a.storage.c_str(), a.threads, a.batch, a.seed, a.rep,
          static_cast<double>(a.records) / load_s, static_cast<double>(a.ops) / run_s, total.p50_us,
          peak_rss_kb() / 1024, ri.meta_kb);
  return 0;
}

// ---- b-tree -------------------------------------------------------------------------------------

template <typename Policy>
int run_btree(const Args &a) {
  const uint64_t n = a.keys;
  size_t bytes = a.arena_mb ? a.arena_mb << 20 : kHeaderBytes + n * 96 + (4u << 20);
  Rng rng(a.seed);
  std::vector<uint64_t> keys(n);
  {
    std::vector<uint64_t> seen;
    for (auto &k : keys) k = rng.next() | 1;  // 0 is never a key (helps spot zeroed memory)
    seen = keys;
    std::sort(seen.begin(), seen.end());
    if (std::adjacent_find(seen.begin(), seen.end()) != seen.end()) fatal("btree", "duplicate random key; change --seed");
  }
  auto shuffle = [&](std::vector<uint64_t> v) {
    for (size_t i = v.size(); i > 1; --i) std::swap(v[i - 1], v[rng.next() % i]);
    return v;
  };
  std::vector<uint64_t> read_order = shuffle(keys), delete_order = shuffle(keys);
  std::vector<uint64_t> ns[3];
  for (auto &v : ns) v.reserve(n);

  Store<Policy> st;
  st.open(a, bytes);
  Arena<Policy> arena(st.pol, st.base, st.size);
  BTree<Policy> tree(arena, kRootBTree);
  st.pol.begin();
  arena.format(st.size);
  st.pol.commit();

  double secs[3];
  uint64_t t = now_ns();
  for (uint64_t k : keys) {
    uint64_t t0 = now_ns();
    st.pol.begin();
    tree.put(k, ~k);
    st.pol.commit();
    ns[0].push_back(now_ns() - t0);
  }
  secs[0] = static_cast<double>(now_ns() - t) / 1e9;
  if (a.verify && tree.check() != n) fatal("verify", "b-tree size after inserts");
  uint64_t bad = 0;
  t = now_ns();
  for (uint64_t k : read_order) {
    uint64_t t0 = now_ns(), v = 0;
    bad += !tree.get(k, &v) || v != ~k;
    ns[1].push_back(now_ns() - t0);
  }
  secs[1] = static_cast<double>(now_ns() - t) / 1e9;
  if (bad) fatal("btree", "reads returned wrong values");
  RunInfo ri;
  st.measure(&ri);  // at rest with the tree full: the interesting memory point
  t = now_ns();
  for (uint64_t k : delete_order) {
    uint64_t t0 = now_ns();
    st.pol.begin();
    bad += !tree.remove(k);
    st.pol.commit();
    ns[2].push_back(now_ns() - t0);
    if (a.verify && (delete_order.size() < 5000 || (ns[2].size() % 4096) == 0)) tree.check();
  }
  secs[2] = static_cast<double>(now_ns() - t) / 1e9;
  if (bad || tree.check() != 0) fatal("btree", "deletes failed");
  RunInfo ri_end;
  st.measure(&ri_end);
  ri.fams_dirty_lines = ri_end.fams_dirty_lines, ri.fams_commits = ri_end.fams_commits;
  ri.fams_logged_at_store = ri_end.fams_logged_at_store;
  check_instrumented<Policy>(ri);
  CsvOut csv(a);
  const char *names[3] = {"INSERT", "READ", "DELETE"};
  for (int p = 0; p < 3; ++p) csv.row("run", names[p], summarize(ns[p]), secs[p], n, ri);
  st.close();
  csv.flush();
  fprintf(stderr, "btree %-10s %-4s seed=%" PRIu64 " rep=%u: insert %.0f, read %.0f, delete %.0f ops/s\n",
          a.policy.c_str(), a.storage.c_str(), a.seed, a.rep, n / secs[0], n / secs[1], n / secs[2]);
  return 0;
}

template <typename Policy>
int dispatch(const Args &a) {
  if (a.bench == "ycsb") return run_ycsb<Policy>(a);
  if (a.bench == "btree") return run_btree<Policy>(a);
  usage("bench must be ycsb or btree");
}

}  // namespace
}  // namespace harness

int main(int argc, char **argv) {
  using namespace harness;
  Args a = parse(argc, argv);
  if (a.policy == NonePolicy::kName) return dispatch<NonePolicy>(a);
#ifdef FAMSYNC_HARNESS_INSTRUMENTED
  if (a.policy == FamsyncPolicy::kName) return dispatch<FamsyncPolicy>(a);
#else
  if (a.policy == PmdkPolicy::kName) return dispatch<PmdkPolicy>(a);
  if (a.policy == MsyncPolicy::kName) return dispatch<MsyncPolicy>(a);
#endif
  usage(("policy '" + a.policy + "' is not in this build (" + kBuild + ")").c_str());
}
