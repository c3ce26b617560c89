; Calls to mmap/munmap/msync/mremap/fsync/fdatasync/ftruncate/write/pwrite/
; close (and the *64 aliases) become calls to __fams_<name>, with the ABI's
; prototypes; the original declarations are no longer called.
; RUN: %opt -S %s | FileCheck %s
; RUN: %opt -famsync-redirect-calls=false -S %s | FileCheck %s --check-prefix=OFF

declare i8* @mmap(i8*, i64, i32, i32, i32, i64)
declare i8* @mmap64(i8*, i64, i32, i32, i32, i64)
declare i32 @munmap(i8*, i64)
declare i32 @msync(i8*, i64, i32)
declare i8* @mremap(i8*, i64, i64, i32, ...)
declare i32 @fsync(i32)
declare i32 @fdatasync(i32)
declare i32 @ftruncate64(i32, i64)
declare i64 @write(i32, i8*, i64)
declare i64 @pwrite64(i32, i8*, i64, i64)
declare i32 @close(i32)

define void @calls(i32 %fd, i8* %buf) {
; CHECK-LABEL: @calls(
; CHECK:       %m = call i8* @__fams_mmap(i8* null, i64 4096, i32 3, i32 1, i32 %fd, i64 0)
; OFF:         %m = call i8* @mmap(
  %m = call i8* @mmap(i8* null, i64 4096, i32 3, i32 1, i32 %fd, i64 0)
; CHECK:       %m64 = call i8* @__fams_mmap(i8* null, i64 4096,
  %m64 = call i8* @mmap64(i8* null, i64 4096, i32 3, i32 1, i32 %fd, i64 0)
; CHECK:       %s = call i32 @__fams_msync(i8* %m, i64 4096, i32 4)
  %s = call i32 @msync(i8* %m, i64 4096, i32 4)
; mremap is variadic in libc; the 4-argument form passes a null new_address.
; CHECK:       %r4 = call i8* @__fams_mremap(i8* %m, i64 4096, i64 8192, i32 1, i8* null)
  %r4 = call i8* (i8*, i64, i64, i32, ...) @mremap(i8* %m, i64 4096, i64 8192, i32 1)
; CHECK:       %r5 = call i8* @__fams_mremap(i8* %m, i64 4096, i64 8192, i32 3, i8* %buf)
  %r5 = call i8* (i8*, i64, i64, i32, ...) @mremap(i8* %m, i64 4096, i64 8192, i32 3, i8* %buf)
; CHECK:       %f = call i32 @__fams_fsync(i32 %fd)
  %f = call i32 @fsync(i32 %fd)
; CHECK:       %fd2 = call i32 @__fams_fdatasync(i32 %fd)
  %fd2 = call i32 @fdatasync(i32 %fd)
; CHECK:       %t = call i32 @__fams_ftruncate(i32 %fd, i64 8192)
  %t = call i32 @ftruncate64(i32 %fd, i64 8192)
; CHECK:       %w = call i64 @__fams_write(i32 %fd, i8* %buf, i64 10)
  %w = call i64 @write(i32 %fd, i8* %buf, i64 10)
; CHECK:       %pw = call i64 @__fams_pwrite(i32 %fd, i8* %buf, i64 10, i64 100)
  %pw = call i64 @pwrite64(i32 %fd, i8* %buf, i64 10, i64 100)
; CHECK:       %u = call i32 @__fams_munmap(i8* %m, i64 4096)
  %u = call i32 @munmap(i8* %m, i64 4096)
; CHECK:       %c = call i32 @__fams_close(i32 %fd)
  %c = call i32 @close(i32 %fd)
; CHECK-NOT:   call {{.*}} @mmap
; CHECK-NOT:   call {{.*}} @msync(
  ret void
}

; CHECK-DAG: declare i8* @__fams_mmap(i8*, i64, i32, i32, i32, i64)
; CHECK-DAG: declare i8* @__fams_mremap(i8*, i64, i64, i32, i8*)
; CHECK-DAG: declare i32 @__fams_ftruncate(i32, i64)
; CHECK-DAG: declare i64 @__fams_pwrite(i32, i8*, i64, i64)
