// C++ through clang++-14 -fpass-plugin at -O0 and -O2: member stores, a
// std::atomic RMW, and an msync inside a try block (an invoke, because
// msync is a cancellation point and not declared nothrow) redirected.
// RUN: %clangxx_famsync -O0 -S -emit-llvm -o - %s | FileCheck %s
// RUN: %clangxx_famsync -O2 -S -emit-llvm -o - %s | FileCheck %s

#include <atomic>
#include <cstddef>
#include <sys/mman.h>

struct Counter {
  long hits = 0;
  std::atomic<int> refs{0};
  void hit() { ++hits; refs.fetch_add(1); }
};

void may_throw();

// CHECK-LABEL: define {{.*}}@_Z4bumpP7Counter(
// (At -O2 bump makes no call and reaches the hooks by the frameless jump, at
// -O0 hit() calls fetch_add and keeps the preserve_most stubs.)
// CHECK:       {{call preserve_mostcc void @__fams_store8.pm\(|@__fams_store8.jr\)}}
// CHECK:       {{call preserve_mostcc void @__fams_store4.pm\(|@__fams_store4.jr\)}}
// CHECK:       atomicrmw add
void bump(Counter *c) { c->hit(); }

// CHECK-LABEL: define {{.*}}@_Z6commitPv(
// CHECK:       {{invoke|call}} {{.*}}@__fams_msync(
// CHECK-NOT:   {{call|invoke}} {{.*}}@msync(
int commit(void *p) {
  try {
    may_throw();
    return msync(p, 4096, MS_SYNC);
  } catch (...) {
    return -1;
  }
}
