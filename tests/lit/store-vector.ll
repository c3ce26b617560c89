; Vector stores are sized by their store size: 16 bytes -> store16, 8 bytes ->
; store8, 32 bytes -> store_n.
; RUN: %opt -S %s | FileCheck %s

define void @vec(<4 x i32>* %a, <2 x float>* %b, <8 x i32>* %c, <2 x i8*>* %d) {
; CHECK-LABEL: @vec(
; CHECK:       call preserve_mostcc void @__fams_store16.pm(
; CHECK:       store <4 x i32> zeroinitializer, <4 x i32>* %a
  store <4 x i32> zeroinitializer, <4 x i32>* %a
; CHECK:       call preserve_mostcc void @__fams_store8.pm(
; CHECK:       store <2 x float>
  store <2 x float> zeroinitializer, <2 x float>* %b
; CHECK:       call preserve_mostcc void @__fams_store_n.pm(i8* {{.*}}, i64 32)
; CHECK:       store <8 x i32>
  store <8 x i32> zeroinitializer, <8 x i32>* %c
; CHECK:       call preserve_mostcc void @__fams_store16.pm(
; CHECK:       store <2 x i8*>
  store <2 x i8*> zeroinitializer, <2 x i8*>* %d
  ret void
}
