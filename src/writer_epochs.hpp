// writer_epochs.hpp — which storing threads have certainly finished the stores they checked
// before a commit cleared their lines, so the late-store watch can stop watching those lines.
//
// Why: a store's check and the store are two steps (store_path.hpp). A thread can check a line,
// lose the CPU, and store after a commit cleared the line; the late-store watch
// (late_store_watch.hpp) compares recently committed lines at every later commit to catch that.
// Comparing up to 16384 lines at every commit is what made two threads that take turns under one
// lock 3-5x slower than one. Each storing thread publishes here, at every store-path call and
// BEFORE it loads any dirty bit, the commit epoch it has seen. A commit that watches lines
// advances the epoch after clearing them (batch epoch B). A thread that published an epoch >= B:
//   - its later checks see B's clears (it read B after they were made) and take the slow path;
//   - its stores before that publication are visible to anyone who reads the publication
//     (release/acquire), so the next commit's compare, made after reading it, sees them.
// So once every other storing thread has published >= B, one more compare of B's lines finds
// every late store there will ever be, and they can leave the watch.
// A thread that calls a commit has finished its stores (program order): it publishes "quiet"
// (kQuiet, above every epoch) until its next store-path call. So a thread that stored, committed
// and then waits (a lock, a join, the main thread of a server) does not hold lines in the watch;
// one that stored and neither stores nor commits again does, until the watch's 200 ms expire.
//
// Invariant: a thread with a slot publishes seen(E) only from a store-path call that precedes its
// dirty-bit loads, with E read by that call; quiesced_through() <= the least such E of every
// claimed slot but the caller's, and 0 when a storing thread has no slot.
// Not covered: a signal handler that stores into a tracked mapping while its own thread is
// between a store's check and that store (its publication would speak for the interrupted store
// too); the watch then drops the line early and that store can be missed (DESIGN.md §6).
// Memory: kSlots slots of one cache line, static; slots of threads that exited are reused.
#pragma once

#include <atomic>
#include <cstdint>

namespace famsync::writer_epochs {

struct alignas(64) Slot {
  std::atomic<uint64_t> seen{0};
  std::atomic<bool> claimed{false};
};

inline constexpr unsigned kSlots = 256;
inline constexpr uint64_t kQuiet = UINT64_MAX;  // no store in flight (committing, or exited)

// Advanced by commits that hand lines to a late-store watch; starts at 1.
extern std::atomic<uint64_t> g_epoch;
// constinit: no dynamic initialisation, so no TLS wrapper call on the store path.
// This thread's slot (nullptr until its first store into a tracked region, or if none was free).
extern constinit __attribute__((tls_model("initial-exec"))) thread_local Slot *t_slot;

// Called by every store-path call, before its dirty-bit loads: one TLS load, one shared load and
// a compare; a store when a commit advanced the epoch, or the thread committed (quiet), since
// its last call. That store is seq_cst (a full barrier before the dirty-bit loads): a commit that
// clears lines and then finds every other slot quiet (others_in_flight) must be right that no
// check of theirs can precede its clear.
inline void publish() {
  Slot *slot = t_slot;
  uint64_t epoch = g_epoch.load(std::memory_order_acquire);
  if (slot != nullptr && slot->seen.load(std::memory_order_relaxed) != epoch) [[unlikely]]
    slot->seen.store(epoch, std::memory_order_seq_cst);
}

// The calling thread starts a commit: none of its stores is in flight.
inline void quiet() {
  if (Slot *slot = t_slot) slot->seen.store(kQuiet, std::memory_order_release);
}

// Sets up what claim_slot needs (a thread-exit key, a fork handler). Idempotent; called when a
// region is mapped, so that a first store made by a signal handler does not do it.
void prepare();

// Gives this thread a slot if it has none (a full barrier; before its first dirty-bit load).
// Out of line; called when a thread becomes a region's writer (StoreTarget::note_new_writer).
void claim_slot();

// After clearing lines that a late store may still hit: the epoch of this batch.
uint64_t advance();

// The epoch every storing thread but the caller has published at least (0: unknown). Read before
// the compare it licenses.
uint64_t quiesced_through();

// Whether a thread other than the caller may have a store in flight: it made a store-path call
// since its last commit (or has no slot). Read after a seq_cst fence that follows the clear.
inline bool others_in_flight() { return quiesced_through() != kQuiet; }

}  // namespace famsync::writer_epochs
