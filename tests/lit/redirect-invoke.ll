; A C++ call that may unwind (an invoke) is redirected as an invoke with the
; same successors.
; RUN: %opt -S %s | FileCheck %s

declare i32 @msync(i8*, i64, i32)
declare i32 @__gxx_personality_v0(...)

define i32 @inv(i8* %m) personality i32 (...)* @__gxx_personality_v0 {
; CHECK-LABEL: @inv(
; CHECK:       %r = invoke i32 @__fams_msync(i8* %m, i64 64, i32 4)
; CHECK-NEXT:          to label %ok unwind label %lp
entry:
  %r = invoke i32 @msync(i8* %m, i64 64, i32 4) to label %ok unwind label %lp
ok:
; CHECK:     ok:
; CHECK-NEXT:  ret i32 %r
  ret i32 %r
lp:
  %l = landingpad { i8*, i32 } cleanup
  resume { i8*, i32 } %l
}
