; optnone functions (clang -O0) are instrumented: the pass is required.
; RUN: %opt -S %s | FileCheck %s

define void @on(i32* %p) noinline optnone {
; CHECK-LABEL: @on(
; CHECK:       call preserve_mostcc void @__fams_store4.pm(
; CHECK:       store i32 1, i32* %p
  store i32 1, i32* %p
  ret void
}
