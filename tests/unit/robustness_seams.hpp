// robustness_seams.hpp — backend-level helpers for robustness_test.cpp, in their own translation
// unit because the engine's famsync::Backend and the C++ API's famsync::Backend (famsync.hpp)
// cannot meet in one file.
#pragma once

#include <cstdint>
#include <string>

namespace famsync::test {

// Installs (or removes) a backend factory whose file backend fails every data read with EIO
// while set_fail_reads(true) is in effect.
void install_failing_reads_backend();
void uninstall_failing_reads_backend();
void set_fail_reads(bool fail);

// make_pmem_backend on PATH (4096 bytes) mapped MAP_BYTES long, with a log that cannot be
// mapped: returns its error code (the caller checks nothing of PATH stays mapped).
int make_pmem_backend_with_bad_log(const std::string &path, uint64_t map_bytes);

}  // namespace famsync::test
