; memcpy/memmove/memset intrinsics (and .inline / element-wise atomic forms)
; get __fams_before_write_range(dst, len) before the call; the source is not hooked.
; An i32 length is zero-extended.
; RUN: %opt -S %s | FileCheck %s

declare void @llvm.memcpy.p0i8.p0i8.i64(i8*, i8*, i64, i1)
declare void @llvm.memmove.p0i8.p0i8.i64(i8*, i8*, i64, i1)
declare void @llvm.memset.p0i8.i64(i8*, i8, i64, i1)
declare void @llvm.memset.p0i8.i32(i8*, i8, i32, i1)
declare void @llvm.memcpy.inline.p0i8.p0i8.i64(i8*, i8*, i64 immarg, i1 immarg)
declare void @llvm.memcpy.element.unordered.atomic.p0i8.p0i8.i64(i8*, i8*, i64, i32)

define void @mem(i8* %d, i8* %s, i64 %n, i32 %n32) {
; CHECK-LABEL: @mem(
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK-NEXT:  br label
; CHECK:       call void @llvm.memcpy.p0i8.p0i8.i64(i8* %d, i8* %s, i64 %n, i1 false)
  call void @llvm.memcpy.p0i8.p0i8.i64(i8* %d, i8* %s, i64 %n, i1 false)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK:       call void @llvm.memmove.p0i8.p0i8.i64(
  call void @llvm.memmove.p0i8.p0i8.i64(i8* %d, i8* %s, i64 %n, i1 false)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK:       call void @llvm.memset.p0i8.i64(
  call void @llvm.memset.p0i8.i64(i8* %d, i8 0, i64 %n, i1 false)
; CHECK:       [[LEN:%.*]] = zext i32 %n32 to i64
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 [[LEN]])
; CHECK:       call void @llvm.memset.p0i8.i32(
  call void @llvm.memset.p0i8.i32(i8* %d, i8 0, i32 %n32, i1 false)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 24)
; CHECK:       call void @llvm.memcpy.inline.p0i8.p0i8.i64(
  call void @llvm.memcpy.inline.p0i8.p0i8.i64(i8* %d, i8* %s, i64 24, i1 false)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK:       call void @llvm.memcpy.element.unordered.atomic.p0i8.p0i8.i64(
  call void @llvm.memcpy.element.unordered.atomic.p0i8.p0i8.i64(i8* align 4 %d, i8* align 4 %s, i64 %n, i32 4)
; CHECK-NOT:   __fams_before_write_range(i8* %s
  ret void
}
