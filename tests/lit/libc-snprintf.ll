; snprintf/vsnprintf (and fortify forms) write at most n bytes: pre hook (dst, n).
; RUN: %opt -S %s | FileCheck %s

declare i32 @snprintf(i8*, i64, i8*, ...)
declare i32 @vsnprintf(i8*, i64, i8*, i8*)
declare i32 @__snprintf_chk(i8*, i64, i32, i64, i8*, ...)

define void @snp(i8* %d, i64 %n, i8* %f, i8* %ap) {
; CHECK-LABEL: @snp(
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK-NEXT:  br label
; CHECK:       call i32 (i8*, i64, i8*, ...) @snprintf(i8* %d, i64 %n,
  %a = call i32 (i8*, i64, i8*, ...) @snprintf(i8* %d, i64 %n, i8* %f)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK:       call i32 @vsnprintf(
  %b = call i32 @vsnprintf(i8* %d, i64 %n, i8* %f, i8* %ap)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK:       call i32 (i8*, i64, i32, i64, i8*, ...) @__snprintf_chk(
  %c = call i32 (i8*, i64, i32, i64, i8*, ...) @__snprintf_chk(i8* %d, i64 %n, i32 1, i64 64, i8* %f)
; CHECK-NOT:   __fams_after_write_range
  ret void
}
