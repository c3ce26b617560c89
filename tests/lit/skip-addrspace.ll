; Stores in a non-default address space are not instrumented.
; RUN: %opt -S %s | FileCheck %s

define void @as(i32 addrspace(1)* %p, i32 addrspace(256)* %fs, i32* %q) {
; CHECK-LABEL: @as(
; CHECK-NOT:   __fams_store
; CHECK:       store i32 1, i32 addrspace(1)* %p
; CHECK-NOT:   __fams_store
; CHECK:       store i32 2, i32 addrspace(256)* %fs
  store i32 1, i32 addrspace(1)* %p
  store i32 2, i32 addrspace(256)* %fs
; The control: the same store in address space 0 is instrumented.
; CHECK:       call preserve_mostcc void @__fams_store4.pm(
; CHECK:       store i32 3, i32* %q
  store i32 3, i32* %q
  ret void
}
