// fault_backend.hpp — I/O fault injection for famsync tests: a Backend wrapper that fails the
// N-th backend call (tests only; installed through set_backend_factory_for_testing).
//
// It wraps the REAL pmem or file backend (so what does get written lands in the real files) and
// counts every write / write_word / read / persist / grow_log call of every backend it made,
// process-wide. The call numbered `fail_at` (1-based) returns EIO (ENOSPC for grow_log) WITHOUT
// reaching the real backend; every other call passes through. Invariant: at most one call fails
// per arming, so a test can check that famsync reports that one failure and recovers from it.
// It also notes whether the failed call came at or after the log's publish (a write_word of a
// nonzero live_count) and before that commit's retire was durable: there the region must be
// poisoned.
#pragma once

#include "backend.hpp"
#include "error.hpp"
#include "log_format.hpp"

#include <cerrno>
#include <cstdint>
#include <functional>
#include <memory>

namespace famsync::fault {

struct Plan {
  uint64_t fail_at = 0;      // 0 = never fail (counting run)
  uint64_t calls = 0;        // calls seen so far
  bool fired = false;        // the failure was injected
  const char *fired_op = ""; // which call failed
  bool fired_after_publish = false;
  bool published = false;    // a nonzero live_count was written and not yet durably retired
  bool retiring = false;     // the retire's generation + 1 written, not yet persisted
  bool retire_durable = false;  // ... persisted; its live_count = 0 store comes next
  const char *phase = "";    // set by the test: "store" (working-copy writes) or "api" (a call)
  const char *fired_phase = "";
  uint64_t data_flush_calls = 0;    // flush(Medium::data) calls (never failed: not swept)
  uint64_t data_flushed_bytes = 0;  // and the bytes they named
  // Called at every persist(Medium::log) before it reaches the real backend (a redo commit's
  // commit point): lets a test hold a commit in flight. Empty: nothing.
  std::function<void()> before_log_persist;
};

inline Plan &plan() {
  static Plan p;
  return p;
}

class FaultBackend final : public Backend {
 public:
  explicit FaultBackend(std::unique_ptr<Backend> inner) : inner_(std::move(inner)) {}
  const char *name() const override { return inner_->name(); }

  int write(Medium m, uint64_t off, const void *src, size_t len) override {
    if (should_fail("write")) return injected(EIO, "write");
    return inner_->write(m, off, src, len);
  }
  int stage(Medium m, uint64_t off, const void *src, size_t len) override {
    if (should_fail("write")) return injected(EIO, "stage");
    return inner_->stage(m, off, src, len);
  }
  int flush(Medium m, uint64_t off, size_t len) override {
    if (m == Medium::data) {
      ++plan().data_flush_calls;
      plan().data_flushed_bytes += len;
    }
    return inner_->flush(m, off, len);
  }
  bool stage_needs_flush() const override { return inner_->stage_needs_flush(); }
  int write_word(Medium m, uint64_t off, uint64_t value) override {
    bool live_count = m == Medium::log && off == kLogLiveCountOffset;
    bool generation = m == Medium::log && off == kLogGenerationOffset;
    // The publish store itself counts as "at publish": Region::commit poisons on its failure
    // (and on any error up to the end of retire(), whose last store is live_count = 0).
    if (should_fail("write_word", live_count && value != 0))
      return injected(EIO, "write_word");
    if (live_count && value != 0) plan().published = true;
    // Retire: the generation word is the commit point; published until it is durable and the
    // retire's last store (live_count = 0) is done.
    if (generation && plan().published) plan().retiring = true;
    if (live_count && value == 0 && plan().retire_durable)
      plan().published = plan().retiring = plan().retire_durable = false;
    return inner_->write_word(m, off, value);
  }
  int read(Medium m, uint64_t off, void *dst, size_t len) override {
    if (should_fail("read")) return injected(EIO, "read");
    return inner_->read(m, off, dst, len);
  }
  int persist(Medium m) override {
    if (should_fail("persist")) return injected(EIO, "persist");
    if (m == Medium::log && plan().before_log_persist) plan().before_log_persist();
    int rc = inner_->persist(m);
    if (rc == 0 && plan().retiring) plan().retire_durable = true;
    return rc;
  }
  int grow_log(uint64_t new_size) override {
    if (should_fail("grow_log")) return injected(ENOSPC, "grow_log");
    return inner_->grow_log(new_size);
  }
  uint64_t log_size() const override { return inner_->log_size(); }
  int set_data_size(uint64_t new_size) override {
    if (should_fail("set_data_size")) return injected(EIO, "set_data_size");
    return inner_->set_data_size(new_size);
  }

 private:
  // Store-path appends come from many threads; the sweep workloads are single-threaded, so the
  // counter needs no atomics.
  static bool should_fail(const char *op, bool is_publish = false) {
    Plan &p = plan();
    if (++p.calls != p.fail_at) return false;
    p.fired = true;
    p.fired_op = op;
    p.fired_phase = p.phase;
    p.fired_after_publish = p.published || is_publish;
    return true;
  }
  // Like every failing famsync call, set the thread's message (error.hpp's invariant).
  static int injected(int code, const char *op) {
    return fail(code, "injected fault: backend %s call %llu", op,
                (unsigned long long)plan().calls);
  }
  std::unique_ptr<Backend> inner_;
};

inline int fault_factory(int data_fd, uint64_t data_size, int log_fd, uint64_t log_size,
                         bool want_pmem, std::unique_ptr<Backend> *out) {
  std::unique_ptr<Backend> inner;
  int rc = want_pmem ? make_pmem_backend(data_fd, data_size, log_fd, log_size, &inner)
                     : make_file_backend(data_fd, log_fd, log_size, &inner);
  if (rc != 0) return rc;
  *out = std::make_unique<FaultBackend>(std::move(inner));
  return 0;
}

}  // namespace famsync::fault
