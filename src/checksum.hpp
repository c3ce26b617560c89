// checksum.hpp — the one checksum famsync puts on media (XXH3-64 from Debian's libxxhash).
//
// Invariant: log header and entries are checksummed only through these functions, so the format
// in DESIGN.md ("On-media format") and the code cannot disagree.
#pragma once

#include "log_format.hpp"

// The streaming state (XXH3_state_t) is used on the stack (redo_log.cpp): no allocation.
#define XXH_STATIC_LINKING_ONLY
#include <xxhash.h>
// The *_dispatch entry points of the same library pick AVX2 or AVX-512 at run time (the plain
// ones are built for SSE2); the hash is the same whichever code computes it. Used for group
// bodies, where the bytes are many: a short input gains nothing and would pay the indirection.
#define XXH_DISPATCH_DISABLE_REPLACE
#include <xxh_x86dispatch.h>

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
  return XXH3_64bits_withSeed_dispatch(body, len, salt);
}

// Streaming form of redo_body_checksum (append_group hashes the body as it writes it out).
inline void redo_body_hash_update(XXH3_state_t *state, const void *bytes, size_t len) {
  XXH3_64bits_update_dispatch(state, bytes, len);
}

}  // namespace famsync
