// sim_backend.hpp — a simulated persistence domain for crash-consistency checking (tests only).
//
// SimBackend implements famsync::Backend (src/backend.hpp) and is installed through
// set_backend_factory_for_testing, so the REAL Region::commit / recover_entries code runs on it.
// For each medium (data, log) it keeps two images:
//   visible   — what the program reads back (read() serves it); every write lands here at once;
//   persisted — what survives a power failure right now.
// Bytes move from visible to persisted only at persist(), following a hardware model:
//   pmem (x86): write() = NT stores, write_word() = store + clwb: both pending until the next
//               persist() (sfence), which is GLOBAL: it drains both media. stage() = ordinary
//               cached stores: pending (a cache eviction may persist them at any time) and NOT
//               drained by persist() until flush() (clwb) named them. Power-fail unit
//               ("granule") = aligned 8-byte word; a crash unit = a 64-byte line, which may be
//               torn into any subset of its pending words.
//   file:       write() = pwrite into the page cache, persisted only by persist() of THAT medium
//               (fdatasync). Granule = 512-byte sector; crash unit = 4 KiB page, tearable into
//               any subset of its sectors.
// Invariant: persisted == visible on every granule not listed as pending; a crash image is
// `persisted` plus any chosen subset of pending granules copied from `visible`. Between two
// drains the pending set only grows, so crash images taken after each event cover every instant
// inside that event too. A word rewritten twice between drains is modelled with the value
// current at the event (intermediate values are seen at the earlier event).
//
// Every write/write_word/persist/grow_log call is one numbered event (file model: a log write
// longer than a 128-byte slot is one per slot, in order); an observer (the crash
// explorer) is called after each, with the backend's lock held, so it sees a consistent state
// even when store-path threads append log entries concurrently.
//
// The real files: the factory fills both images from the real descriptors and, unless the
// factory mode says write_through = false, every write is also pwritten to the real file
// (write-through of the VISIBLE image: the real file plays the page cache). So unmap + map
// again, and Region::open's own header reads, see what the program would. Durability of the
// real files is never relied on: crash images are built only from the `persisted` images.
// grow_log() extends the real log with posix_fallocate, and models the new area as persisted
// zeros (log-size metadata durability is out of the model). set_data_size() is ftruncate +
// fsync: the new size is durable at once in both images (growth: zeros; shrinking: the tail and
// its pending writes are gone); on the file model the fsync also persists every pending data
// write, on pmem pending stores below the new end stay pending.
#pragma once

#include "backend.hpp"

#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <vector>

namespace famsync::sim {

enum class Model : uint8_t { pmem, file };

// Deliberately broken persistence, to prove the explorer catches a wrong protocol.
//   skip_log_persist: a persist(log) that would make a NEW nonzero live_count durable (the
//                     log's commit point, UndoLog::publish) does nothing.
//                     Undo-protocol specific (it keys on the live_count word).
//   drop_log_persist: every persist(log) does nothing (protocol-agnostic; pmem: a persist(data)
//                     is still a global fence).
//   no_drain_data:    persist(data) does nothing (pmem: a later global fence still drains it).
//   ignore_resize:    set_data_size() changes the real file but not the simulated images (the
//                     durable size never changes).
//   no_flush:         flush() (clwb) does nothing: cached stores are never drained (pmem: the
//                     undo log's store-path entries, the redo protocol's cached write-back).
enum class Break : uint8_t {
  none, skip_log_persist, drop_log_persist, no_drain_data, ignore_resize, no_flush
};
// FAMSYNC_SIM_BREAK=none|skip-log-persist|drop-log-persist|no-drain-data|ignore-resize|no-flush
Break break_from_env();
const char *break_name(Break b);

struct Event {
  enum class Kind : uint8_t { write, write_word, persist, grow_log, set_data_size };
  Kind kind;
  Medium medium;
  uint64_t off = 0;
  uint64_t len = 0;
  uint64_t seq = 0;  // 1, 2, ... per backend instance
};
const char *kind_name(Event::Kind k);

// A crash unit with pending granules: a pmem line or a file page. Bit i of DIRTY_MASK = granule
// i of the unit differs between visible and persisted.
struct Unit {
  Medium medium;
  uint64_t index;      // unit number within the medium
  uint8_t dirty_mask;  // 8 granules per unit in both models
  uint64_t first_seq;  // event that first dirtied it since the last drain (program order)
};

class SimBackend;
using Observer = std::function<void(SimBackend &, const Event &)>;

class SimBackend final : public Backend {
 public:
  SimBackend(Model model, Break brk, int data_fd, std::vector<uint8_t> data, int log_fd,
             std::vector<uint8_t> log, Observer observer, bool write_through = true,
             std::function<void(const SimBackend &)> on_destroy = nullptr);
  ~SimBackend() override;

  const char *name() const override { return model_ == Model::pmem ? "sim-pmem" : "sim-file"; }
  int write(Medium m, uint64_t off, const void *src, size_t len) override;
  int stage(Medium m, uint64_t off, const void *src, size_t len) override;
  int flush(Medium m, uint64_t off, size_t len) override;
  bool stage_needs_flush() const override { return model_ == Model::pmem; }
  int write_word(Medium m, uint64_t off, uint64_t value) override;
  int read(Medium m, uint64_t off, void *dst, size_t len) override;
  int persist(Medium m) override;
  int grow_log(uint64_t new_size) override;
  int set_data_size(uint64_t new_size) override;
  uint64_t log_size() const override;

  Model model() const { return model_; }
  uint64_t instance() const { return instance_; }
  static constexpr unsigned kGranulesPerUnit = 8;
  uint64_t granule_size() const { return model_ == Model::pmem ? 8 : 512; }
  uint64_t unit_size() const { return granule_size() * kGranulesPerUnit; }

  // The following are for the observer (called with the lock held) or a quiescent backend.
  // Units with pending bytes, in program order (first_seq, then medium and address).
  std::vector<Unit> pending_units() const;
  // The crash image: persisted + for each unit i the granules MASKS[i] & UNITS[i].dirty_mask.
  void crash_image(const std::vector<Unit> &units, const std::vector<uint8_t> &masks,
                   std::vector<uint8_t> *data, std::vector<uint8_t> *log) const;
  // A 128-bit identity of that crash image, so callers can memoise recoveries: a sum of
  // per-unit 128-bit hashes over (instance, drain versions, unit, mask, last-write event of each
  // chosen granule). Equal images may get different keys (a missed memo hit, harmless); different
  // images get equal keys only by a 2^-128-ish hash collision. Sums make every key O(units) and
  // let callers reuse FULL (unit_hashes(), each unit with its whole dirty mask).
  struct UnitHash {
    uint64_t a, b;
  };
  std::vector<UnitHash> unit_hashes(const std::vector<Unit> &units) const;
  void image_key(const std::vector<Unit> &units, const std::vector<uint8_t> &masks,
                 const std::vector<UnitHash> &full, uint64_t out[2]) const;
  const std::vector<uint8_t> &visible(Medium m) const { return media_[idx(m)].visible; }
  const std::vector<uint8_t> &persisted(Medium m) const { return media_[idx(m)].persisted; }
  uint64_t events() const { return seq_; }

 private:
  struct Media {
    int fd = -1;
    std::vector<uint8_t> visible, persisted;
    std::vector<uint64_t> first_seq;  // per granule; 0 = clean
    std::vector<uint64_t> last_seq;   // per granule; event of the last write since the drain
    std::vector<uint64_t> dirty;      // granules with first_seq != 0
    std::vector<uint8_t> unflushed;   // per granule: staged (cached) and not flushed since
    uint64_t version = 0;             // bumped at each drain of this medium
  };
  static unsigned idx(Medium m) { return m == Medium::data ? 0 : 1; }
  int store(Event::Kind kind, Medium m, uint64_t off, const void *src, size_t len,
            bool cached = false);
  void drain(Media &md);
  bool breaks_this_persist(Medium m) const;
  void notify(const Event &e);
  UnitHash unit_hash(const Unit &u, uint8_t mask) const;

  mutable std::mutex mu_;
  Model model_;
  Break break_;
  Media media_[2];
  uint64_t seq_ = 0;
  uint64_t instance_;
  Observer observer_;
  bool write_through_;
  std::function<void(const SimBackend &)> on_destroy_;
};

// ---- Installing it -----------------------------------------------------------------------------
// How the factory answers, chosen per THREAD (the explorer runs recovery on crash images from
// inside an observer call and must not be handed a simulated backend recursively).
struct FactoryMode {
  bool passthrough = true;       // true: the real pmem/file backend (default)
  bool force_model = false;      // true: MODEL below, else from the region's want_pmem
  Model model = Model::file;
  Break brk = Break::none;
  Observer observer;             // called after every event of backends made in this mode
  // false: the real files are not written (an in-memory recovery; see ON_DESTROY).
  bool write_through = true;
  // Called when the backend is destroyed (e.g. at the end of fams_recover) with its final state.
  std::function<void(const SimBackend &)> on_destroy;
};
// Installs the sim factory (process-wide) and sets this thread's mode; returns the old mode.
FactoryMode set_thread_mode(FactoryMode mode);
const FactoryMode &thread_mode();

}  // namespace famsync::sim
