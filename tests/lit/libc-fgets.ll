; fgets(s, n, f) writes at most n bytes; the int n is widened.
; RUN: %opt -S %s | FileCheck %s

%struct.FILE = type opaque
declare i8* @fgets(i8*, i32, %struct.FILE*)
declare i8* @__fgets_chk(i8*, i64, i32, %struct.FILE*)

define void @fg(i8* %s, i32 %n, %struct.FILE* %f) {
; CHECK-LABEL: @fg(
; CHECK:       [[L:%.*]] = zext i32 %n to i64
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %s, i64 [[L]])
; CHECK:       call i8* @fgets(i8* %s, i32 %n,
  %a = call i8* @fgets(i8* %s, i32 %n, %struct.FILE* %f)
; __fgets_chk(s, objsize, n, f): n is the third argument.
; CHECK:       [[L2:%.*]] = zext i32 %n to i64
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %s, i64 [[L2]])
; CHECK:       call i8* @__fgets_chk(
  %b = call i8* @__fgets_chk(i8* %s, i64 64, i32 %n, %struct.FILE* %f)
  ret void
}
