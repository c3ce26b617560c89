; -famsync-stats prints one summary line per module to stderr, counting each
; instrumentation kind and each skip rule; readv is counted as unhandled.
; RUN: %opt -famsync-stats -disable-output %s 2>&1 | FileCheck %s

; CHECK: famsync: module {{.*}}stats.ll: 2 stores instrumented, 3 skipped (alloca 1, global 1, heap 0, addrspace 1, internal-function argument 0, nosanitize 0, zero-size 0); 1 atomics, 1 memintrinsics, 0 masked vector stores, 1 libc writers (+1 post-hooked, 1 unhandled, 0 bad prototype), 1 calls redirected, 1 functions skipped; 0 stores in 0 grouped checks

@g = global i32 0
declare void @llvm.memset.p0i8.i64(i8*, i8, i64, i1)
declare i32 @sprintf(i8*, i8*, ...)
declare i64 @read(i32, i8*, i64)
declare i64 @readv(i32, i8*, i32)

define void @f(i32* %p, i64* %q, i32 addrspace(1)* %as, i8* %d) {
  %a = alloca i32
  store i32 1, i32* %a
  store i32 2, i32* @g
  store i32 3, i32 addrspace(1)* %as
  store i32 4, i32* %p
  store i64 5, i64* %q
  %x = atomicrmw add i32* %p, i32 1 seq_cst
  call void @llvm.memset.p0i8.i64(i8* %d, i8 0, i64 8, i1 false)
  %r = call i64 @read(i32 0, i8* %d, i64 8)
  %s = call i32 (i8*, i8*, ...) @sprintf(i8* %d, i8* %d)
  %v = call i64 @readv(i32 0, i8* %d, i32 1)
  ret void
}

define void @__fams_helper(i32* %p) {
  store i32 1, i32* %p
  ret void
}
