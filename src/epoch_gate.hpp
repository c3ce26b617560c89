// epoch_gate.hpp — keeps the store path's slow path out of a region while it commits.
//
// Why: a commit collects the epoch's dirty lines, writes them and starts a new epoch by clearing
// their dirty state. A first write that claimed a line or took a log slot in the middle of that
// would be cleared without being committed (lost for good), or have its bit lost to the commit's
// clearing of a neighbour in the same word (its writers then wait forever). The gate makes the
// two exclusive: the slow path (first write to a line of an epoch) runs between enter() and
// leave(); a commit or rollback closes the gate, waits for the slow paths inside to leave, and
// opens it when the new epoch is ready. Slow paths that arrive meanwhile wait, then belong to
// the new epoch. The fast path (a line already dirty) never touches the gate.
//
// Invariant: while closed() holds, no thread is between enter() and leave().
// Cost: two uncontended atomic read-modify-writes per first write of a line (without the lock
// prefix while the process has one thread); a closed gate makes first writes wait for the commit
// (they would have to be ordered after it anyway).
#pragma once

#include "solo_rmw.hpp"

#include <atomic>
#include <cstdint>

namespace famsync {

class EpochGate {
 public:
  void enter() {
    for (;;) {
      busy_.fetch_add(1, std::memory_order_seq_cst);
      if (closed_.load(std::memory_order_seq_cst) == 0) return;
      leave();
      closed_.wait(1, std::memory_order_acquire);  // spins briefly, then sleeps on a futex
    }
  }

  void leave() {
    // seq_cst on both sides (Dekker): either close() sees our decrement, or we see it closed and
    // wake it.
    if (busy_.fetch_sub(1, std::memory_order_seq_cst) == 1 &&
        closed_.load(std::memory_order_seq_cst) != 0)
      busy_.notify_all();
  }

  // The same two while the process has one thread (solo_rmw.hpp): then only a signal handler of
  // the committing thread itself could find the gate closed, and it waits as enter() would.
  void enter_solo() {
    solo::add(busy_, 1);
    if (closed_.load(std::memory_order_relaxed) == 0) return;
    leave_solo();
    enter();
  }
  // enter_solo without waiting: false (and not entered) while the gate is closed.
  bool try_enter_solo() {
    solo::add(busy_, 1);
    if (closed_.load(std::memory_order_relaxed) == 0) [[likely]] return true;
    leave_solo();
    return false;
  }
  void leave_solo() {
    if (solo::decrement_reaches_zero(busy_) && closed_.load(std::memory_order_relaxed) != 0)
        [[unlikely]]
      busy_.notify_all();
  }

  // Closes the gate and waits until no slow path is inside. Only one closer at a time (the
  // region lock).
  void close() {
    closed_.store(1, std::memory_order_seq_cst);
    for (uint32_t busy = busy_.load(std::memory_order_seq_cst); busy != 0;
         busy = busy_.load(std::memory_order_seq_cst))
      busy_.wait(busy, std::memory_order_seq_cst);
  }

  void open() {
    closed_.store(0, std::memory_order_release);
    closed_.notify_all();  // no system call unless someone waits
  }

 private:
  std::atomic<uint32_t> closed_{0};
  std::atomic<uint32_t> busy_{0};
};

// Holds a gate closed for a scope.
class GateClosed {
 public:
  explicit GateClosed(EpochGate *gate) : gate_(gate) { gate_->close(); }
  ~GateClosed() { gate_->open(); }
  GateClosed(const GateClosed &) = delete;
  GateClosed &operator=(const GateClosed &) = delete;

 private:
  EpochGate *gate_;
};

}  // namespace famsync
