; strcpy/stpcpy and their fortify forms write strlen(src) + 1 bytes at dst;
; strlen is called only on the cold path (dst inside the window).
; RUN: %opt -S %s | FileCheck %s

declare i8* @strcpy(i8*, i8*)
declare i8* @stpcpy(i8*, i8*)
declare i8* @__strcpy_chk(i8*, i8*, i64)

define void @cpy(i8* %d, i8* %s) {
; CHECK-LABEL: @cpy(
; CHECK:       %fams.in = icmp eq i64 %fams.hi, 16
; CHECK-NEXT:  br i1 %fams.in, label %fams.hook, label %{{.*}}, !prof
; CHECK:     fams.hook:
; CHECK-NEXT:  [[L:%.*]] = call i64 @strlen(i8* %s)
; CHECK-NEXT:  [[L1:%.*]] = add i64 [[L]], 1
; CHECK-NEXT:  call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 [[L1]])
; CHECK:       call i8* @strcpy(i8* %d, i8* %s)
  %r1 = call i8* @strcpy(i8* %d, i8* %s)
; CHECK:       call i64 @strlen(i8* %s)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d,
; CHECK:       call i8* @stpcpy(
  %r2 = call i8* @stpcpy(i8* %d, i8* %s)
; CHECK:       call i64 @strlen(i8* %s)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d,
; CHECK:       call i8* @__strcpy_chk(
  %r3 = call i8* @__strcpy_chk(i8* %d, i8* %s, i64 -1)
  ret void
}
