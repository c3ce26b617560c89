; An instrumented function loses the memory attributes FunctionAttrs inferred
; before the pass ran (the hooks read, write, synchronise and capture), on
; the function, its pointer arguments and its call sites; an untouched
; function keeps them.
; RUN: %opt -S %s | FileCheck %s

; CHECK-LABEL: define void @put(i32* %p)
; CHECK-NOT:   #
; CHECK:       call preserve_mostcc void @__fams_store4.pm(
define void @put(i32* nocapture writeonly %p) argmemonly nofree nosync writeonly {
  store i32 1, i32* %p
  ret void
}

; CHECK-LABEL: define i32 @get(i32* nocapture readonly %p) #0
define i32 @get(i32* nocapture readonly %p) argmemonly nofree nosync readonly {
  %v = load i32, i32* %p
  ret i32 %v
}

; CHECK-LABEL: define void @caller(
; CHECK:       call void @put(i32* %p){{$}}
define void @caller(i32* %p) {
  call void @put(i32* nocapture writeonly %p) argmemonly nosync writeonly
  ret void
}

; CHECK: attributes #0 = { argmemonly nofree nosync readonly }
