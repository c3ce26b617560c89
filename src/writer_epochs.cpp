// writer_epochs.cpp — see writer_epochs.hpp.
#include "writer_epochs.hpp"

#include <pthread.h>

namespace famsync::writer_epochs {

std::atomic<uint64_t> g_epoch{1};
constinit __attribute__((tls_model("initial-exec"))) thread_local Slot *t_slot = nullptr;

namespace {

Slot g_slots[kSlots];
std::atomic<unsigned> g_slots_used{0};   // high-water mark of slots ever claimed
std::atomic<bool> g_slotless_writer{false};  // a storing thread found no free slot
pthread_key_t g_exit_key;

// A thread that exits has finished its stores: its slot speaks for no store in flight, and is
// free for another thread. (pthread key destructors do not run for the main thread at exit(),
// whose stores may continue in exit handlers: its slot stays.)
void release_at_thread_exit(void *slot_ptr) {
  auto *slot = static_cast<Slot *>(slot_ptr);
  slot->seen.store(kQuiet, std::memory_order_release);
  slot->claimed.store(false, std::memory_order_release);
  t_slot = nullptr;
}

// In a forked child only the forking thread exists: the others' slots are free.
void release_others_in_child() {
  unsigned used = g_slots_used.load(std::memory_order_relaxed);
  for (unsigned i = 0; i < used; ++i)
    if (&g_slots[i] != t_slot) {
      g_slots[i].seen.store(kQuiet, std::memory_order_relaxed);
      g_slots[i].claimed.store(false, std::memory_order_relaxed);
    }
}

bool init_once() {
  if (pthread_key_create(&g_exit_key, release_at_thread_exit) != 0) return false;
  pthread_atfork(nullptr, nullptr, release_others_in_child);
  return true;
}

bool ready() {
  static const bool ok = init_once();
  return ok;
}

}  // namespace

void prepare() { (void)ready(); }

void claim_slot() {
  if (t_slot != nullptr) return;
  if (ready()) {
    for (unsigned i = 0; i < kSlots; ++i) {
      bool expected = false;
      if (!g_slots[i].claimed.compare_exchange_strong(expected, true, std::memory_order_seq_cst))
        continue;
      // Nothing checked yet by this thread: whatever epoch it sees now is true for it.
      g_slots[i].seen.store(g_epoch.load(std::memory_order_seq_cst), std::memory_order_seq_cst);
      unsigned used = g_slots_used.load(std::memory_order_relaxed);
      while (used < i + 1 &&
             !g_slots_used.compare_exchange_weak(used, i + 1, std::memory_order_seq_cst)) {
      }
      // If this fails, no destructor gives the slot back: it stays claimed, which can only
      // hold lines in the watch longer, never drop one early.
      (void)pthread_setspecific(g_exit_key, &g_slots[i]);
      t_slot = &g_slots[i];
      return;
    }
  }
  g_slotless_writer.store(true, std::memory_order_seq_cst);
}

uint64_t advance() { return g_epoch.fetch_add(1, std::memory_order_seq_cst) + 1; }

uint64_t quiesced_through() {
  if (g_slotless_writer.load(std::memory_order_seq_cst)) return 0;
  uint64_t least = kQuiet;
  unsigned used = g_slots_used.load(std::memory_order_acquire);
  for (unsigned i = 0; i < used; ++i) {
    if (&g_slots[i] == t_slot) continue;
    if (!g_slots[i].claimed.load(std::memory_order_acquire)) continue;
    uint64_t seen = g_slots[i].seen.load(std::memory_order_acquire);
    if (seen < least) least = seen;
  }
  return least;
}

}  // namespace famsync::writer_epochs
