// log_format.hpp — the undo log's on-media format (one log file per data file).
//
// Layout: a 4 KiB header page, then `capacity` entries of 128 bytes (capacity = (file size -
// 4096) / 128; the log grows by extending the file, so no field records the capacity).
//
// Two protocols share the format (the static header records which one a log uses):
//  - undo (pmem backend): entries [0, live_count) whose checksum verifies against the header's
//    generation hold the committed bytes of the lines a commit in flight may have overwritten.
//    `live_count` and `generation` are separate aligned 8-byte words, each written with one
//    store: every combination of their old and new values is a valid state.
//  - redo (file backend): from slot 0, groups of entries holding the NEW bytes of each commit
//    since the last checkpoint; a group counts iff all its entries verify under the header's
//    generation (the checkpoint epoch) with consecutive sequence numbers.
// See DESIGN.md, "Commit protocol". The static part of the header is written once, when the
// file is created under a temporary name and renamed into place, with its own checksum.
#pragma once

#include <cstddef>
#include <cstdint>

namespace famsync {

inline constexpr size_t kLineSize = 64;
inline constexpr size_t kLogHeaderSize = 4096;
inline constexpr size_t kLogEntrySize = 128;
inline constexpr uint32_t kLogFormatVersion = 1;
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

// Header line 1: the two words every commit writes.
struct LogDynamicHeader {
  uint64_t generation;  // entries are valid only if written under this generation
  uint64_t live_count;  // entries [0, live_count) belong to the commit in flight; 0 = none
  uint64_t reserved[6];
};
static_assert(sizeof(LogDynamicHeader) == 64);

enum class LogProtocol : uint32_t { undo = 0, redo = 1 };

inline constexpr size_t kLogStaticOffset = 0;
inline constexpr size_t kLogGenerationOffset = 64;
inline constexpr size_t kLogLiveCountOffset = 72;

// One record: the bytes of one 64-byte line of the data file — the committed ones (undo) or the
// ones being committed (redo).
struct alignas(64) LogEntry {
  uint8_t bytes[64];      // undo: the line as of the last commit; redo: as of this commit
  uint64_t line_offset;   // byte offset of the line in the data file (multiple of 64)
  uint64_t generation;    // header generation the entry was written under
  uint64_t sequence;      // redo: commit number within the generation (from 0); undo: 0
  uint64_t index;         // redo: position within its commit's group; undo: 0
  uint64_t group_size;    // redo: entries in its commit's group; undo: 0
  uint64_t reserved[2];   // zero
  uint64_t checksum;      // XXH3-64 of bytes [0, 120) seeded with the header's salt
};
static_assert(sizeof(LogEntry) == kLogEntrySize);

inline constexpr uint64_t log_entry_offset(uint64_t slot) {
  return kLogHeaderSize + slot * kLogEntrySize;
}

}  // namespace famsync
