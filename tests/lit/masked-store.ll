; Vectorizer output: masked.store and masked.compressstore are hooked as a
; store of the whole vector at the pointer; masked.scatter gets one element
; hook per lane (the mask is ignored: over-approximation is harmless).
; RUN: %opt -S %s | FileCheck %s

declare void @llvm.masked.store.v8i32.p0v8i32(<8 x i32>, <8 x i32>*, i32, <8 x i1>)
declare void @llvm.masked.store.v4i32.p0v4i32(<4 x i32>, <4 x i32>*, i32, <4 x i1>)
declare void @llvm.masked.compressstore.v4i32(<4 x i32>, i32*, <4 x i1>)
declare void @llvm.masked.scatter.v2i64.v2p0i64(<2 x i64>, <2 x i64*>, i32, <2 x i1>)

define void @masked(<8 x i32>* %p, <4 x i32>* %q, i32* %r, <2 x i64*> %ptrs, <8 x i1> %m8, <4 x i1> %m4, <2 x i1> %m2) {
; CHECK-LABEL: @masked(
; CHECK:       call preserve_mostcc void @__fams_store_n.pm(i8* {{.*}}, i64 32)
; CHECK:       call void @llvm.masked.store.v8i32.p0v8i32(
  call void @llvm.masked.store.v8i32.p0v8i32(<8 x i32> zeroinitializer, <8 x i32>* %p, i32 4, <8 x i1> %m8)
; CHECK:       call preserve_mostcc void @__fams_store16.pm(
; CHECK:       call void @llvm.masked.store.v4i32.p0v4i32(
  call void @llvm.masked.store.v4i32.p0v4i32(<4 x i32> zeroinitializer, <4 x i32>* %q, i32 4, <4 x i1> %m4)
; CHECK:       call preserve_mostcc void @__fams_store16.pm(
; CHECK:       call void @llvm.masked.compressstore.v4i32(
  call void @llvm.masked.compressstore.v4i32(<4 x i32> zeroinitializer, i32* %r, <4 x i1> %m4)
; CHECK:       %fams.lane = extractelement <2 x i64*> %ptrs, i64 0
; CHECK:       call preserve_mostcc void @__fams_store8.pm(
; CHECK:       %fams.lane{{.*}} = extractelement <2 x i64*> %ptrs, i64 1
; CHECK:       call preserve_mostcc void @__fams_store8.pm(
; CHECK:       call void @llvm.masked.scatter.v2i64.v2p0i64(
  call void @llvm.masked.scatter.v2i64.v2p0i64(<2 x i64> zeroinitializer, <2 x i64*> %ptrs, i32 8, <2 x i1> %m2)
  ret void
}
