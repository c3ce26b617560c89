; Redirection adapts call sites whose prototype differs only in integer width
; or pointer type (K&R-style or sloppy declarations), and leaves alone calls
; to functions defined in the module (not libc) and calls it cannot adapt.
; RUN: %opt -S %s | FileCheck %s

declare i32 @msync(i32*, i32, i32)
declare i32 @close(i32, i32, i32)

; A module-local function that happens to be called "write".
define i64 @write(i32 %fd, i8* %b, i64 %n) {
  ret i64 0
}

define void @odd(i32* %p, i8* %b, i32 %n) {
; CHECK-LABEL: @odd(
; CHECK:       [[P:%.*]] = bitcast i32* %p to i8*
; CHECK-NEXT:  %s = call i32 @__fams_msync(i8* [[P]], i64 64, i32 4)
  %s = call i32 @msync(i32* %p, i32 64, i32 4)
; A run-time size_t narrower than the ABI's is zero-extended.
; CHECK:       [[L:%.*]] = zext i32 %n to i64
; CHECK-NEXT:  %s2 = call i32 @__fams_msync(i8* [[P2:%.*]], i64 [[L]], i32 4)
  %s2 = call i32 @msync(i32* %p, i32 %n, i32 4)
; Too many arguments for close(int): not touched.
; CHECK:       call i32 @close(i32 3, i32 4, i32 5)
  %c = call i32 @close(i32 3, i32 4, i32 5)
; CHECK:       call i64 @write(i32 1,
  %w = call i64 @write(i32 1, i8* %b, i64 1)
  ret void
}
