; Every instrumented module gets a constructor (priority 1) that calls
; __fams_module_init and reads __fams_abi_version_3 with a volatile load, so a
; runtime of another ABI version fails to link; the module is marked as
; instrumented.
; RUN: %opt -S %s | FileCheck %s

; CHECK: @__fams_abi_version_3 = external global i8
; CHECK: @llvm.global_ctors = appending global [1 x { i32, void ()*, i8* }] [{ i32, void ()*, i8* } { i32 1, void ()* @famsync.module_ctor, i8* null }]

define void @f() {
  ret void
}

; CHECK:      define internal void @famsync.module_ctor()
; CHECK-NEXT:   call void @__fams_module_init()
; CHECK-NEXT:   %fams.abi = load volatile i8, i8* @__fams_abi_version_3, align 1
; CHECK-NEXT:   ret void
; CHECK:      !famsync.instrumented = !{}
