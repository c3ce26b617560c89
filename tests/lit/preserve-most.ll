; The cold paths call the hooks through per-module preserve_most stubs
; (__fams_<hook>.pm: linkonce_odr, hidden, in a comdat, nounwind, cold,
; noinline), which call the C-convention hook (never as a tail call). The
; post-write hook (sprintf) is called directly. The hook declarations are
; nounwind. With -famsync-preserve-most=false (OFF) the hooks are called
; directly and no stub exists.
; RUN: %opt -S %s | FileCheck %s
; RUN: %opt -famsync-preserve-most=false -S %s | FileCheck %s --check-prefix=OFF

; CHECK-DAG: $__fams_store4.pm = comdat any
; CHECK-DAG: $__fams_before_write_range.pm = comdat any
declare i32 @sprintf(i8*, i8*, ...)

define void @f(i32* %p, i8* %d, i8* %s, i64 %n) {
; CHECK-LABEL: @f(
; CHECK:         call preserve_mostcc void @__fams_store4.pm(i8* {{.*}})
; CHECK:         store i32 1, i32* %p
; CHECK:         call preserve_mostcc void @__fams_before_write_range.pm(i8* %d, i64 %n)
; CHECK:         call void @llvm.memset
; CHECK:         call i32 (i8*, i8*, ...) @sprintf(
; CHECK:         call void @__fams_after_write_range(
; OFF-LABEL: @f(
; OFF:           call void @__fams_store4(i8* {{.*}})
; OFF:           call void @__fams_before_write_range(i8* %d, i64 %n)
; OFF:           call void @__fams_after_write_range(
; OFF-NOT:       .pm
  store i32 1, i32* %p
  call void @llvm.memset.p0i8.i64(i8* %d, i8 0, i64 %n, i1 false)
  %r = call i32 (i8*, i8*, ...) @sprintf(i8* %d, i8* %s)
  ret void
}

declare void @llvm.memset.p0i8.i64(i8*, i8, i64, i1)

; CHECK:     declare void @__fams_store4(i8*) [[NOUNWIND:#[0-9]+]]
; CHECK:     define linkonce_odr hidden preserve_mostcc void @__fams_store4.pm(i8* %0) unnamed_addr [[STUB:#[0-9]+]] comdat {
; CHECK-NEXT:  notail call void @__fams_store4(i8* %0)
; CHECK-NEXT:  ret void
; CHECK:     define linkonce_odr hidden preserve_mostcc void @__fams_before_write_range.pm(i8* %0, i64 %1) unnamed_addr [[STUB]] comdat {
; CHECK-NEXT:  notail call void @__fams_before_write_range(i8* %0, i64 %1)
; CHECK-NOT: @__fams_after_write_range.pm
; CHECK-DAG: attributes [[NOUNWIND]] = { nounwind }
; CHECK-DAG: attributes [[STUB]] = { cold noinline nounwind optsize }
; OFF-NOT:   define {{.*}}.pm
