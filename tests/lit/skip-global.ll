; Stores to global variables (constant or not, thread-local or not), also
; through a GEP, are not instrumented: globals never live in the window. A
; store through a pointer loaded from a global is.
; RUN: %opt -S %s | FileCheck %s

@g = global i32 0
@arr = global [8 x i64] zeroinitializer
@tls = thread_local global i32 0
@ptr = global i32* null
@c = constant i32 5

define void @globals() {
; CHECK-LABEL: @globals(
; CHECK-NOT:   __fams_store
; CHECK:       store i32 1, i32* @g
; CHECK-NOT:   __fams_store
; CHECK:       store i64 2, i64*
; CHECK-NOT:   __fams_store
; CHECK:       store i32 3, i32* @tls
; CHECK-NOT:   __fams_store
; CHECK:       store i32 4, i32* @c
  store i32 1, i32* @g
  %e = getelementptr [8 x i64], [8 x i64]* @arr, i64 0, i64 3
  store i64 2, i64* %e
  store i32 3, i32* @tls
  store i32 4, i32* @c
; CHECK:       %p = load i32*, i32** @ptr
; CHECK:       call preserve_mostcc void @__fams_store4.pm(
; CHECK:       store i32 5, i32* %p
  %p = load i32*, i32** @ptr
  store i32 5, i32* %p
  ret void
}
