// log_format_test.cpp — the on-media format: sizes, offsets and what the checksums catch.
#include "checksum.hpp"
#include "log_format.hpp"

#include <gtest/gtest.h>

#include <cstring>
#include <random>

using namespace famsync;

namespace {

LogEntry make_entry(uint64_t salt, uint64_t gen) {
  LogEntry e{};
  for (int i = 0; i < 64; ++i) e.bytes[i] = static_cast<uint8_t>(i * 7);
  e.line_offset = 4096 + 64 * 3;
  e.generation = gen;
  e.checksum = entry_checksum(e, salt);
  return e;
}

TEST(LogFormat, LayoutIsFixed) {
  EXPECT_EQ(sizeof(LogEntry), 128u);
  EXPECT_EQ(alignof(LogEntry), 64u);
  EXPECT_EQ(offsetof(LogDynamicHeader, generation) + 64, kLogGenerationOffset);
  EXPECT_EQ(offsetof(LogDynamicHeader, live_count) + 64, kLogLiveCountOffset);
  EXPECT_EQ(log_entry_offset(0), 4096u);
  EXPECT_EQ(log_entry_offset(10), 4096u + 1280u);
}

// Version 4's redo group: a 64-byte header, the offsets padded to 64 bytes, 64 bytes per line,
// whole 128-byte slots: 72 bytes per line in a large group.
TEST(LogFormat, RedoGroupSizes) {
  EXPECT_EQ(sizeof(RedoGroupHeader), 64u);
  EXPECT_EQ(redo_offsets_bytes(1), 64u);
  EXPECT_EQ(redo_offsets_bytes(8), 64u);
  EXPECT_EQ(redo_offsets_bytes(9), 128u);
  EXPECT_EQ(redo_group_bytes(1), 192u);
  EXPECT_EQ(redo_group_slots(1), 2u);
  EXPECT_EQ(redo_group_slots(2), 2u);   // 64 + 64 + 128 = 256
  EXPECT_EQ(redo_group_slots(3), 3u);   // 320
  EXPECT_EQ(redo_group_slots(16384), 9217u);  // 64 + 131072 + 1048576 = 1179712 bytes
  EXPECT_LE(redo_group_slots(16384) * kLogEntrySize, 16384u * 72 + 128);
}

TEST(LogFormat, RedoHeaderValidOnlyWithItsMagicGenerationAndSalt) {
  RedoGroupHeader h{};
  h.magic = kRedoGroupMagic;
  h.generation = 9;
  h.sequence = 2;
  h.line_count = 5;
  h.file_size = encode_size(4096);
  h.checksum = redo_header_checksum(h, 0x77);
  EXPECT_TRUE(redo_header_is_valid(h, 0x77, 9));
  EXPECT_FALSE(redo_header_is_valid(h, 0x77, 10)) << "a checkpoint must retire the group";
  EXPECT_FALSE(redo_header_is_valid(h, 0x78, 9)) << "a group from another log must not verify";
  for (size_t byte = 0; byte < offsetof(RedoGroupHeader, checksum) + 8; ++byte) {
    RedoGroupHeader x = h;
    reinterpret_cast<uint8_t *>(&x)[byte] ^= 0x10;
    EXPECT_FALSE(redo_header_is_valid(x, 0x77, 9)) << "byte " << byte;
  }
  RedoGroupHeader empty = h;
  empty.line_count = 0;
  empty.checksum = redo_header_checksum(empty, 0x77);
  EXPECT_FALSE(redo_header_is_valid(empty, 0x77, 9)) << "a group has at least one line";
}

TEST(LogFormat, EntryValidOnlyUnderItsGenerationAndSalt) {
  LogEntry e = make_entry(0x1234, 77);
  EXPECT_TRUE(entry_is_valid(e, 0x1234, 77));
  EXPECT_FALSE(entry_is_valid(e, 0x1234, 78)) << "a generation bump must invalidate the entry";
  EXPECT_FALSE(entry_is_valid(e, 0x1235, 77)) << "an entry from another log must not verify";
}

TEST(LogFormat, EveryBitFlipInAnEntryIsDetected) {
  const LogEntry good = make_entry(99, 5);
  for (size_t byte = 0; byte < offsetof(LogEntry, checksum) + 8; ++byte) {
    for (int bit = 0; bit < 8; ++bit) {
      LogEntry e = good;
      reinterpret_cast<uint8_t *>(&e)[byte] ^= static_cast<uint8_t>(1u << bit);
      EXPECT_FALSE(entry_is_valid(e, 99, 5)) << "byte " << byte << " bit " << bit;
    }
  }
}

TEST(LogFormat, TornEntryIsDetected) {
  // A 128-byte entry spans two cache lines that may persist independently: the new first line
  // with the old second line (or vice versa) must not verify.
  LogEntry older = make_entry(3, 10), newer = make_entry(3, 11);
  newer.bytes[0] ^= 0xFF;
  newer.checksum = entry_checksum(newer, 3);
  LogEntry torn = newer;
  memcpy(reinterpret_cast<uint8_t *>(&torn) + 64, reinterpret_cast<uint8_t *>(&older) + 64, 64);
  EXPECT_FALSE(entry_is_valid(torn, 3, 11));
  EXPECT_FALSE(entry_is_valid(torn, 3, 10));
}

TEST(LogFormat, StaticHeaderChecksumCoversEveryField) {
  LogStaticHeader h{};
  memcpy(h.magic, kLogMagic, 8);
  h.version = kLogFormatVersion;
  h.entry_size = kLogEntrySize;
  h.data_ino = 42;
  h.salt = 7;
  h.checksum = static_header_checksum(h);
  for (size_t byte = 0; byte < offsetof(LogStaticHeader, checksum); ++byte) {
    LogStaticHeader d = h;
    reinterpret_cast<uint8_t *>(&d)[byte] ^= 1;
    EXPECT_NE(static_header_checksum(d), h.checksum) << "byte " << byte;
  }
}

}  // namespace
