; read/pread/recv write (buf, count) before the call; read is also
; redirected to __fams_read (the hook uses the original arguments).
; RUN: %opt -S %s | FileCheck %s
; RUN: %opt -famsync-redirect-calls=false -S %s | FileCheck %s --check-prefix=NOREDIR

declare i64 @read(i32, i8*, i64)
declare i64 @__read_chk(i32, i8*, i64, i64)
declare i64 @recv(i32, i8*, i64, i32)
declare i64 @recvfrom(i32, i8*, i64, i32, i8*, i32*)

define i64 @rd(i32 %fd, i8* %b, i64 %n, i8* %sa, i32* %salen) {
; CHECK-LABEL: @rd(
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %b, i64 %n)
; CHECK:       %r = call i64 @__fams_read(i32 %fd, i8* %b, i64 %n)
; NOREDIR:     call preserve_mostcc void @__fams_before_write_range.pm(i8* %b, i64 %n)
; NOREDIR:     %r = call i64 @read(i32 %fd, i8* %b, i64 %n)
  %r = call i64 @read(i32 %fd, i8* %b, i64 %n)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %b, i64 %n)
; CHECK:       call i64 @__read_chk(
  %r2 = call i64 @__read_chk(i32 %fd, i8* %b, i64 %n, i64 %n)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %b, i64 %n)
; CHECK:       call i64 @recv(
  %r3 = call i64 @recv(i32 %fd, i8* %b, i64 %n, i32 0)
; recvfrom also writes the peer address (up to sockaddr_storage) and its length.
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %b, i64 %n)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* %sa, i64 128)
; CHECK:       call preserve_mostcc void @__fams_before_write_range.pm(i8* {{.*}}, i64 4)
; CHECK:       call i64 @recvfrom(
  %r4 = call i64 @recvfrom(i32 %fd, i8* %b, i64 %n, i32 0, i8* %sa, i32* %salen)
  ret i64 %r
}
