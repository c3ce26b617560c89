; Writes through an argument of an internal function whose every use is a
; direct call passing memory outside the window (an alloca, a global, heap
; memory, or such an argument of its own caller) are not instrumented: no
; other code can call the function (bzip2's mainGtU(..., &budget)).
; Negative: an externally visible function; an internal one with one call
; site passing unknown memory; one whose address is taken; and the rule
; switched off with -famsync-skip-internal-args=false (OFF).
; RUN: %opt -S %s | FileCheck %s
; RUN: %opt -famsync-skip-internal-args=false -S %s | FileCheck %s --check-prefix=OFF
; RUN: %opt -famsync-stats -disable-output %s 2>&1 | FileCheck %s --check-prefix=STATS

@g = global i64 0
declare i8* @malloc(i64)
declare void @take(i64*, void (i64*)*)

define internal void @dec(i64* %budget) {
; CHECK-LABEL: @dec(
; CHECK-NOT:   __fams_store
; CHECK:       ret void
; OFF-LABEL:   @dec(
; OFF:         call preserve_mostcc void @__fams_store8.pm(
  %v = load i64, i64* %budget
  %w = sub i64 %v, 1
  store i64 %w, i64* %budget
  ret void
}

; Passes its own internal argument on: still provably outside.
define internal void @dec_twice(i64* %b) {
; CHECK-LABEL: @dec_twice(
; CHECK-NOT:   __fams_store
; CHECK:       ret void
  call void @dec(i64* %b)
  call void @dec(i64* %b)
  store i64 0, i64* %b
  ret void
}

define void @callers() {
  %budget = alloca i64
  call void @dec(i64* %budget)
  call void @dec(i64* @g)
  %m = call i8* @malloc(i64 8)
  %mp = bitcast i8* %m to i64*
  call void @dec(i64* %mp)
  call void @dec_twice(i64* %budget)
  ret void
}

; Negative: one call site passes unknown memory.
define internal void @mixed(i64* %p) {
; CHECK-LABEL: @mixed(
; CHECK:       call preserve_mostcc void @__fams_store8.pm(
; CHECK:       store i64 1, i64* %p
  store i64 1, i64* %p
  ret void
}
define void @mixed_callers(i64* %unknown) {
  %l = alloca i64
  call void @mixed(i64* %l)
  call void @mixed(i64* %unknown)
  ret void
}

; Negative: the address is taken (called from elsewhere), even though the
; call that takes it passes an alloca in the argument's position.
define internal void @taken(i64* %p) {
; CHECK-LABEL: @taken(
; CHECK:       call preserve_mostcc void @__fams_store8.pm(
  store i64 1, i64* %p
  ret void
}
define void @taken_callers() {
  %l = alloca i64
  call void @taken(i64* %l)
  call void @take(i64* %l, void (i64*)* @taken)
  ret void
}

; Negative: external linkage, whatever the visible callers pass.
define void @external(i64* %p) {
; CHECK-LABEL: @external(
; CHECK:       call preserve_mostcc void @__fams_store8.pm(
  store i64 1, i64* %p
  ret void
}
define void @external_callers() {
  %l = alloca i64
  call void @external(i64* %l)
  ret void
}

; STATS: internal-function argument 2,
