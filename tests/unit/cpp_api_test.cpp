// cpp_api_test.cpp — famsync::MappedFile: commit, rollback, RAII, exceptions.
#include "../test_util.hpp"

#include <famsync/famsync.hpp>

#include <gtest/gtest.h>

using namespace famsync::test;

namespace {

TEST(MappedFile, StoreCommitLoad) {
  TempDir dir(Medium::shm_pmem);
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(4096, 0));
  {
    auto f = famsync::MappedFile::open(path);
    f.store<uint64_t>(128, 0xfeedfacecafebeefull);
    f.commit();
    EXPECT_EQ(f.load<uint64_t>(128), 0xfeedfacecafebeefull);
    f.close();
    EXPECT_FALSE(f.is_open());
  }
  auto bytes = read_file(path);
  uint64_t v;
  memcpy(&v, bytes.data() + 128, 8);
  EXPECT_EQ(v, 0xfeedfacecafebeefull);
}

TEST(MappedFile, DestructorRollsBackUncommittedChanges) {
  TempDir dir(Medium::shm_pmem);
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(4096, 1));
  try {
    auto f = famsync::MappedFile::open(path, famsync::Backend::file);
    f.store<uint32_t>(0, 7);
    f.commit();
    f.store<uint32_t>(0, 8);
    throw std::runtime_error("abandon the transaction");
  } catch (const std::runtime_error &) {
  }
  auto bytes = read_file(path);
  uint32_t v;
  memcpy(&v, bytes.data(), 4);
  EXPECT_EQ(v, 7u) << "the destructor must not commit";
  auto f = famsync::MappedFile::open(path);
  EXPECT_EQ(f.load<uint32_t>(0), 7u);
}

TEST(MappedFile, ErrorsAreExceptionsWithCodes) {
  TempDir dir(Medium::shm_pmem);
  try {
    famsync::MappedFile::open(dir.file("missing"));
    FAIL() << "expected famsync::Error";
  } catch (const famsync::Error &e) {
    EXPECT_EQ(e.code().value(), ENOENT);
    EXPECT_EQ(&e.code().category(), &famsync::category());
    EXPECT_NE(std::string(e.what()).find("missing"), std::string::npos) << e.what();
  }
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(100, 0));
  auto f = famsync::MappedFile::open(path);
  EXPECT_THROW(f.store<uint64_t>(96, 1), famsync::Error);  // past the end
  EXPECT_THROW(f.will_write(SIZE_MAX, 2), famsync::Error);
}

TEST(MappedFile, RollbackThenCommit) {
  TempDir dir(Medium::disk_file);
  std::string path = dir.file("data");
  write_file(path, std::vector<uint8_t>(8192, 0));
  auto f = famsync::MappedFile::open(path);
  f.store<uint8_t>(5000, 9);
  f.rollback();
  EXPECT_EQ(f.load<uint8_t>(5000), 0);
  f.store<uint8_t>(6000, 3);
  EXPECT_FALSE(f.try_commit());
  EXPECT_EQ(f.stats().commits, 1u);
  EXPECT_EQ(read_file(path)[6000], 3);
  EXPECT_EQ(read_file(path)[5000], 0);
}

}  // namespace
