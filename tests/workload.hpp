// workload.hpp — a deterministic random-write workload shared by crash children and checkers.
//
// Invariant: apply_round(image, seed, round) performs exactly the same writes whether IMAGE is a
// tracked working copy (announce = fams_will_write) or a plain vector in the checking process, so
// the checker can compute the state after every commit without trusting the child.
#pragma once

#include <cstdint>
#include <cstring>
#include <functional>
#include <random>
#include <vector>

namespace famsync::test {

struct Write {
  size_t offset;
  std::vector<uint8_t> bytes;
};

// The writes of ROUND: 1..24 writes of 1..300 bytes (one in eight up to 6000 bytes) at random
// offsets, some of them unaligned and line-straddling, some overlapping.
inline std::vector<Write> round_writes(size_t size, uint64_t seed, uint64_t round) {
  std::mt19937_64 rng(seed * 1000003 + round);
  std::vector<Write> writes(1 + rng() % 24);
  for (auto &w : writes) {
    size_t len = rng() % 8 == 0 ? 1 + rng() % 6000 : 1 + rng() % 300;
    if (len > size) len = size;
    w.offset = rng() % (size - len + 1);
    w.bytes.resize(len);
    for (auto &b : w.bytes) b = static_cast<uint8_t>(rng());
  }
  return writes;
}

inline void apply_round(uint8_t *image, size_t size, uint64_t seed, uint64_t round,
                        const std::function<void(void *, size_t)> &announce) {
  for (const Write &w : round_writes(size, seed, round)) {
    if (announce) announce(image + w.offset, w.bytes.size());
    memcpy(image + w.offset, w.bytes.data(), w.bytes.size());
  }
}

// The resize workload: round ROUND first sets the file's size to resize_round_size() — between
// MAX/2 and MAX, so it grows and shrinks, and never a line multiple on purpose — then makes the
// writes of round_writes() inside the new size. MAX is the size the file had when it was mapped.
inline size_t resize_round_size(size_t max, uint64_t seed, uint64_t round) {
  std::mt19937_64 rng(seed * 7919 + round);
  return max / 2 + rng() % (max / 2 + 1);
}

// The file's content after COMMITS commits of the resize workload, starting from INITIAL.
inline std::vector<uint8_t> resize_state_after(std::vector<uint8_t> image, uint64_t seed,
                                               uint64_t commits) {
  const size_t max = image.size();
  for (uint64_t r = 1; r <= commits; ++r) {
    image.resize(resize_round_size(max, seed, r), 0);
    apply_round(image.data(), image.size(), seed, r, nullptr);
  }
  return image;
}

// The file's content after COMMITS commits, starting from INITIAL.
inline std::vector<uint8_t> state_after(std::vector<uint8_t> image, uint64_t seed, uint64_t commits) {
  for (uint64_t r = 1; r <= commits; ++r) apply_round(image.data(), image.size(), seed, r, nullptr);
  return image;
}

}  // namespace famsync::test
