; Stores to an alloca that does not escape are not instrumented (stack memory
; is never in the window); an alloca whose address escapes is.
; RUN: %opt -S %s | FileCheck %s

declare void @use(i32*)

define i32 @local() {
; CHECK-LABEL: @local(
; CHECK-NOT:   __fams_store
; CHECK:       ret i32
  %a = alloca i32
  %arr = alloca [4 x i64]
  store i32 1, i32* %a
  %e = getelementptr [4 x i64], [4 x i64]* %arr, i64 0, i64 2
  store i64 2, i64* %e
  %v = load i32, i32* %a
  ret i32 %v
}

define void @escaping() {
; CHECK-LABEL: @escaping(
; CHECK:       call preserve_mostcc void @__fams_store4.pm(
; CHECK:       store i32 1, i32* %a
  %a = alloca i32
  store i32 1, i32* %a
  call void @use(i32* %a)
  ret void
}

; Escaping through a store of its address (into memory we know nothing of)
; counts too, even when the store comes later.
define void @escaping_by_store(i32** %out) {
; CHECK-LABEL: @escaping_by_store(
; CHECK:       call preserve_mostcc void @__fams_store4.pm(
; CHECK:       store i32 1, i32* %a
  %a = alloca i32
  store i32 1, i32* %a
  store i32* %a, i32** %out
  ret void
}
