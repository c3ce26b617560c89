// checksum.hpp — the one checksum famsync puts on media (XXH3-64 from Debian's libxxhash).
//
// Invariant: log header and entries are checksummed only through these functions, so the format
// in DESIGN.md ("On-media format") and the code cannot disagree.
#pragma once

#include "log_format.hpp"

// The streaming state (XXH3_state_t) is used on the stack (redo_log.cpp): no allocation.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>

namespace famsync {

inline uint64_t static_header_checksum(const LogStaticHeader &h) {
  return XXH3_64bits_withSeed(&h, offsetof(LogStaticHeader, checksum), 0);
}

inline uint64_t identity_checksum(const LogIdentityBlock &b, uint64_t salt) {
  LogIdentityBlock copy = b;
  copy.checksum = 0;
  return XXH3_64bits_withSeed(&copy, sizeof copy, salt);
}

inline uint64_t entry_checksum(const LogEntry &e, uint64_t salt) {
  return XXH3_64bits_withSeed(&e, offsetof(LogEntry, checksum), salt);
}

// An entry counts only if its checksum verifies AND it was written under GENERATION.
inline bool entry_is_valid(const LogEntry &e, uint64_t salt, uint64_t generation) {
  return e.generation == generation && e.checksum == entry_checksum(e, salt);
}

inline uint64_t redo_header_checksum(const RedoGroupHeader &h, uint64_t salt) {
  return XXH3_64bits_withSeed(&h, offsetof(RedoGroupHeader, checksum), salt);
}

// A version-4 redo group header of this log, of any generation: the magic and the checksum.
inline bool redo_header_verifies(const RedoGroupHeader &h, uint64_t salt) {
  return h.magic == kRedoGroupMagic && h.checksum == redo_header_checksum(h, salt);
}

// A version-4 redo group header counts only if it verifies and was written under GENERATION
// (its body is checked separately: redo_body_checksum).
inline bool redo_header_is_valid(const RedoGroupHeader &h, uint64_t salt, uint64_t generation) {
  return h.generation == generation && h.line_count != 0 && redo_header_verifies(h, salt);
}

inline uint64_t redo_body_checksum(const void *body, size_t len, uint64_t salt) {
  return XXH3_64bits_withSeed(body, len, salt);
}

}  // namespace famsync
