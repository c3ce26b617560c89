; strncpy writes exactly n bytes (it pads with NULs): range (dst, n), checked
; with the range test (dst inside, or below the window and reaching it).
; RUN: %opt -S %s | FileCheck %s

declare i8* @strncpy(i8*, i8*, i64)
declare i8* @__strncpy_chk(i8*, i8*, i64, i64)

define void @ncpy(i8* %d, i8* %s, i64 %n) {
; CHECK-LABEL: @ncpy(
; CHECK:       %fams.reaches = icmp ult i64 %fams.negoff, %n
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK:       call i8* @strncpy(i8* %d, i8* %s, i64 %n)
  %r = call i8* @strncpy(i8* %d, i8* %s, i64 %n)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK:       call i8* @__strncpy_chk(i8* %d, i8* %s, i64 %n, i64 100)
  %r2 = call i8* @__strncpy_chk(i8* %d, i8* %s, i64 %n, i64 100)
; CHECK-NOT:   strlen
  ret void
}
