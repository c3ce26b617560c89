; fread(ptr, size, n, f) writes size * n bytes at ptr; __fread_chk takes the
; object size as its second argument.
; RUN: %opt -S %s | FileCheck %s

%struct.FILE = type opaque
declare i64 @fread(i8*, i64, i64, %struct.FILE*)
declare i64 @__fread_chk(i8*, i64, i64, i64, %struct.FILE*)

define void @frd(i8* %p, i64 %sz, i64 %n, %struct.FILE* %f) {
; CHECK-LABEL: @frd(
; CHECK:       [[L:%.*]] = mul i64 %sz, %n
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %p, i64 [[L]])
; CHECK:       call i64 @fread(
  %a = call i64 @fread(i8* %p, i64 %sz, i64 %n, %struct.FILE* %f)
; CHECK:       [[L2:%.*]] = mul i64 %sz, %n
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %p, i64 [[L2]])
; CHECK:       call i64 @__fread_chk(
  %b = call i64 @__fread_chk(i8* %p, i64 999, i64 %sz, i64 %n, %struct.FILE* %f)
  ret void
}
