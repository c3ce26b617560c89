; Shape of the inline window check (the fast path): base and size loaded once
; at the function's entry, then per write ptrtoint, sub, unsigned compare,
; branch to a cold hook block with ASan's weights (1 : 100000), the hook, and a
; branch back to the store.
; RUN: %opt -S %s | FileCheck %s

; Not dso_local: the runtime defines them in libfamsync.so.
; CHECK-DAG: @__fams_window_base = external global i64
; CHECK-DAG: @__fams_window_size = external global i64

define void @check(i64* %p) {
; CHECK-LABEL: @check(
; CHECK-NEXT:    %fams.base = load i64, i64* @__fams_window_base, align 8
; CHECK-NEXT:    %fams.size = load i64, i64* @__fams_window_size, align 8
; CHECK-NEXT:    %fams.addr = ptrtoint i64* %p to i64
; CHECK-NEXT:    %fams.off = sub i64 %fams.addr, %fams.base
; CHECK-NEXT:    %fams.in = icmp ult i64 %fams.off, %fams.size
; CHECK-NEXT:    br i1 %fams.in, label %fams.hook, label %fams.cont, !prof [[PROF:![0-9]+]]
; CHECK:       fams.hook:
; CHECK-NEXT:    [[A:%.*]] = bitcast i64* %p to i8*
; CHECK-NEXT:    call void @__fams_store8(i8* [[A]])
; CHECK-NEXT:    br label %fams.cont
; CHECK:       fams.cont:
; CHECK-NEXT:    store i64 42, i64* %p
; CHECK-NEXT:    ret void
  store i64 42, i64* %p
  ret void
}

; Two writes in a loop: the window is loaded once, in the entry block, and each
; check is just sub + compare + branch.
define void @loop(i64* %p, i64 %n) {
; CHECK-LABEL: @loop(
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %fams.base = load i64, i64* @__fams_window_base
; CHECK-NEXT:    %fams.size = load i64, i64* @__fams_window_size
; CHECK-NOT:     load i64, i64* @__fams_window
; CHECK:         sub i64 {{.*}}, %fams.base
; CHECK-NOT:     load i64, i64* @__fams_window
; CHECK:         sub i64 {{.*}}, %fams.base
; CHECK-NOT:     load i64, i64* @__fams_window
; CHECK:         ret void
entry:
  br label %body
body:
  %i = phi i64 [ 0, %entry ], [ %next, %body ]
  %q = getelementptr i64, i64* %p, i64 %i
  store i64 %i, i64* %q
  %r = getelementptr i64, i64* %q, i64 1
  store i64 %n, i64* %r
  %next = add i64 %i, 2
  %done = icmp uge i64 %next, %n
  br i1 %done, label %exit, label %body
exit:
  ret void
}

; CHECK: [[PROF]] = !{!"branch_weights", i32 1, i32 100000}
