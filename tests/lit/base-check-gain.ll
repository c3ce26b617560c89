; -famsync-base-object-checks, cost model (-famsync-base-check-min-gain, 100 by
; default since stop 27; 200 before): a root's flag is kept when the
; instructions it saves (2 per store: the shift and its copy) are at least
; that many percent of what it costs (about 4 per test), by static block
; frequencies. Three stores through one root in one block, with indices no
; group can share (lzip's prev_positions[key2], [key3], [key4] = pos1):
; 6 saved for 4, kept at 100 % (one flag, three branches on it), refused at
; 200 % (three full checks). lzip 1.113x -> 1.063x instructions.
; Positive: @three at the default. Negative: @one (one store: 2 for 4) keeps
; its own check at the default; @three keeps three checks at 200 %.
; RUN: %opt -famsync-unswitch-loop-flags=false -S %s | FileCheck %s
; RUN: %opt -famsync-unswitch-loop-flags=false -famsync-base-check-min-gain=200 -S %s | FileCheck %s --check-prefix=OLD

; CHECK-LABEL: define dso_local void @three(
; CHECK-NEXT: bb:
; CHECK-NEXT: %fams.addr = ptrtoint i32* %arg to i64
; CHECK-NEXT: %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT: %fams.bflag = icmp eq i64 %fams.hi, 16
; CHECK: br i1 %fams.bflag, label %fams.hook, label %fams.cont
; CHECK: store i32 %arg4, i32* %i5
; CHECK-NOT: lshr
; CHECK: br i1 %fams.bflag, label %fams.hook1, label %fams.cont2
; CHECK: store i32 %arg4, i32* %i7
; CHECK-NOT: lshr
; CHECK: br i1 %fams.bflag, label %fams.hook3, label %fams.cont4
; CHECK: store i32 %arg4, i32* %i9
; CHECK-LABEL: define dso_local void @one(
; CHECK-NOT: bflag
; CHECK: %fams.addr = ptrtoint i32* %i3 to i64
; CHECK: br i1 %fams.in, label %fams.hook, label %fams.cont
; CHECK: store i32 %arg2, i32* %i3

; OLD-LABEL: define dso_local void @three(
; OLD-NOT: bflag
; OLD: %fams.addr = ptrtoint i32* %i5 to i64
; OLD: %fams.addr1 = ptrtoint i32* %i7 to i64
; OLD: %fams.addr6 = ptrtoint i32* %i9 to i64
; OLD-LABEL: define dso_local void @one(

; Input: clang-14 -O2, then opt -instnamer, of:
;   void three(int *prev, unsigned k2, unsigned k3, unsigned k4, int pos) {
;     prev[k2] = pos;
;     prev[k3] = pos;
;     prev[k4] = pos;
;   }
;   void one(int *prev, unsigned k, int pos) { prev[k] = pos; }
;
source_filename = "base-check-gain.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; Function Attrs: mustprogress nofree norecurse nosync nounwind uwtable willreturn writeonly
define dso_local void @three(i32* nocapture noundef writeonly %arg, i32 noundef %arg1, i32 noundef %arg2, i32 noundef %arg3, i32 noundef %arg4) local_unnamed_addr #0 {
bb:
  %i = zext i32 %arg1 to i64
  %i5 = getelementptr inbounds i32, i32* %arg, i64 %i
  store i32 %arg4, i32* %i5, align 4, !tbaa !5
  %i6 = zext i32 %arg2 to i64
  %i7 = getelementptr inbounds i32, i32* %arg, i64 %i6
  store i32 %arg4, i32* %i7, align 4, !tbaa !5
  %i8 = zext i32 %arg3 to i64
  %i9 = getelementptr inbounds i32, i32* %arg, i64 %i8
  store i32 %arg4, i32* %i9, align 4, !tbaa !5
  ret void
}

; Function Attrs: mustprogress nofree norecurse nosync nounwind uwtable willreturn writeonly
define dso_local void @one(i32* nocapture noundef writeonly %arg, i32 noundef %arg1, i32 noundef %arg2) local_unnamed_addr #0 {
bb:
  %i = zext i32 %arg1 to i64
  %i3 = getelementptr inbounds i32, i32* %arg, i64 %i
  store i32 %arg2, i32* %i3, align 4, !tbaa !5
  ret void
}

attributes #0 = { mustprogress nofree norecurse nosync nounwind uwtable willreturn writeonly "frame-pointer"="none" "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }

!llvm.module.flags = !{!0, !1, !2, !3}
!llvm.ident = !{!4}

!0 = !{i32 1, !"wchar_size", i32 4}
!1 = !{i32 7, !"PIC Level", i32 2}
!2 = !{i32 7, !"PIE Level", i32 2}
!3 = !{i32 7, !"uwtable", i32 1}
!4 = !{!"Debian clang version 14.0.6"}
!5 = !{!6, !6, i64 0}
!6 = !{!"int", !7, i64 0}
!7 = !{!"omnipotent char", !8, i64 0}
!8 = !{!"Simple C/C++ TBAA"}
