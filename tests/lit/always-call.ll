; -famsync-inline-check=false: no window check, the hook is called before
; every store and range unconditionally (correct too: the runtime ignores
; addresses outside the window).
; RUN: %opt -famsync-inline-check=false -S %s | FileCheck %s

declare void @llvm.memset.p0i8.i64(i8*, i8, i64, i1)
declare i8* @strcpy(i8*, i8*)

define void @always(i32* %p, i8* %d, i8* %s) {
; CHECK-LABEL: @always(
; CHECK-NOT:   __fams_window
; CHECK-NOT:   br
; CHECK:       call preserve_mostcc void @__fams_store4.pm(
; CHECK-NEXT:  store i32 1, i32* %p
  store i32 1, i32* %p
; CHECK-NEXT:  call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 8)
; CHECK-NEXT:  call void @llvm.memset
  call void @llvm.memset.p0i8.i64(i8* %d, i8 0, i64 8, i1 false)
; CHECK-NEXT:  [[L:%.*]] = call i64 @strlen(i8* %s)
; CHECK-NEXT:  [[L1:%.*]] = add i64 [[L]], 1
; CHECK-NEXT:  call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 [[L1]])
; CHECK-NEXT:  call i8* @strcpy(
  %r = call i8* @strcpy(i8* %d, i8* %s)
; CHECK-NOT:   br
; CHECK:       ret void
  ret void
}
; CHECK-NOT:   @__fams_window_base = external
