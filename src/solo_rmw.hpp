// solo_rmw.hpp — read-modify-writes for the store path of a process that has one thread.
//
// Why: the first write to a line takes five atomic read-modify-writes (epoch gate in and out,
// claim bit, log slot, logged bit). With the lock prefix each costs 7-8 ns here (a full barrier
// that drains the store buffer), together most of a first write; the same instructions without
// the prefix cost about 1 ns. While a process has one thread (glibc's __libc_single_threaded), no
// other CPU can race them; what can still interrupt them is a signal handler on the same thread,
// and a single instruction is atomic with respect to that: a signal is taken between two
// instructions, never inside one. So every operation here is ONE x86 instruction (or, cmpxchg,
// add, sub) without the lock prefix, with a compiler barrier — the same algorithm as the locked
// path, only not visible atomically to other CPUs.
//
// Invariant: called only while __libc_single_threaded holds (the caller checks it on every slow
// path; glibc clears it before a second thread starts running, and creating that thread orders
// everything before it). Other architectures get the ordinary atomic operations.
#pragma once

#include <atomic>
#include <cstdint>

namespace famsync::solo {

static_assert(sizeof(std::atomic<uint64_t>) == sizeof(uint64_t) &&
              sizeof(std::atomic<uint32_t>) == sizeof(uint32_t));

// *WORD |= BITS.
inline void or_bits(std::atomic<uint64_t> &word, uint64_t bits) {
#if defined(__x86_64__)
  asm volatile("orq %1, %0" : "+m"(*reinterpret_cast<uint64_t *>(&word)) : "r"(bits) : "memory");
#else
  word.fetch_or(bits, std::memory_order_acq_rel);
#endif
}

// If *WORD == *EXPECTED, stores DESIRED and returns true; else loads *WORD into *EXPECTED.
inline bool compare_exchange(std::atomic<uint64_t> &word, uint64_t *expected, uint64_t desired) {
#if defined(__x86_64__)
  bool equal;
  asm volatile("cmpxchgq %3, %1"
               : "+a"(*expected), "+m"(*reinterpret_cast<uint64_t *>(&word)), "=@ccz"(equal)
               : "r"(desired)
               : "memory");
  return equal;
#else
  return word.compare_exchange_strong(*expected, desired, std::memory_order_acq_rel);
#endif
}

// Sets BIT in *WORD; returns whether it was clear (the caller won it).
inline bool claim_bit(std::atomic<uint64_t> &word, uint64_t bit) {
  uint64_t old = word.load(std::memory_order_relaxed);
  while (!(old & bit)) {
    if (compare_exchange(word, &old, old | bit)) return true;
  }
  return false;
}

// *WORD += DELTA (wrapping), one instruction.
inline void add(std::atomic<uint32_t> &word, uint32_t delta) {
#if defined(__x86_64__)
  asm volatile("addl %1, %0" : "+m"(*reinterpret_cast<uint32_t *>(&word)) : "r"(delta) : "memory");
#else
  word.fetch_add(delta, std::memory_order_seq_cst);
#endif
}
inline void add(std::atomic<uint64_t> &word, uint64_t delta) {
#if defined(__x86_64__)
  asm volatile("addq %1, %0" : "+m"(*reinterpret_cast<uint64_t *>(&word)) : "r"(delta) : "memory");
#else
  word.fetch_add(delta, std::memory_order_seq_cst);
#endif
}

// *WORD -= 1; returns whether it reached zero (one instruction: the flags say so).
inline bool decrement_reaches_zero(std::atomic<uint32_t> &word) {
#if defined(__x86_64__)
  bool zero;
  asm volatile("subl $1, %0" : "+m"(*reinterpret_cast<uint32_t *>(&word)), "=@ccz"(zero) : : "memory");
  return zero;
#else
  return word.fetch_sub(1, std::memory_order_seq_cst) == 1;
#endif
}

}  // namespace famsync::solo
