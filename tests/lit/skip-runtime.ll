; The runtime's own functions (__fams_*) and functions carrying
; disable_sanitizer_instrumentation are left alone; other functions in the
; same module are instrumented.
; RUN: %opt -S %s | FileCheck %s

declare i32 @msync(i8*, i64, i32)

define void @__fams_internal_helper(i32* %p, i8* %m) {
; CHECK-LABEL: @__fams_internal_helper(
; CHECK-NOT:   __fams_store
; CHECK:       store i32 1, i32* %p
; CHECK-NEXT:  call i32 @msync(
  store i32 1, i32* %p
  %r = call i32 @msync(i8* %m, i64 64, i32 4)
  ret void
}

define void @opted_out(i32* %p) disable_sanitizer_instrumentation {
; CHECK-LABEL: @opted_out(
; CHECK-NEXT:  store i32 2, i32* %p
; CHECK-NEXT:  ret void
  store i32 2, i32* %p
  ret void
}

define void @user(i32* %p) {
; CHECK-LABEL: @user(
; CHECK:       call preserve_mostcc void @__fams_store4.pm(
  store i32 3, i32* %p
  ret void
}
