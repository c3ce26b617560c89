// region_lock.hpp — the region's mutex (commit, rollback, resize, stats, close), whose every
// release is counted. Invariant: each unlock() is followed by a change of releases() and a
// wake-up of its waiters, so a commit caller can sleep until the holder lets go and then look
// whether a finished commit covered its writes (group commit, region_commit.cpp), instead of
// queueing for the lock behind a commit that arrived after it.
#pragma once

#include <atomic>
#include <cstdint>
#include <mutex>

namespace famsync {

class RegionLock {
 public:
  void lock() { mutex_.lock(); }
  bool try_lock() { return mutex_.try_lock(); }
  void unlock() {
    mutex_.unlock();
    releases_.fetch_add(1, std::memory_order_release);
    releases_.notify_all();  // one load when nobody waits (libstdc++ counts waiters)
  }
  // Read before a failed try_lock(), then passed to wait_for_release(): a release after the read
  // makes the wait return at once.
  uint32_t releases() const { return releases_.load(std::memory_order_acquire); }
  void wait_for_release(uint32_t seen) const { releases_.wait(seen, std::memory_order_acquire); }

 private:
  std::mutex mutex_;
  std::atomic<uint32_t> releases_{0};
};

}  // namespace famsync
