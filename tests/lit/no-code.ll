; A module without function definitions (data only) is left unchanged: no
; constructor, no runtime declarations, so it does not need the runtime.
; RUN: %opt -S %s | FileCheck %s

; CHECK-NOT: famsync
; CHECK-NOT: __fams
@table = global [4 x i32] [i32 1, i32 2, i32 3, i32 4]
declare void @ext(i32*)
