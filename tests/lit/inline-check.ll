; Shape of the inline window check (the fast path). Default: the fixed check
; range of abi.h, tested with an immediate compare and no load:
; (addr >> 41) == 16, branch to a cold hook block with ASan's weights
; (1 : 100000), the hook (through the module's preserve_most stub), and a
; branch back to the store. With -famsync-fixed-window=false (LOADED): the
; version-1 check, base and size loaded once at the function's entry, then per
; write ptrtoint, sub, unsigned compare. (-famsync-compact-hooks, which weights
; hooks outside loops 1:1, is switched off here; see compact-hooks.ll.)
; RUN: %opt -famsync-compact-hooks=false -S %s | FileCheck %s
; RUN: %opt -famsync-compact-hooks=false -famsync-fixed-window=false -S %s | FileCheck %s --check-prefix=LOADED

; CHECK-NOT: @__fams_window_base
; CHECK-NOT: @__fams_window_size
; Not dso_local: the runtime defines them in libfamsync.so.
; LOADED-DAG: @__fams_window_base = external global i64
; LOADED-DAG: @__fams_window_size = external global i64

define void @check(i64* %p) {
; CHECK-LABEL: @check(
; CHECK-NEXT:    %fams.addr = ptrtoint i64* %p to i64
; CHECK-NEXT:    %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.in = icmp eq i64 %fams.hi, 16
; CHECK-NEXT:    br i1 %fams.in, label %fams.hook, label %fams.cont, !prof [[PROF:![0-9]+]]
; CHECK:       fams.hook:
; CHECK-NEXT:    [[A:%.*]] = bitcast i64* %p to i8*
; CHECK-NEXT:    call preserve_mostcc void @__fams_store8.pm(i8* [[A]])
; CHECK-NEXT:    br label %fams.cont
; CHECK:       fams.cont:
; CHECK-NEXT:    store i64 42, i64* %p
; CHECK-NEXT:    ret void
; LOADED-LABEL: @check(
; LOADED-NEXT:    %fams.base = load i64, i64* @__fams_window_base, align 8
; LOADED-NEXT:    %fams.size = load i64, i64* @__fams_window_size, align 8
; LOADED-NEXT:    %fams.addr = ptrtoint i64* %p to i64
; LOADED-NEXT:    %fams.off = sub i64 %fams.addr, %fams.base
; LOADED-NEXT:    %fams.in = icmp ult i64 %fams.off, %fams.size
; LOADED-NEXT:    br i1 %fams.in, label %fams.hook, label %fams.cont, !prof [[PROF:![0-9]+]]
; LOADED:       fams.hook:
; LOADED:         call preserve_mostcc void @__fams_store8.pm(
; LOADED:       fams.cont:
; LOADED-NEXT:    store i64 42, i64* %p
  store i64 42, i64* %p
  ret void
}

; Two writes in a loop (through two pointers, so not one group): with the
; loaded window, base and size are loaded once, in the entry block, and each
; check is just sub + compare + branch; with the fixed window there is no load
; at all.
define void @loop(i64* %p, i64* %q0, i64 %n) {
; CHECK-LABEL: @loop(
; CHECK-NOT:     load
; CHECK:         lshr i64 {{.*}}, 41
; CHECK-NOT:     load
; CHECK:         lshr i64 {{.*}}, 41
; CHECK-NOT:     load
; CHECK:         ret void
; LOADED-LABEL: @loop(
; LOADED-NEXT:  entry:
; LOADED-NEXT:    %fams.base = load i64, i64* @__fams_window_base
; LOADED-NEXT:    %fams.size = load i64, i64* @__fams_window_size
; LOADED-NOT:     load i64, i64* @__fams_window
; LOADED:         sub i64 {{.*}}, %fams.base
; LOADED-NOT:     load i64, i64* @__fams_window
; LOADED:         sub i64 {{.*}}, %fams.base
; LOADED-NOT:     load i64, i64* @__fams_window
; LOADED:         ret void
entry:
  br label %body
body:
  %i = phi i64 [ 0, %entry ], [ %next, %body ]
  %q = getelementptr i64, i64* %p, i64 %i
  store i64 %i, i64* %q
  %r = getelementptr i64, i64* %q0, i64 %i
  store i64 %n, i64* %r
  %next = add i64 %i, 2
  %done = icmp uge i64 %next, %n
  br i1 %done, label %exit, label %body
exit:
  ret void
}

; A range (memset): [a, a+len) intersects the check range
; [0x200000000000, + 2^41) iff a - base < 2^41 or base - a < len, with the
; bounds as immediates.
define void @range(i8* %d, i64 %n) {
; CHECK-LABEL: @range(
; CHECK-NEXT:    %fams.addr = ptrtoint i8* %d to i64
; CHECK-NEXT:    %fams.off = sub i64 %fams.addr, 35184372088832
; CHECK-NEXT:    %fams.in = icmp ult i64 %fams.off, 2199023255552
; CHECK-NEXT:    %fams.negoff = sub i64 0, %fams.off
; CHECK-NEXT:    %fams.reaches = icmp ult i64 %fams.negoff, %n
; CHECK-NEXT:    %fams.hit = or i1 %fams.in, %fams.reaches
; CHECK-NEXT:    br i1 %fams.hit, label %fams.hook, label %fams.cont
; CHECK:         call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
  call void @llvm.memset.p0i8.i64(i8* %d, i8 0, i64 %n, i1 false)
  ret void
}
declare void @llvm.memset.p0i8.i64(i8*, i8, i64, i1)

; CHECK: define linkonce_odr hidden preserve_mostcc void @__fams_store8.pm(i8* %0) {{.*}}comdat
; CHECK-NEXT:  call void @__fams_store8(i8* %0)
; CHECK-NEXT:  ret void
; CHECK: [[PROF]] = !{!"branch_weights", i32 1, i32 100000}
