// clang -mllvm -famsync-stats prints the per-module summary (the plugin is
// also given to -Xclang -load so that -mllvm knows the option).
// RUN: %clang_famsync -O0 -mllvm -famsync-stats -c -o /dev/null %s 2>&1 | FileCheck %s --check-prefix=O0
// RUN: %clang_famsync -O2 -mllvm -famsync-stats -c -o /dev/null %s 2>&1 | FileCheck %s --check-prefix=O2
// -mllvm -famsync-skip-module: nothing is instrumented.
// RUN: %clang_famsync -O2 -mllvm -famsync-skip-module -S -emit-llvm -o - %s | FileCheck %s --check-prefix=SKIP

// At -O0 the parameter spills (p.addr, v.addr) and the local are
// allocas; at -O2 they are gone; p[0] and p[1] share one grouped check.
// O0: famsync: module {{.*}}clang-stats.c: 2 stores instrumented, 3 skipped (alloca 3, global 0,
// O2: famsync: module {{.*}}clang-stats.c: 2 stores instrumented, 0 skipped
// O2-SAME: 2 stores in 1 grouped checks
// SKIP-NOT: __fams

void two(int *p, int v) {
  int local = v * 2;
  p[0] = local;
  p[1] = v;
}
