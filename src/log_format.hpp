// log_format.hpp — the log file's on-media format, both protocols (one log file per data file).
//
// Layout: a 4 KiB header page, then `capacity` slots of 128 bytes (capacity = (file size -
// 4096) / 128; the log grows by extending the file, so no field records the capacity).
//
// Two protocols share the format (the static header records which one a log uses):
//  - undo (pmem, FAMSYNC_PMEM_PROTOCOL=undo): entries [0, live_count) whose checksum verifies against the header's
//    generation hold the committed bytes of the lines a commit in flight may have overwritten.
//    `live_count`, `generation` and the two size slots are separate aligned 8-byte words, each
//    written with one store; the generation word alone is the commit point (DESIGN.md §4.1).
//  - redo (file backend): from slot 0, one group per commit since the last checkpoint holding the
//    NEW bytes of its lines: version 4, a 64-byte group header, the lines' offsets and the lines
//    (RedoGroupHeader, 72 bytes per line), rounded up to whole slots; version 3, one entry per
//    line. A group counts iff it verifies under the header's generation (the checkpoint epoch)
//    and its sequence number follows the previous group's.
// See DESIGN.md, "Commit protocol". The static part of the header is written once, when the
// file is created under a temporary name and renamed into place, with its own checksum.
#pragma once

#include "lines.hpp"  // kLineSize

#include <cstddef>
#include <cstdint>

namespace famsync {

inline constexpr size_t kLogHeaderSize = 4096;
inline constexpr size_t kLogEntrySize = 128;
// Version 2 added the identity block (below) and names logs by the data file's identity; a
// version-1 log (PATH.famslog) is still read, for recovery only (DESIGN.md §3, "Old logs").
// Version 3 tags the undo live word with its generation (encode_live) and publishes it only
// after the entries it covers are durable, so an invalid entry it covers is damage, never a torn
// write; a version-2 log is still recovered (torn entries skipped, as then) and then replaced.
// Version 4 packs a redo group as a header, the line offsets and the lines (72 bytes per line
// instead of a 128-byte entry each: the bytes a commit sends to the device); undo entries are as
// in version 3. A version-3 log is still recovered (its redo groups entry by entry) and then
// replaced.
inline constexpr uint32_t kLogFormatVersion = 4;
inline constexpr uint32_t kLogFormatVersionV3 = 3;
inline constexpr uint32_t kLogFormatVersionV2 = 2;
inline constexpr uint32_t kLogFormatVersionLegacy = 1;
inline constexpr char kLogMagic[8] = {'F', 'A', 'M', 'S', 'L', 'O', 'G', '1'};

// Header line 0: written once at creation.
struct LogStaticHeader {
  char magic[8];            // kLogMagic
  uint32_t version;         // kLogFormatVersion
  uint32_t entry_size;      // kLogEntrySize
  uint64_t data_ino;        // st_ino of the data file this log belongs to
  uint64_t data_dev;        // st_dev of the data file (informational: devices renumber)
  uint64_t salt;            // random per log file; seeds every checksum in it
  uint64_t created_unix_ns; // informational
  uint32_t protocol;        // LogProtocol
  uint32_t reserved;        // zero
  uint64_t checksum;        // XXH3-64 of bytes [0, 56) seeded with 0
};
static_assert(sizeof(LogStaticHeader) == 64);

// Header line 1: the words commits write.
struct LogDynamicHeader {
  uint64_t generation;  // entries are valid only if written under this generation
  // Undo: entries [0, N) belong to the commit in flight; 0 = none. Version 3: the live word,
  // N | (generation mod 2^32) << 32 (encode_live); a word of another generation names none.
  uint64_t live_count;
  // The data file's committed size, as a size word (encode_size): committed_size[generation & 1]
  // is the size of the committed state while the generation is current; the other slot is where
  // the next generation's size is prepared. Writing the other slot and making it durable before
  // the generation changes makes "size + generation" change with one 8-byte store.
  uint64_t committed_size[2];
  uint64_t reserved[4];
};
static_assert(sizeof(LogDynamicHeader) == 64);

// A size word: bit 63 set = a recorded size in bits 0..62; 0 = nothing recorded (logs written
// before sizes were recorded had zeros here, which recovery treats as "do not change the size").
inline constexpr uint64_t kSizeRecorded = 1ull << 63;
inline constexpr uint64_t encode_size(uint64_t size) { return size | kSizeRecorded; }
inline constexpr bool size_is_recorded(uint64_t word) { return (word & kSizeRecorded) != 0; }
inline constexpr uint64_t decode_size(uint64_t word) { return word & ~kSizeRecorded; }
// The size word that names the committed size of H's current generation.
inline constexpr uint64_t current_size_word(const LogDynamicHeader &h) {
  return h.committed_size[h.generation & 1];
}

// Version 3's live word: COUNT entries (< 2^32) published under GENERATION.
inline constexpr uint64_t encode_live(uint64_t count, uint64_t generation) {
  return count | (generation & 0xffffffffull) << 32;
}
// The entries live in H (a header of format VERSION).
inline constexpr uint64_t live_entries(const LogDynamicHeader &h, uint32_t version) {
  if (version < 3) return h.live_count;
  return (h.live_count >> 32) == (h.generation & 0xffffffffull) ? h.live_count & 0xffffffffull : 0;
}

// Version 3: a live word is 0, this generation's, or (its lazy reset after a retire not yet
// durable) the previous generation's; anything else is damage.
inline constexpr bool live_word_is_plausible(const LogDynamicHeader &h, uint32_t version) {
  if (version < 3 || h.live_count == 0) return true;
  uint64_t tag = h.live_count >> 32;
  return tag == (h.generation & 0xffffffffull) || tag == ((h.generation - 1) & 0xffffffffull);
}

enum class LogProtocol : uint32_t { undo = 0, redo = 1 };

// Header bytes [128, 4096) (version 2): which data file the log belongs to. Written once, with
// the static line, when the log is created. The file identity is the random id the data file
// carries in its `user.famsync` extended attribute (or, on file systems without xattrs, one
// derived from the inode number and its generation / birth time): a log applies to a file only
// if both the id and the inode number match (log_identity.hpp).
inline constexpr size_t kLogIdentityOffset = 128;
inline constexpr size_t kLogPathMax = 3840;  // bytes of the data file's path kept (informational)
struct LogIdentityBlock {
  uint8_t file_id[16];    // the data file's identity
  uint64_t data_ino;      // st_ino of the data file
  uint64_t data_dev;      // st_dev (informational: devices renumber)
  uint32_t data_uid;      // owner and group of the data file at creation (informational)
  uint32_t data_gid;
  uint32_t path_len;      // bytes used in `path`
  uint32_t reserved;      // zero
  uint64_t reserved2;     // zero
  uint64_t checksum;      // XXH3-64 of the block with this field zero, seeded with the salt
  char path[kLogPathMax]; // the data file's path when the log was created (for `famsync gc/info`)
};
static_assert(sizeof(LogIdentityBlock) == 64 + kLogPathMax);
static_assert(kLogIdentityOffset + sizeof(LogIdentityBlock) <= 4096);

inline constexpr size_t kLogStaticOffset = 0;
inline constexpr size_t kLogGenerationOffset = 64;
inline constexpr size_t kLogLiveCountOffset = 72;
inline constexpr size_t log_size_slot_offset(uint64_t generation) {
  return 80 + 8 * (generation & 1);
}

// One record: the bytes of one 64-byte line of the data file — the committed ones (undo) or the
// ones being committed (redo).
struct alignas(64) LogEntry {
  uint8_t bytes[64];      // undo: the line as of the last commit; redo: as of this commit
  uint64_t line_offset;   // byte offset of the line in the data file (multiple of 64)
  uint64_t generation;    // header generation the entry was written under
  uint64_t sequence;      // redo: commit number within the generation (from 0); undo: 0
  uint64_t index;         // redo: position within its commit's group; undo: 0
  uint64_t group_size;    // redo: entries in its commit's group; undo: 0
  uint64_t file_size;     // redo: size word (encode_size) of the data file this commit makes
                          // committed; undo: 0
  uint64_t reserved;      // zero
  uint64_t checksum;      // XXH3-64 of bytes [0, 120) seeded with the header's salt
};
static_assert(sizeof(LogEntry) == kLogEntrySize);

inline constexpr uint64_t log_entry_offset(uint64_t slot) {
  return kLogHeaderSize + slot * kLogEntrySize;
}

// Version 4's redo group, from the start of a slot: this header, then `line_count` u64 line
// offsets (padded with zeros to a multiple of 64 bytes), then the `line_count` new lines in the
// same order; the group takes whole slots (the rest of its last slot is zero). The header's own
// checksum lets a scan recognise a group's start; the body checksum covers offsets and lines, so
// a group whose write did not finish never verifies.
inline constexpr uint64_t kRedoGroupMagic = 0x34505247534d4146ull;  // "FAMSGRP4", little-endian
struct alignas(64) RedoGroupHeader {
  uint64_t magic;          // kRedoGroupMagic
  uint64_t generation;     // header generation the group was written under
  uint64_t sequence;       // commit number within the generation (from 0)
  uint64_t line_count;     // lines in the group (>= 1)
  uint64_t file_size;      // size word (encode_size) of the data file this commit makes committed
  uint64_t body_checksum;  // XXH3-64 of the offsets and lines (padding included), seeded with salt
  uint64_t reserved;       // zero
  uint64_t checksum;       // XXH3-64 of bytes [0, 56) seeded with the log header's salt
};
static_assert(sizeof(RedoGroupHeader) == 64);

// Bytes of a group's offset table (padded) and of the whole group (unpadded to the slot).
inline constexpr uint64_t redo_offsets_bytes(uint64_t lines) { return (lines * 8 + 63) / 64 * 64; }
inline constexpr uint64_t redo_group_bytes(uint64_t lines) {
  return sizeof(RedoGroupHeader) + redo_offsets_bytes(lines) + lines * kLineSize;
}
// Slots a group of LINES lines takes.
inline constexpr uint64_t redo_group_slots(uint64_t lines) {
  return (redo_group_bytes(lines) + kLogEntrySize - 1) / kLogEntrySize;
}

}  // namespace famsync
