// clang-14 -fpass-plugin runs the pass at every optimisation level: the store
// through a pointer is hooked, purely local variables are not (at -O0 they
// are non-escaping allocas, at -O2 SROA removed them before the pass ran),
// msync is redirected and the module gets its constructor.
// RUN: %clang_famsync -O0 -S -emit-llvm -o - %s | FileCheck %s
// RUN: %clang_famsync -O1 -S -emit-llvm -o - %s | FileCheck %s
// RUN: %clang_famsync -O2 -S -emit-llvm -o - %s | FileCheck %s
// RUN: %clang_famsync -O3 -S -emit-llvm -o - %s | FileCheck %s
// RUN: %clang_famsync -Os -S -emit-llvm -o - %s | FileCheck %s
// The control: without the plugin nothing is instrumented.
// RUN: %clang_plain -O2 -S -emit-llvm -o - %s | FileCheck %s --check-prefix=PLAIN
// PLAIN-NOT: __fams

#include <stddef.h>
int msync(void *addr, size_t len, int flags);

// put makes no other call: the hook is reached by the frameless jump (see
// frameless-hooks.ll).
// CHECK-LABEL: define {{.*}}void @put(
// CHECK:       call void asm sideeffect "leaq 1f(%rip), %r11{{.*}}@__fams_store4.jr)
// CHECK:       store i32
void put(int *p, int v) { *p = v; }

// CHECK-LABEL: define {{.*}}i32 @local_only(
// CHECK-NOT:   @__fams_store
// CHECK:       ret i32
int local_only(int v) {
  int tmp[4];
  for (int i = 0; i < 4; i++)
    tmp[i] = v + i;
  return tmp[v & 3];
}

// CHECK-LABEL: define {{.*}}i32 @commit(
// CHECK:       call i32 @__fams_msync(
int commit(void *p) { return msync(p, 4096, 4); }

// CHECK: define internal void @famsync.module_ctor()
// CHECK: call void @__fams_module_init()
