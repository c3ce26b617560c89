; sprintf's range is known only after the call: __fams_after_write_range(dst,
; ret + 1) AFTER it, and nothing (length 0) when it returns a negative value.
; No pre-write hook is emitted.
; RUN: %opt -S %s | FileCheck %s

@fmt = private constant [3 x i8] c"%d\00"
declare i32 @sprintf(i8*, i8*, ...)
declare i32 @vsprintf(i8*, i8*, i8*)

define i32 @spr(i8* %d, i32 %v, i8* %ap) {
; CHECK-LABEL: @spr(
; CHECK-NOT:   __fams_before_write_range
; CHECK:       [[R:%.*]] = call i32 (i8*, i8*, ...) @sprintf(i8* %d,
; CHECK-NEXT:  [[R64:%.*]] = sext i32 [[R]] to i64
; CHECK-NEXT:  [[P1:%.*]] = add i64 [[R64]], 1
; CHECK-NEXT:  [[NEG:%.*]] = icmp slt i64 [[R64]], 0
; CHECK-NEXT:  %fams.wrote = select i1 [[NEG]], i64 0, i64 [[P1]]
; CHECK:     fams.hook:
; CHECK-NEXT:  call void @__fams_after_write_range(i8* %d, i64 %fams.wrote)
  %f = getelementptr [3 x i8], [3 x i8]* @fmt, i64 0, i64 0
  %r = call i32 (i8*, i8*, ...) @sprintf(i8* %d, i8* %f, i32 %v)
; CHECK:       call i32 @vsprintf(
; CHECK:       call void @__fams_after_write_range(i8* %d,
  %r2 = call i32 @vsprintf(i8* %d, i8* %f, i8* %ap)
; The post hook comes before the return that uses the value.
; CHECK:       ret i32 [[R]]
  ret i32 %r
}
