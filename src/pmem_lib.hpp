// pmem_lib.hpp — libpmem, loaded (dlopen) when the first pmem backend is made, not at start.
//
// Why: linking libpmem pulls in libndctl, libdaxctl, libudev, libkmod, libcrypto and more, whose
// constructors run in every program linked with famsync — one built with famsync-cc that never
// maps a file included (issue 16: about 3 ms and 7.7 M instructions per start). famsync uses
// three of libpmem's functions; they are resolved once, on first use.
// Invariant: a PmemLib returned by load_pmem_lib() stays valid for the process's lifetime.
#pragma once

#include <cstddef>

namespace famsync {

struct PmemLib {
  void *(*memcpy)(void *dst, const void *src, size_t len, unsigned flags);
  void (*flush)(const void *addr, size_t len);
  void (*drain)(void);
};

// Loads libpmem (libpmem.so.1) once, thread-safe. Errors: ENOENT (not installed, or a symbol is
// missing; the message names the Debian package).
int load_pmem_lib(const PmemLib **out);

}  // namespace famsync
