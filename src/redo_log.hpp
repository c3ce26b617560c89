// redo_log.hpp — the file backend's commit log: one group of new line images per commit (format
// version 4: a header, the line offsets, the lines; log_format.hpp). What it shares with the undo
// log (generation, capacity, committed-size word, growing) is LogBase's.
//
// Why a second protocol: on ordinary files every ordering point is an fdatasync (milliseconds on
// a disk), and undo logging needs three per commit. Redo needs one on the critical path: the
// commit is durable once its group is in the log; the data file is written afterwards without a
// sync and made durable only at a checkpoint (when the log is full, and at unmap).
//
// Invariant: groups [0, tail) of the current generation describe every commit whose bytes may
// not yet be durable in the data file, in commit order, each with the file size it commits; a
// checkpoint syncs the data file and makes the committed size durable in the next generation's
// header slot before it retires them (generation + 1), so no commit is ever only in a retired
// group.
#pragma once

#include "backend.hpp"
#include "line_images.hpp"
#include "log_base.hpp"
#include "log_format.hpp"

#include <array>
#include <cstdint>
#include <cstring>
#include <functional>
#include <vector>

namespace famsync {

class RedoLog final : public LogBase {
 public:
  // SIZE_WORDS: the header's two committed-size slots as they are durable now. VERSION: the log
  // file's format version (an older one is only recovered and checkpointed, never appended to).
  RedoLog(Backend *backend, uint64_t salt, uint64_t generation, uint64_t capacity,
          const uint64_t size_words[2], uint32_t version)
      : LogBase(backend, salt, generation, capacity),
        size_words_{size_words[0], size_words[1]},
        version_(version) {}

  uint32_t version() const { return version_; }

  // Makes room for a group of LINES lines after the tail: grows the log if it does not fit even
  // in an empty one (ENOSPC/EIO here change nothing durable: *POISONOUS stays false), then
  // checkpoints (with COMMITTED_SIZE, the size the retired groups leave committed) if it does not
  // fit after the tail (an error there sets *POISONOUS).
  int make_room(uint64_t lines, uint64_t committed_size, bool *poisonous);

  // Makes the bytes of IMAGES (its lines: line indices, sorted) durable in the log as one group
  // recording NEW_SIZE as the file's committed size: the commit point. Call
  // make_room(lines.size()) first. Errors: persistence errors (the caller poisons the region);
  // EINVAL on a log of an older format.
  int append_group(const LineImages &images, uint64_t new_size);

  // Syncs the data file, makes COMMITTED_SIZE the next generation's size (durably, before the
  // generation changes), then retires every group (generation + 1). Also the commit of a size
  // change without dirty lines. Errors: persistence errors.
  int checkpoint(uint64_t committed_size);

  // lower_committed_size() and clear_committed_size() (LogBase) only with no group since the last
  // checkpoint (tail() == 0): EINVAL otherwise.

  uint64_t tail() const { return tail_; }

  // The data file's LINES (sorted line indices) were written back with cached stores
  // (Backend::stage): the next checkpoint flushes them before it syncs the data file. A line
  // already listed since the last checkpoint is usually not listed again (hot lines are written
  // back by most commits: each would cost a flush per commit at the checkpoint); the filter is
  // lossy in one direction only: a line it skips is in the list.
  void note_cached_write_back(const std::vector<uint64_t> &lines) {
    for (uint64_t line : lines) {
      uint64_t &seen = listed_filter_[line % kListedFilterSize];
      if (seen == line + 1) continue;
      seen = line + 1;
      unflushed_lines_.push_back(line);
    }
  }

 private:
  int set_current_size_word(uint64_t word) override;
  // append_group for a group of at most kSmallGroupBytes (most commits): built whole in chunk_.
  int append_small_group(const LineImages &images, uint64_t new_size);
  RedoGroupHeader group_header(uint64_t lines, uint64_t new_size, uint64_t body_checksum) const;
  int publish_group(uint64_t slots);

  uint64_t size_words_[2];  // the header's committed-size slots, as durable
  uint32_t version_;
  uint64_t tail_ = 0;      // first free slot
  uint64_t sequence_ = 0;  // sequence number of the next group
  // Lines written back with cached stores since the last checkpoint (note_cached_write_back),
  // and a direct-mapped filter of lines in that list (line + 1; 0: empty), reset with it.
  std::vector<uint64_t> unflushed_lines_;
  static constexpr size_t kListedFilterSize = 4096;
  std::array<uint64_t, kListedFilterSize> listed_filter_{};
  // A chunk of the group being appended (offsets, padding): kept, so no allocation per commit.
  static constexpr size_t kChunkBytes = 64 * 1024;
  // Pieces this long are written straight from the images; shorter ones are gathered first.
  static constexpr size_t kDirectBytes = 4096;
  // Groups up to this size (slots included) are built whole and written at once; a copy of
  // their lines costs less than the calls it saves.
  static constexpr size_t kSmallGroupBytes = 16 * 1024;
  std::vector<char> chunk_;
};

// One commit's group as recovery and inspection see it, whatever the format version.
// Its body is laid out as version 4 stores it (the offsets, padded to 64 bytes, then the lines),
// so a version-4 group is visited straight from the bytes read, without a copy.
struct RedoGroup {
  uint64_t sequence = 0;
  uint64_t file_size = 0;  // size word (encode_size) the commit records
  uint64_t lines = 0;      // lines in the group
  std::vector<char> body;  // redo_group_bytes(lines) - 64 bytes

  // Byte offset in the data file, and new bytes, of the group's I-th line.
  uint64_t offset(size_t i) const {
    uint64_t off;
    memcpy(&off, body.data() + i * sizeof off, sizeof off);
    return off;
  }
  const char *line(size_t i) const {
    return body.data() + redo_offsets_bytes(lines) + i * kLineSize;
  }
};

// Reads LEN bytes at byte offset OFF of a log file (through a backend, or a plain file for
// inspection).
using ReadLog = std::function<int(uint64_t off, void *dst, size_t len)>;

// Where a log's redo groups are: its format version, salt, current generation and capacity.
struct RedoLogShape {
  uint32_t version;
  uint64_t salt;
  uint64_t generation;
  uint64_t capacity;  // slots
};

// Walks the complete groups of a redo log from slot 0 in order, calling VISIT(group) for each,
// and stops at the first slot that does not start a complete group of the current generation
// with the next sequence number (version 4: header and body verify; version 3: all its entries
// verify, consecutive, with one group size and file size). *SLOTS_USED receives the slots covered
// by complete groups. Errors: those of READ or VISIT.
int scan_redo_groups(const ReadLog &read, const RedoLogShape &shape,
                     const std::function<int(const RedoGroup &)> &visit, uint64_t *groups,
                     uint64_t *slots_used);

// After scan_redo_groups stopped at slot FROM having found GROUPS groups: looks for an intact
// group (version 3: entry) of a LATER commit of the current generation. An interrupted append is
// always the last group, so one found means the group at FROM was complete once and has been
// damaged since. *FOUND_SLOT / *FOUND_SEQUENCE receive it; *FOUND false if there is none. The
// search stops at the first sign of the tail: zeros or an older generation's record where a
// record starts. Errors: those of READ.
int find_later_redo_group(const ReadLog &read, const RedoLogShape &shape, uint64_t from,
                          uint64_t groups, bool *found, uint64_t *found_slot,
                          uint64_t *found_sequence);

}  // namespace famsync
