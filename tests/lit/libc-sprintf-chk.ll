; __sprintf_chk(dst, flag, objsize, fmt, ...): a known object size gives a
; pre-write hook over it; (size_t)-1 ("unknown") falls back to the post hook;
; a run-time object size gets both (pre with length 0 if it is -1).
; RUN: %opt -S %s | FileCheck %s

declare i32 @__sprintf_chk(i8*, i32, i64, i8*, ...)

define void @chk(i8* %d, i8* %f, i64 %os) {
; CHECK-LABEL: @chk(
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 32)
; CHECK:       call i32 (i8*, i32, i64, i8*, ...) @__sprintf_chk(i8* %d, i32 1, i64 32,
; CHECK-NOT:   __fams_after_write_range
; CHECK:       call i32 (i8*, i32, i64, i8*, ...) @__sprintf_chk(i8* %d, i32 1, i64 -1,
; CHECK:       call void @__fams_after_write_range(i8* %d,
  %a = call i32 (i8*, i32, i64, i8*, ...) @__sprintf_chk(i8* %d, i32 1, i64 32, i8* %f)
  %b = call i32 (i8*, i32, i64, i8*, ...) @__sprintf_chk(i8* %d, i32 1, i64 -1, i8* %f)
; CHECK:       [[U:%.*]] = icmp eq i64 %os, -1
; CHECK:       [[L:%.*]] = select i1 [[U]], i64 0, i64 %os
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 [[L]])
; CHECK:       call i32 (i8*, i32, i64, i8*, ...) @__sprintf_chk(i8* %d, i32 1, i64 %os,
; CHECK:       call void @__fams_after_write_range(i8* %d,
  %c = call i32 (i8*, i32, i64, i8*, ...) @__sprintf_chk(i8* %d, i32 1, i64 %os, i8* %f)
  ret void
}
