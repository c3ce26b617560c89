// pmem_lib.cpp — see pmem_lib.hpp.
#include "pmem_lib.hpp"

#include "error.hpp"

#include <cerrno>
#include <dlfcn.h>
#include <mutex>
#include <string>

namespace famsync {

int load_pmem_lib(const PmemLib **out) {
  static PmemLib lib{};
  static int rc = -1;
  static std::string why;
  static std::once_flag once;
  std::call_once(once, [] {
    void *h = dlopen("libpmem.so.1", RTLD_NOW | RTLD_LOCAL);
    if (h == nullptr) {
      const char *e = dlerror();
      why = e != nullptr ? e : "dlopen failed";
      rc = ENOENT;
      return;
    }
    lib.memcpy = reinterpret_cast<decltype(lib.memcpy)>(dlsym(h, "pmem_memcpy"));
    lib.flush = reinterpret_cast<decltype(lib.flush)>(dlsym(h, "pmem_flush"));
    lib.drain = reinterpret_cast<decltype(lib.drain)>(dlsym(h, "pmem_drain"));
    if (lib.memcpy == nullptr || lib.flush == nullptr || lib.drain == nullptr) {
      why = "libpmem.so.1 lacks pmem_memcpy/pmem_flush/pmem_drain (too old?)";
      rc = ENOENT;
      return;
    }
    rc = 0;  // the handle stays open for the process's lifetime
  });
  if (rc != 0)
    return fail(rc, "the pmem backend needs libpmem (Debian package libpmem1): %s", why.c_str());
  *out = &lib;
  return 0;
}

}  // namespace famsync
