; atomicrmw is a store of its value size, hooked before the operation.
; RUN: %opt -S %s | FileCheck %s

define i32 @rmw(i32* %p, i64* %q, i8* %r) {
; CHECK-LABEL: @rmw(
; CHECK:       call preserve_mostcc void @__fams_store4.pm(
; CHECK:       atomicrmw add i32* %p, i32 1 seq_cst
  %old = atomicrmw add i32* %p, i32 1 seq_cst
; CHECK:       call preserve_mostcc void @__fams_store8.pm(
; CHECK:       atomicrmw xchg i64* %q
  %x = atomicrmw xchg i64* %q, i64 5 acquire
; CHECK:       call preserve_mostcc void @__fams_store1.pm(i8* %r)
; CHECK:       atomicrmw or i8* %r
  %y = atomicrmw or i8* %r, i8 1 monotonic
  ret i32 %old
}
