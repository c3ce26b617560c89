; -famsync-skip-module leaves the whole module untouched (no hooks, no
; constructor); so does a module with only runtime functions, and a module
; that is already instrumented is not instrumented twice.
; RUN: %opt -famsync-skip-module -S %s | FileCheck %s --check-prefix=SKIP
; RUN: %opt -S %s | FileCheck %s --check-prefix=ONCE
; RUN: %opt_plain -passes=famsync,famsync -S %s | FileCheck %s --check-prefix=ONCE

; SKIP-NOT:    __fams
; SKIP-NOT:    famsync
; SKIP:        define void @f(i32* %p)
; SKIP-NEXT:   store i32 1, i32* %p
; SKIP-NOT:    __fams
; SKIP-NOT:    famsync

; ONCE:        @llvm.global_ctors = {{.*}} [1 x
; ONCE-LABEL:  define void @f(
; ONCE:        call preserve_mostcc void @__fams_store4.pm(
; ONCE-NOT:    call preserve_mostcc void @__fams_store4.pm(
; ONCE:        ret void
define void @f(i32* %p) {
  store i32 1, i32* %p
  ret void
}
