// crash_explorer.cpp — famsync's crash-consistency checker (in the spirit of pmreorder/Jaaru and
// RocksDB's FaultInjectionEnv), driving the REAL commit and recovery code.
//
// A workload runs through the public API (fams_map / fams_will_write / memcpy / fams_msync /
// fams_rollback / fams_unmap) on the simulated persistence domain (sim_backend.hpp). After EVERY
// persistence event the explorer builds crash images from the pending units (all subsets when
// there are at most --exhaustive of them, else none/all/singles/prefixes/suffixes/random subsets;
// plus torn units), writes each to a scratch data file + log, runs the real fams_recover() on it
// (real file backend) and checks the oracle:
//   Invariant checked: recovery succeeds and the data equals the state of the last msync that
//   RETURNED, or — only while an msync is in flight — the state that msync commits.
// A sample of crash images whose log holds live entries is also recovered ON the simulator, and
// that recovery is crashed at each of its events (depth 1); those images must recover to the
// same bytes as the uninterrupted recovery.
// Identical crash images (same key, sim_backend.hpp) are recovered once and re-checked from a memo.
//
// Usage: crash_explorer --workload=random|odd-size|memcpy|small|overflow|threads|resize
//                       [--model=pmem|file] [--seed=S] [--rounds=N] [--exhaustive=12]
//                       [--random=8] [--torn=4] [--nested-every=25] [--nested-max=40]
//                       [--min-states=N] [--expect-violations] [--recover-with=sim|file]
// FAMSYNC_SIM_BREAK=skip-log-persist|drop-log-persist|no-drain-data|no-flush breaks the protocol
// (sim_backend.hpp); with --expect-violations the run passes only if violations were found.
// Exit status: 0 pass, 1 fail. Prints: crash states explored: N, violations: V, seed S, time T.
#include "sim_backend.hpp"

#include "../test_util.hpp"
#include "../workload.hpp"

#include "checksum.hpp"
#include "log_format.hpp"
#include "options.hpp"

#include <famsync/famsync.h>

#include <xxhash.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cinttypes>
#include <cstdarg>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fcntl.h>
#include <random>
#include <string>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>
#include <vector>

using namespace famsync;
using famsync::sim::Event;
using famsync::sim::FactoryMode;
using famsync::sim::Model;
using famsync::sim::SimBackend;
using famsync::sim::Unit;

namespace {

struct Args {
  std::string workload = "random";
  Model model = Model::pmem;
  uint64_t seed = 1;
  int rounds = 0;  // 0 = the workload's default
  unsigned exhaustive = 12;
  unsigned random_subsets = 8;
  unsigned torn_units = 4;
  unsigned nested_every = 25;
  unsigned nested_max = 40;
  uint64_t min_states = 1;
  bool expect_violations = false;
  bool recover_with_file = false;
};

struct Hash128 {
  uint64_t lo = 0, hi = 0;
  bool operator==(const Hash128 &o) const { return lo == o.lo && hi == o.hi; }
};
struct Hash128Hasher {
  size_t operator()(const Hash128 &h) const { return h.lo ^ (h.hi * 0x9e3779b97f4a7c15ull); }
};
Hash128 hash_bytes(const std::vector<uint8_t> &v) {
  XXH128_hash_t h = XXH3_128bits(v.data(), v.size());
  return {h.low64, h.high64};
}

[[noreturn]] void die(const char *what) {
  fprintf(stderr, "crash_explorer: %s: %s\n", what, strerror(errno));
  exit(1);
}

// A data file + log that crash images are written into and recovered in place. The scratch file
// carries a fixed identity (user.famsync) naming the log beside it; the image's header and
// identity block name the workload's file, so the explorer rebinds them to the scratch file.
class Scratch {
 public:
  Scratch(const std::string &path, uint64_t data_size) : path_(path) {
    data_fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (data_fd_ < 0 || ftruncate(data_fd_, static_cast<off_t>(data_size)) != 0) die(path.c_str());
    // The scratch file's identity: a fixed id, its log beside it (what fams_map would create).
    // One id per scratch file (the explorer keeps several side by side, each with its own log).
    uint64_t h = XXH3_64bits(path.data(), path.size());
    for (size_t i = 0; i < sizeof id_; ++i) id_[i] = static_cast<uint8_t>(h >> (8 * (i % 8)) ^ i);
    static const char hexdigits[] = "0123456789abcdef";
    std::string hex;
    for (uint8_t b : id_) hex += {hexdigits[b >> 4], hexdigits[b & 15]};
    std::string dir = path.substr(0, path.rfind('/'));
    std::string value = "famsync1 " + hex + " " + dir;
    if (fsetxattr(data_fd_, "user.famsync", value.data(), value.size(), 0) != 0) die("fsetxattr");
    std::string log_path = dir + "/.famsync-" + hex + ".log";
    log_fd_ = ::open(log_path.c_str(), O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    if (log_fd_ < 0) die(log_path.c_str());
    struct stat st;
    if (fstat(data_fd_, &st) != 0) die("fstat");
    ino_ = st.st_ino;
    dev_ = st.st_dev;
  }
  ~Scratch() {
    ::close(data_fd_);
    ::close(log_fd_);
  }
  const std::string &path() const { return path_; }

  void store(const std::vector<uint8_t> &data, const std::vector<uint8_t> &log) {
    // Every image sets the size too (the file's size is part of the crash image).
    if (ftruncate(data_fd_, static_cast<off_t>(data.size())) != 0) die("ftruncate data");
    put(data_fd_, data.data(), data.size(), 0);
    if (log.size() != log_size_) {
      if (ftruncate(log_fd_, static_cast<off_t>(log.size())) != 0) die("ftruncate log");
      log_size_ = log.size();
    }
    LogStaticHeader h;
    memcpy(&h, log.data(), sizeof h);
    h.data_ino = ino_;
    h.data_dev = dev_;
    h.checksum = static_header_checksum(h);
    put(log_fd_, &h, sizeof h, 0);
    put(log_fd_, log.data() + sizeof h, log.size() - sizeof h, sizeof h);
    LogIdentityBlock ident;  // the image names the workload's file: make it name this one
    memcpy(&ident, log.data() + kLogIdentityOffset, sizeof ident);
    memcpy(ident.file_id, id_, sizeof id_);
    ident.data_ino = ino_;
    ident.data_dev = dev_;
    ident.checksum = identity_checksum(ident, h.salt);
    put(log_fd_, &ident, sizeof ident, kLogIdentityOffset);
  }
  void load_data(std::vector<uint8_t> *out) {
    struct stat st;
    if (fstat(data_fd_, &st) != 0) die("fstat scratch");
    out->resize(static_cast<size_t>(st.st_size));
    if (pread(data_fd_, out->data(), out->size(), 0) != static_cast<ssize_t>(out->size()))
      die("pread scratch");
  }

 private:
  static void put(int fd, const void *p, size_t n, off_t off) {
    if (pwrite(fd, p, n, off) != static_cast<ssize_t>(n)) die("pwrite scratch");
  }
  std::string path_;
  int data_fd_ = -1, log_fd_ = -1;
  uint64_t log_size_ = 0;
  ino_t ino_ = 0;
  dev_t dev_ = 0;
  uint8_t id_[16];
};

// One way to pick granules: MASKS[i] applies to units[i]; WHAT names it for reports.
struct Selection {
  std::vector<uint8_t> masks;
  const char *what;
};

// Enumerates the crash selections of one event (see the file banner).
template <class F>
void for_each_selection(const std::vector<Unit> &units, std::mt19937_64 &rng, unsigned exhaustive,
                        unsigned random_subsets, unsigned torn_units, F &&visit) {
  size_t n = units.size();
  Selection s{std::vector<uint8_t>(n, 0), "none"};
  auto full = [&](size_t i) { return units[i].dirty_mask; };
  visit(s);  // nothing in flight persisted (also the only image when nothing is pending)
  if (n == 0) return;
  if (n <= exhaustive) {
    for (uint64_t bits = 1; bits < (1ull << n); ++bits) {
      s.what = "subset";
      for (size_t i = 0; i < n; ++i) s.masks[i] = (bits >> i & 1) ? full(i) : 0;
      visit(s);
    }
  } else {
    s.what = "all";
    for (size_t i = 0; i < n; ++i) s.masks[i] = full(i);
    visit(s);
    s.what = "single";
    for (size_t i = 0; i < n; ++i) {
      std::fill(s.masks.begin(), s.masks.end(), 0);
      s.masks[i] = full(i);
      visit(s);
    }
    // Prefixes and suffixes in program order (units are sorted by first write). All prefix
    // lengths while cheap: a prefix of this event is a prefix of a later one, so the memo makes
    // them nearly free across events.
    std::vector<size_t> lens;
    for (size_t k = 1; k < n; ++k)
      if (n <= 64 || k % (n / 32) == 0 || n - k <= 4) lens.push_back(k);
    s.what = "prefix";
    for (size_t k : lens) {
      for (size_t i = 0; i < n; ++i) s.masks[i] = i < k ? full(i) : 0;
      visit(s);
    }
    s.what = "suffix";
    for (size_t k : {size_t{1}, size_t{2}, size_t{3}, n / 4, n / 2, 3 * n / 4, n - 2, n - 1}) {
      if (k == 0 || k >= n) continue;
      for (size_t i = 0; i < n; ++i) s.masks[i] = i >= n - k ? full(i) : 0;
      visit(s);
    }
    s.what = "random";
    for (unsigned r = 0; r < random_subsets; ++r) {
      unsigned p = r % 3 == 0 ? 10 : r % 3 == 1 ? 50 : 90;  // sparse, even, dense
      for (size_t i = 0; i < n; ++i) s.masks[i] = rng() % 100 < p ? full(i) : 0;
      visit(s);
    }
  }
  // Torn units: a subset of one unit's granules (8-byte words / 512 B sectors) with every other
  // unit absent or present. Always the unit written last, plus random others.
  std::vector<size_t> pick;
  size_t newest = 0;
  for (size_t i = 1; i < n; ++i)
    if (units[i].first_seq >= units[newest].first_seq) newest = i;
  pick.push_back(newest);
  for (unsigned t = 1; t < torn_units && t < n; ++t) pick.push_back(rng() % n);
  for (size_t i : pick) {
    uint8_t dm = full(i);
    if (__builtin_popcount(dm) < 2) continue;
    uint8_t low = static_cast<uint8_t>(dm & (dm - 1) ? dm & -dm : 0);  // lowest granule only
    uint8_t halves[3] = {low, static_cast<uint8_t>(dm & 0x0f), static_cast<uint8_t>(rng() & dm)};
    for (uint8_t sub : halves) {
      if (sub == 0 || sub == dm) continue;
      for (bool others : {false, true}) {
        s.what = others ? "torn+all" : "torn";
        for (size_t j = 0; j < n; ++j) s.masks[j] = others ? full(j) : 0;
        s.masks[i] = sub;
        visit(s);
      }
    }
  }
  if (n > 1) {  // everything torn at random
    s.what = "torn-random";
    for (size_t i = 0; i < n; ++i) s.masks[i] = static_cast<uint8_t>(rng() & full(i));
    visit(s);
  }
}

// Each scratch file lives in a directory of its own: a map in the workload's directory collects
// the logs there that nobody holds locked (log_gc.hpp), and a scratch log is such a log.
std::string scratch_path(const std::string &dir, const char *name) {
  std::string sub = dir + "/scratch-" + name;
  if (mkdir(sub.c_str(), 0700) != 0 && errno != EEXIST) die(sub.c_str());
  return sub + "/data";
}

class Explorer {
 public:
  Explorer(const Args &a, const std::string &dir, uint64_t data_size)
      : args_(a), data_size_(data_size), rng_(a.seed * 0x2545f4914f6cdd1dull + 1),
        top_(scratch_path(dir, "top"), data_size), nested_(scratch_path(dir, "nested"), data_size),
        inner_(scratch_path(dir, "inner"), data_size), buf_(data_size) {}

  // ---- Oracle, driven by the workload (never while store threads run) ----
  void set_committed(const std::vector<uint8_t> &s) {
    committed_ = hash_bytes(s);
    committed_size_ = s.size();
    committed_bytes_ = s;
    in_commit_ = false;
  }
  void begin_commit(const std::vector<uint8_t> &next) {
    next_ = hash_bytes(next);
    next_size_ = next.size();
    next_bytes_ = next;
    in_commit_ = true;
  }
  void end_commit(const std::vector<uint8_t> &now_committed) { set_committed(now_committed); }

  // The observer of the workload's backends.
  void on_event(SimBackend &sim, const Event &e) {
    current_ = &sim;
    Allowed allowed{committed_, next_, in_commit_, committed_size_, next_size_};
    explore(sim, e, allowed, /*parent=*/nullptr);
  }

  void violation(const char *fmt, ...) __attribute__((format(printf, 2, 3))) {
    ++violations_;
    if (violations_ > 12) return;
    va_list ap;
    va_start(ap, fmt);
    fprintf(stderr, "VIOLATION (seed %" PRIu64 ", workload %s, model %s, break %s): ", args_.seed,
            args_.workload.c_str(), args_.model == Model::pmem ? "pmem" : "file",
            sim::break_name(sim::break_from_env()));
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
  }

  // Does the real recovery of DATA+LOG succeed and yield WANT?
  bool recovers_to(const std::vector<uint8_t> &data, const std::vector<uint8_t> &log,
                   const std::vector<uint8_t> &want) {
    Outcome o = recover_real(top_, data, log);
    return o.rc == 0 && o.data == hash_bytes(want);
  }

  SimBackend *current() const { return current_; }
  void forget_backend() { current_ = nullptr; }
  uint64_t states() const { return states_; }
  uint64_t memo_hits() const { return memo_hits_; }
  uint64_t live_states() const { return live_states_; }
  uint64_t nested_runs() const { return nested_runs_; }
  uint64_t nested_states() const { return nested_states_; }
  uint64_t events() const { return events_; }
  uint64_t violations() const { return violations_; }

 private:
  struct Allowed {
    Hash128 old_state, new_state;
    bool new_ok;
    size_t old_size, new_size;  // for reports
    bool ok(const Hash128 &h) const { return h == old_state || (new_ok && h == new_state); }
  };
  struct Outcome {
    int rc;
    Hash128 data;
    size_t size;
  };

  // Recovers DATA+LOG with the real fams_recover() on SCRATCH; returns rc and the result's hash.
  // --recover-with=file: the real file backend does the I/O (one pread + one pwrite per live
  // entry: ~5x slower here). sim (default): the same open/validate/recover_entries code, on a
  // quiet in-memory SimBackend whose final data image is taken when fams_recover drops it.
  Outcome recover_real(Scratch &scratch, const std::vector<uint8_t> &data,
                       const std::vector<uint8_t> &log) {
    scratch.store(data, log);
    FactoryMode mode;  // default: passthrough to the real backend
    bool captured = false;
    if (!args_.recover_with_file) {
      mode.passthrough = false;
      mode.force_model = true;
      mode.write_through = false;
      mode.on_destroy = [&](const SimBackend &s) {
        buf_ = s.visible(Medium::data);
        captured = true;
      };
    }
    FactoryMode old = sim::set_thread_mode(std::move(mode));
    int rc = fams_recover(scratch.path().c_str());
    sim::set_thread_mode(std::move(old));
    if (!captured) scratch.load_data(&buf_);  // file backend, or no log: nothing was recovered
    return {rc, hash_bytes(buf_), buf_.size()};
  }

  // Where the last recovered image (buf_) first differs from the allowed states, for reports.
  std::string first_difference(bool with_next) const {
    auto diff = [&](const std::vector<uint8_t> &want) {
      size_t n = std::min(want.size(), buf_.size()), i = 0;
      while (i < n && want[i] == buf_[i]) ++i;
      return i < n ? std::to_string(i) : want.size() == buf_.size() ? "-" : "size";
    };
    std::string r = "; first difference from committed at " + diff(committed_bytes_);
    if (with_next) r += ", from in flight at " + diff(next_bytes_);
    return r;
  }

  // Whether LOG has something for recovery to do: undo, live entries; redo, a group of the
  // current generation at slot 0 (a commit since the last checkpoint).
  static bool log_is_live(const std::vector<uint8_t> &log) {
    LogStaticHeader st;
    LogDynamicHeader h;
    memcpy(&st, log.data(), sizeof st);
    memcpy(&h, log.data() + kLogGenerationOffset, sizeof h);
    if (st.protocol == static_cast<uint32_t>(LogProtocol::undo))
      return live_entries(h, kLogFormatVersion) != 0;
    if (log.size() < log_entry_offset(0) + sizeof(RedoGroupHeader)) return false;
    RedoGroupHeader g;
    memcpy(&g, log.data() + log_entry_offset(0), sizeof g);
    return redo_header_is_valid(g, st.salt, h.generation);
  }

  // Crash images at one event of SIM. PARENT is null for the workload's backend; for a
  // recovery running on the simulator it is the outcome the uninterrupted recovery gave.
  void explore(SimBackend &sim, const Event &e, const Allowed &allowed, const Outcome *parent) {
    ++events_;
    // A run that only has to show the protocol is broken stops exploring once that is shown.
    if (args_.expect_violations && violations_ >= 100) return;
    std::vector<Unit> units = sim.pending_units();
    std::vector<SimBackend::UnitHash> full = sim.unit_hashes(units);
    std::vector<uint8_t> data, log;
    auto &memo = parent ? nested_memo_ : memo_;
    bool nested = parent != nullptr;
    for_each_selection(
        units, rng_, nested ? 8 : args_.exhaustive, nested ? 3 : args_.random_subsets,
        nested ? 2 : args_.torn_units, [&](const Selection &s) {
          uint64_t k[2];
          sim.image_key(units, s.masks, full, k);
          Hash128 key{k[0], k[1]};
          Outcome out;
          bool fresh = false;
          if (auto it = memo.find(key); it != memo.end()) {
            out = it->second;
            ++memo_hits_;
          } else {
            sim.crash_image(units, s.masks, &data, &log);
            out = recover_real(nested ? inner_ : top_, data, log);
            memo.emplace(key, out);
            fresh = true;
            ++(nested ? nested_states_ : states_);
            if (!nested && log_is_live(log)) ++live_states_;
          }
          if (out.rc != 0) {
            violation("%s event %" PRIu64 " (%s %s off %" PRIu64 " len %" PRIu64
                      "), %zu units, selection %s: recovery failed: %s",
                      nested ? "recovery" : "workload", e.seq, sim::kind_name(e.kind),
                      e.medium == Medium::data ? "data" : "log", e.off, e.len, units.size(),
                      s.what, fams_strerror(out.rc));
          } else if (!allowed.ok(out.data)) {
            violation("%s event %" PRIu64 " (%s %s off %" PRIu64 " len %" PRIu64
                      "), %zu units, selection %s: recovered data (%zu bytes) is %s (%zu bytes%s%s)%s",
                      nested ? "recovery" : "workload", e.seq, sim::kind_name(e.kind),
                      e.medium == Medium::data ? "data" : "log", e.off, e.len, units.size(),
                      s.what, out.size,
                      allowed.new_ok ? "neither the last committed state nor the one in flight"
                                     : "not the last committed state (no msync in flight)",
                      allowed.old_size, allowed.new_ok ? ", in flight: " : "",
                      allowed.new_ok ? std::to_string(allowed.new_size).c_str() : "",
                      first_difference(allowed.new_ok).c_str());
          } else if (parent != nullptr && !(out.data == parent->data)) {
            violation("crash during recovery at its event %" PRIu64 " (selection %s): recovering "
                      "again gave other bytes than the uninterrupted recovery",
                      e.seq, s.what);
          }
          // Depth 1: crash the recovery of a sample of images that have something to undo.
          if (fresh && !nested && out.rc == 0 && log_is_live(log) &&
              nested_runs_ < args_.nested_max && ++nested_candidates_ % args_.nested_every == 1)
            crash_recovery(sim.model(), data, log, allowed, out);
        });
  }

  void crash_recovery(Model model, const std::vector<uint8_t> &data,
                      const std::vector<uint8_t> &log, const Allowed &allowed,
                      const Outcome &uninterrupted) {
    ++nested_runs_;
    nested_.store(data, log);
    FactoryMode mode;
    mode.passthrough = false;
    mode.force_model = true;
    mode.model = model;
    mode.observer = [&](SimBackend &s, const Event &ev) {
      explore(s, ev, allowed, &uninterrupted);
    };
    FactoryMode old = sim::set_thread_mode(std::move(mode));
    int rc = fams_recover(nested_.path().c_str());
    sim::set_thread_mode(std::move(old));
    if (rc != 0) violation("recovery on the simulator failed: %s", fams_strerror(rc));
  }

  const Args &args_;
  uint64_t data_size_;
  std::mt19937_64 rng_;
  Scratch top_, nested_, inner_;
  std::vector<uint8_t> buf_;
  std::unordered_map<Hash128, Outcome, Hash128Hasher> memo_, nested_memo_;
  Hash128 committed_, next_;
  size_t committed_size_ = 0, next_size_ = 0;
  std::vector<uint8_t> committed_bytes_, next_bytes_;  // for reports
  bool in_commit_ = false;
  SimBackend *current_ = nullptr;
  uint64_t states_ = 0, memo_hits_ = 0, live_states_ = 0, events_ = 0, violations_ = 0;
  uint64_t nested_runs_ = 0, nested_states_ = 0, nested_candidates_ = 0;
};

// ---- Workloads ----------------------------------------------------------------------------------

class Driver {
 public:
  Driver(Explorer &ex, const Args &a, std::string path, std::vector<uint8_t> initial)
      : ex_(ex), args_(a), path_(std::move(path)), shadow_(initial),
        committed_(std::move(initial)) {
    ex_.set_committed(committed_);
    map();
  }

  uint8_t *image() { return img_; }
  size_t size() const { return shadow_.size(); }
  fams_region *region() { return r_; }

  void write(size_t off, const void *src, size_t len) {
    if (off + len > shadow_.size()) fail("workload: write past the end of the file", EINVAL);
    if (int rc = fams_will_write(img_ + off, len)) fail("fams_will_write", rc);
    memcpy(img_ + off, src, len);
    memcpy(shadow_.data() + off, src, len);
    pending_end_ = std::max(pending_end_, off + len);
  }

  // fams_resize. Growth: pending (a crash or rollback restores the committed size). Shrinking:
  // committed at once — the oracle moves to the committed state cut to the new size. (A shrink
  // below a pending write would also commit everything first: the workloads do not do that.)
  void resize(size_t n) {
    if (n < shadow_.size()) {
      if (pending_end_ > n) fail("workload: shrink below a pending write", EINVAL);
      std::vector<uint8_t> cut(committed_.begin(), committed_.begin() + std::min(n, committed_.size()));
      ex_.begin_commit(cut);
      if (int rc = fams_resize(r_, n)) fail("fams_resize (shrink)", rc);
      committed_ = std::move(cut);
      ex_.end_commit(committed_);
      shadow_.resize(n);
      check_after_commit("fams_resize (shrink)");
    } else {
      if (int rc = fams_resize(r_, n)) fail("fams_resize (grow)", rc);
      shadow_.resize(n, 0);
    }
    if (file_size() != n) ex_.violation("fams_resize(%zu) left the file at %zu bytes", n, file_size());
  }
  // For stores made by other threads: they announce and store; we only mirror the bytes.
  void mirror(size_t off, const void *src, size_t len) { memcpy(shadow_.data() + off, src, len); }

  void commit() {
    ex_.begin_commit(shadow_);
    if (int rc = fams_msync(r_)) fail("fams_msync", rc);
    committed_ = shadow_;
    pending_end_ = 0;
    ex_.end_commit(committed_);
    check_after_commit("fams_msync");
    if (file_size() != committed_.size())
      ex_.violation("after fams_msync the file has %zu bytes, the commit %zu", file_size(),
                    committed_.size());
  }

  void rollback() {
    if (int rc = fams_rollback(r_)) fail("fams_rollback", rc);
    shadow_ = committed_;
    pending_end_ = 0;
    if (memcmp(img_, committed_.data(), committed_.size()) != 0)
      ex_.violation("fams_rollback did not restore the working copy to the last commit");
    if (file_size() != committed_.size())
      ex_.violation("fams_rollback left the file at %zu bytes, not its committed %zu", file_size(),
                    committed_.size());
  }

  // Commit through fams_unmap, then map again (recovery at open runs on the simulator too).
  void unmap_and_remap() {
    ex_.begin_commit(shadow_);
    if (int rc = fams_unmap(r_)) fail("fams_unmap", rc);
    ex_.forget_backend();
    committed_ = shadow_;
    pending_end_ = 0;
    ex_.end_commit(committed_);
    map();
    if (memcmp(img_, committed_.data(), committed_.size()) != 0)
      ex_.violation("after unmap + map the working copy is not the last commit");
  }

  void finish() {
    ex_.begin_commit(shadow_);
    if (int rc = fams_unmap(r_)) fail("fams_unmap", rc);
    ex_.forget_backend();
    committed_ = shadow_;
    ex_.end_commit(committed_);
    sim::set_thread_mode(FactoryMode{});
    if (int rc = fams_recover(path_.c_str())) fail("final fams_recover", rc);
    if (test::read_file(path_) != committed_)
      ex_.violation("the file is not the last commit at the end");
  }

  [[noreturn]] void fail(const char *what, int rc) {
    fprintf(stderr, "crash_explorer: %s failed: %s (%s); seed %" PRIu64 "\n", what,
            fams_strerror(rc), fams_last_error_message(), args_.seed);
    exit(1);
  }

 private:
  void map() {
    FactoryMode mode;
    mode.passthrough = false;
    mode.brk = sim::break_from_env();
    mode.observer = [this](SimBackend &s, const Event &e) { ex_.on_event(s, e); };
    sim::set_thread_mode(std::move(mode));
    unsigned flags = args_.model == Model::pmem ? FAMS_MAP_FORCE_PMEM : FAMS_MAP_FORCE_FILE;
    if (int rc = fams_map(path_.c_str(), flags, &r_)) fail("fams_map", rc);
    img_ = static_cast<uint8_t *>(fams_region_addr(r_));
  }

  // Without a crash the commit must be durable: recovering the persisted images (and the
  // visible ones, i.e. a process kill without power loss) gives it. Protocol-agnostic on
  // purpose: with a redo log the data file may legitimately lag behind the commit.
  void check_after_commit(const char *what) {
    SimBackend *sim = ex_.current();
    if (sim == nullptr) return;  // nothing was ever written through this backend
    if (!ex_.recovers_to(sim->persisted(Medium::data), sim->persisted(Medium::log), committed_))
      ex_.violation("after %s returned, recovering the durable images does not give the commit",
                    what);
    if (!ex_.recovers_to(sim->visible(Medium::data), sim->visible(Medium::log), committed_))
      ex_.violation("after %s returned, recovering the visible images does not give the commit",
                    what);
  }

  size_t file_size() const {
    struct stat st;
    return ::stat(path_.c_str(), &st) == 0 ? static_cast<size_t>(st.st_size) : SIZE_MAX;
  }

  Explorer &ex_;
  const Args &args_;
  size_t pending_end_ = 0;  // end of the highest write since the last commit or rollback
  std::string path_;
  fams_region *r_ = nullptr;
  uint8_t *img_ = nullptr;
  std::vector<uint8_t> shadow_, committed_;
};

// workload.hpp rounds; every 5th round noise is rolled back first, every 7th commits by unmap.
void run_rounds(Driver &d, uint64_t seed, int rounds) {
  for (int r = 1; r <= rounds; ++r) {
    if (r % 5 == 0) {
      for (const test::Write &w : test::round_writes(d.size(), seed ^ 0xdeadbeef, r))
        d.write(w.offset, w.bytes.data(), w.bytes.size());
      d.rollback();
    }
    for (const test::Write &w : test::round_writes(d.size(), seed, r))
      d.write(w.offset, w.bytes.data(), w.bytes.size());
    if (r % 7 == 0) d.unmap_and_remap();
    else d.commit();
  }
}

// Large memcpy's: 1..3 ranges of 2..16 KiB per commit, so write-back runs span many units.
void run_memcpy(Driver &d, uint64_t seed, int rounds) {
  std::mt19937_64 rng(seed);
  for (int r = 1; r <= rounds; ++r) {
    for (int k = 0, n = 1 + rng() % 3; k < n; ++k) {
      size_t len = std::min<size_t>(d.size(), 2048 + rng() % (14 * 1024));
      size_t off = rng() % (d.size() - len + 1);
      std::vector<uint8_t> src = test::pattern(len, rng());
      d.write(off, src.data(), len);
    }
    d.commit();
  }
}

// Many small commits: one or two writes of 1..16 bytes each.
void run_small(Driver &d, uint64_t seed, int rounds) {
  std::mt19937_64 rng(seed);
  for (int r = 1; r <= rounds; ++r) {
    for (int k = 0, n = 1 + rng() % 2; k < n; ++k) {
      size_t len = 1 + rng() % 16;
      size_t off = rng() % (d.size() - len + 1);
      std::vector<uint8_t> src = test::pattern(len, rng());
      d.write(off, src.data(), len);
    }
    if (r % 11 == 0) d.rollback();
    d.commit();
  }
}

// Four threads store concurrently to every line of a stripe (each its own 8-byte word of the
// line, so all contend on the same lines), then one commit.
void run_threads(Driver &d, uint64_t seed, int rounds) {
  const int kThreads = 4;
  for (int r = 1; r <= rounds; ++r) {
    size_t lines = d.size() / 64;
    size_t first = (seed + r * 37) % lines, count = std::min<size_t>(lines - first, 48);
    std::vector<std::thread> pool;
    std::atomic<int> bad{0};
    for (int t = 0; t < kThreads; ++t) {
      pool.emplace_back([&, t] {
        for (size_t line = first; line < first + count; ++line) {
          auto *w = reinterpret_cast<uint64_t *>(d.image() + line * 64 + t * 16);
          if (fams_will_write(w, 8) != 0) bad.fetch_add(1);
          std::atomic_ref<uint64_t>(*w).store(seed * 1000003 + r * 131 + t * 7 + line,
                                              std::memory_order_relaxed);
        }
      });
    }
    for (auto &th : pool) th.join();
    if (bad.load() != 0) d.fail("fams_will_write from a thread", FAMS_ENOTTRACKED);
    for (int t = 0; t < kThreads; ++t)
      for (size_t line = first; line < first + count; ++line) {
        uint64_t v = seed * 1000003 + r * 131 + t * 7 + line;
        d.mirror(line * 64 + t * 16, &v, 8);
      }
    d.commit();
  }
}

// File size changes (fams_resize; ftruncate in instrumented programs): growth is committed with
// the next msync, or undone by a crash or rollback; shrinking is committed at once. Sizes are
// odd on purpose (partial last lines and pages); the file stays within the map-time mapping.
void run_resize(Driver &d, uint64_t seed, int rounds) {
  std::mt19937_64 rng(seed);
  const size_t max = d.size();
  auto write_some = [&](size_t lo, size_t hi, int n) {  // n writes inside [lo, hi)
    for (int k = 0; k < n && hi > lo; ++k) {
      size_t len = std::min<size_t>(hi - lo, 1 + rng() % 300);
      size_t off = lo + rng() % (hi - lo - len + 1);
      std::vector<uint8_t> src = test::pattern(len, rng());
      d.write(off, src.data(), len);
    }
  };
  d.resize(max / 2 + 13);  // room to grow; a shrink first
  for (int r = 1; r <= rounds; ++r) {
    size_t n = d.size();
    size_t grown = std::min(max, n + 1 + rng() % 3000);
    switch (r % 5) {
      case 0:  // grow, write old and new bytes, commit
      case 1:
        d.resize(grown);
        write_some(0, n, 2);
        write_some(n, grown, 2);
        d.commit();
        break;
      case 2:  // grow and write, then roll it all back (size too); then commit other writes
        d.resize(grown);
        write_some(n > 64 ? n - 64 : 0, grown, 3);
        d.rollback();
        write_some(0, d.size(), 2);
        d.commit();
        break;
      case 3: {  // pending writes below the new end, shrink, commit them
        size_t small = std::max<size_t>(512, n - rng() % (n / 3 + 1));
        write_some(0, small, 3);
        d.resize(small);
        d.commit();
        break;
      }
      case 4:  // a growth alone: the commit records only the size
        d.resize(grown);
        d.commit();
        break;
    }
  }
}

bool parse(int argc, char **argv, Args *a) {
  for (int i = 1; i < argc; ++i) {
    std::string s = argv[i];
    auto val = [&](const char *name) -> const char * {
      size_t n = strlen(name);
      return s.compare(0, n, name) == 0 ? s.c_str() + n : nullptr;
    };
    if (const char *v = val("--workload=")) a->workload = v;
    else if (const char *v = val("--model=")) {
      if (strcmp(v, "pmem") == 0) a->model = Model::pmem;
      else if (strcmp(v, "file") == 0) a->model = Model::file;
      else return false;
    } else if (const char *v = val("--seed=")) a->seed = strtoull(v, nullptr, 10);
    else if (const char *v = val("--rounds=")) a->rounds = atoi(v);
    else if (const char *v = val("--exhaustive=")) a->exhaustive = std::min(16, atoi(v));
    else if (const char *v = val("--random=")) a->random_subsets = atoi(v);
    else if (const char *v = val("--torn=")) a->torn_units = atoi(v);
    else if (const char *v = val("--nested-every=")) a->nested_every = std::max(1, atoi(v));
    else if (const char *v = val("--nested-max=")) a->nested_max = atoi(v);
    else if (const char *v = val("--min-states=")) a->min_states = strtoull(v, nullptr, 10);
    else if (s == "--expect-violations") a->expect_violations = true;
    else if (s == "--recover-with=file") a->recover_with_file = true;
    else if (s == "--recover-with=sim") a->recover_with_file = false;
    else return false;
  }
  return true;
}

}  // namespace

int main(int argc, char **argv) {
  Args a;
  if (!parse(argc, argv, &a)) {
    fprintf(stderr, "usage: see the banner of tests/sim/crash_explorer.cpp\n");
    return 2;
  }
  auto t0 = std::chrono::steady_clock::now();
  struct W {
    const char *name;
    size_t size;
    int rounds;
    void (*run)(Driver &, uint64_t, int);
  };
  const W workloads[] = {
      // Sizes and rounds keep each run at roughly 5-15 s on one core (see CMakeLists.txt).
      {"random", 16384, 14, run_rounds},   {"odd-size", 10001, 12, run_rounds},
      {"memcpy", 32768, 3, run_memcpy},    {"small", 8192, 200, run_small},
      {"overflow", 16384, 10, run_rounds}, {"threads", 16384, 10, run_threads},
      {"resize", 16384, 15, run_resize},
  };
  const W *w = nullptr;
  for (const W &x : workloads)
    if (a.workload == x.name) w = &x;
  if (w == nullptr) {
    fprintf(stderr, "crash_explorer: unknown workload %s\n", a.workload.c_str());
    return 2;
  }
  int rounds = a.rounds > 0 ? a.rounds : w->rounds;
  // /dev/shm: the per-state cost is dominated by recovery syscalls; tmpfs keeps them cheap.
  test::TempDir dir(test::Medium::shm_pmem);
  std::string path = dir.file("data");
  std::vector<uint8_t> initial = test::pattern(w->size, a.seed);
  test::write_file(path, initial);
  Explorer ex(a, dir.path(), w->size);
  {
    Driver d(ex, a, path, initial);
    w->run(d, a.seed, rounds);
    if (a.workload == "overflow") {  // the log-full paths must really have run
      fams_stat_counters st;
      fams_stats(d.region(), &st);
      fams_stat_counters tot;
      fams_stats(nullptr, &tot);
      // Undo (pmem, FAMSYNC_PMEM_PROTOCOL=undo): store-path overflow, commit-time logging and
      // growth. Redo (both models) must at least have grown the log.
      bool undo = a.model == Model::pmem && pmem_protocol() == PmemProtocol::undo;
      bool overflowed = undo ? tot.logged_at_commit > 0 && tot.log_grows > 0
                             : tot.logged_at_commit + tot.log_grows > 0;
      if (!overflowed) {
        fprintf(stderr, "crash_explorer: overflow workload never overflowed the log "
                        "(run it with FAMSYNC_LOG_ENTRIES=4)\n");
        return 1;
      }
    }
    d.finish();
  }
  double secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  uint64_t total = ex.states() + ex.nested_states();
  printf("%s/%s%s break=%s: %" PRIu64 " events, %" PRIu64 " crash images recovered (%" PRIu64
         " with a live log), %" PRIu64 " memo re-checks, %" PRIu64 " recoveries crashed -> %" PRIu64
         " images\n",
         a.workload.c_str(), a.model == Model::pmem ? "pmem" : "file",
         a.model != Model::pmem                                   ? ""
         : pmem_protocol() == PmemProtocol::undo ? " (undo)"
                                                         : " (redo)",
         sim::break_name(sim::break_from_env()), ex.events(), ex.states(), ex.live_states(),
         ex.memo_hits(), ex.nested_runs(), ex.nested_states());
  printf("crash states explored: %" PRIu64 ", violations: %" PRIu64 ", seed %" PRIu64
         ", time %.1f s\n",
         total, ex.violations(), a.seed, secs);
  fflush(stdout);
  if (a.expect_violations) {
    if (ex.violations() == 0) {
      fprintf(stderr, "crash_explorer: expected the broken protocol to be caught, it was not\n");
      return 1;
    }
    return 0;
  }
  if (total < a.min_states) {
    fprintf(stderr, "crash_explorer: only %" PRIu64 " crash states (want >= %" PRIu64 ")\n", total,
            a.min_states);
    return 1;
  }
  return ex.violations() == 0 ? 0 : 1;
}
