; Calls to the libc (non-intrinsic) memcpy family, e.g. under -fno-builtin or
; _FORTIFY_SOURCE, get the same range hook as the intrinsics: (dst, n).
; RUN: %opt -S %s | FileCheck %s

declare i8* @__memcpy_chk(i8*, i8*, i64, i64)
declare i8* @__memset_chk(i8*, i32, i64, i64)
declare i8* @memcpy(i8*, i8*, i64)
declare void @bzero(i8*, i64)

define void @chk(i8* %d, i8* %s, i64 %n) {
; CHECK-LABEL: @chk(
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK:       call i8* @__memcpy_chk(i8* %d, i8* %s, i64 %n, i64 64)
  %a = call i8* @__memcpy_chk(i8* %d, i8* %s, i64 %n, i64 64)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK:       call i8* @__memset_chk(
  %b = call i8* @__memset_chk(i8* %d, i32 0, i64 %n, i64 64)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK:       call i8* @memcpy(
  %c = call i8* @memcpy(i8* %d, i8* %s, i64 %n)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK:       call void @bzero(
  call void @bzero(i8* %d, i64 %n)
  ret void
}
