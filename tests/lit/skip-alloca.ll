; Stores to an alloca are not instrumented, whether or not its address escapes:
; stack memory is never in the window (a stack placed inside a tracked file
; mapping is not supported). With -famsync-skip-all-allocas=false (ESC) only
; allocas that do not escape are skipped. A pointer loaded from an alloca is
; not the alloca: stores through it keep their check.
; RUN: %opt -S %s | FileCheck %s
; RUN: %opt -famsync-skip-all-allocas=false -S %s | FileCheck %s --check-prefix=ESC

declare void @use(i32*)

define i32 @local() {
; CHECK-LABEL: @local(
; CHECK-NOT:   __fams_store
; CHECK:       ret i32
; ESC-LABEL:   @local(
; ESC-NOT:     __fams_store
; ESC:         ret i32
  %a = alloca i32
  %arr = alloca [4 x i64]
  store i32 1, i32* %a
  %e = getelementptr [4 x i64], [4 x i64]* %arr, i64 0, i64 2
  store i64 2, i64* %e
  %v = load i32, i32* %a
  ret i32 %v
}

define void @escaping() {
; CHECK-LABEL: @escaping(
; CHECK-NOT:   __fams_store
; CHECK:       ret void
; ESC-LABEL:   @escaping(
; ESC:         call preserve_mostcc void @__fams_store4.pm(
; ESC:         store i32 1, i32* %a
  %a = alloca i32
  store i32 1, i32* %a
  call void @use(i32* %a)
  ret void
}

; Escaping through a store of its address (into memory we know nothing of)
; counts too, even when the store comes later.
define void @escaping_by_store(i32** %out) {
; CHECK-LABEL: @escaping_by_store(
; CHECK-NOT:   call {{.*}}@__fams_store4
; CHECK:       store i32 1, i32* %a
; The store of the address itself goes to %out: checked.
; CHECK:       call preserve_mostcc void @__fams_store8.pm(
; CHECK:       store i32* %a, i32** %out
; ESC-LABEL:   @escaping_by_store(
; ESC:         call preserve_mostcc void @__fams_store4.pm(
; ESC:         store i32 1, i32* %a
  %a = alloca i32
  store i32 1, i32* %a
  store i32* %a, i32** %out
  ret void
}

; Negative: the pointer stored in a local slot may point anywhere.
define void @loaded_from_alloca(i32* %arg) {
; CHECK-LABEL: @loaded_from_alloca(
; CHECK:       call preserve_mostcc void @__fams_store4.pm(
; CHECK:       store i32 7, i32* %p
  %slot = alloca i32*
  store i32* %arg, i32** %slot
  call void @use(i32* %arg)
  %p = load i32*, i32** %slot
  store i32 7, i32* %p
  ret void
}
