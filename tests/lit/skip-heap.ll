; Writes to memory from malloc/calloc/operator new, followed through GEPs, phis
; and selects, are never in the window: no check. One unknown underlying object
; (an argument) keeps the check.
; RUN: %opt -S %s | FileCheck %s

declare i8* @malloc(i64)
declare i8* @calloc(i64, i64)
declare i8* @_Znwm(i64)

define void @heap(i64 %n, i1 %c, i8* %arg) {
; CHECK-LABEL: @heap(
; CHECK-NOT:   @__fams_store
; CHECK-NOT:   @__fams_before_write_range
; CHECK:       store i8 1, i8* %m
; CHECK:       store i8 2, i8* %sel
; CHECK:       store i8 3, i8* %gep
  %m = call i8* @malloc(i64 %n)
  store i8 1, i8* %m
  %k = call i8* @calloc(i64 %n, i64 1)
  %o = call i8* @_Znwm(i64 %n)
  %sel = select i1 %c, i8* %k, i8* %o
  store i8 2, i8* %sel
  %gep = getelementptr i8, i8* %sel, i64 5
  store i8 3, i8* %gep
; Mixed with an argument: instrumented.
; CHECK:       call preserve_mostcc void @__fams_store1.pm(
; CHECK:       store i8 4, i8* %mix
  %mix = select i1 %c, i8* %m, i8* %arg
  store i8 4, i8* %mix
  ret void
}

define void @loop_swap(i64* %unused, i64 %n) {
; Two malloc'd buffers swapped through a phi (a merge sort's ping-pong): skipped.
; CHECK-LABEL: @loop_swap(
; CHECK-NOT:   @__fams_store
; CHECK:       ret void
entry:
  %a0 = call i8* @malloc(i64 800)
  %b0 = call i8* @malloc(i64 800)
  %a = bitcast i8* %a0 to i64*
  %b = bitcast i8* %b0 to i64*
  br label %body
body:
  %x = phi i64* [ %a, %entry ], [ %y, %body ]
  %y = phi i64* [ %b, %entry ], [ %x, %body ]
  %i = phi i64 [ 0, %entry ], [ %next, %body ]
  %slot = getelementptr i64, i64* %x, i64 %i
  store i64 %i, i64* %slot
  %next = add i64 %i, 1
  %done = icmp uge i64 %next, %n
  br i1 %done, label %exit, label %body
exit:
  ret void
}
