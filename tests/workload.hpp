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

// The file's content after COMMITS commits, starting from INITIAL.
inline std::vector<uint8_t> state_after(std::vector<uint8_t> image, uint64_t seed, uint64_t commits) {
  for (uint64_t r = 1; r <= commits; ++r) apply_round(image.data(), image.size(), seed, r, nullptr);
  return image;
}

}  // namespace famsync::test
