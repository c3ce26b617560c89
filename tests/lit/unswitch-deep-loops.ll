; -famsync-unswitch-loop-flags, second round (-famsync-unswitch-sibling-cost=false,
; the default): a loop nested in a loop with several subloops (bzip2's
; BZ2_blockSort, whose inlined mainSort has many) is never unswitched by
; SimpleLoopUnswitch's own cost model, which multiplies a loop's size by its
; number of siblings. The second round weighs each loop on its own, offers only
; flag tests at loop depth >= 2 (-famsync-unswitch-wide-min-depth) in loops that
; test at most 4 distinct flags (-famsync-unswitch-wide-max-flags: each flag can
; double a loop), and is undone if the function grew by more than 20 % of its IR
; instructions (-famsync-unswitch-max-growth). The runs use LLVM's default size
; threshold (50): at ours (-famsync-unswitch-threshold, 75) the deep round
; copies the whole outer loop, inner loops included.
; Positive: the first inner loop of @sweep (the only one that stores, through
; the flagged root %arg2) has two copies, the unchecked one without a hook.
; Negative: with the multiplier kept (the first round only), with a growth limit
; of 1 %, and with no flag allowed per loop, the loop keeps one copy with a flag
; test before the store.
; RUN: %opt -famsync-unswitch-threshold=50 -S %s | FileCheck %s
; RUN: %opt -famsync-unswitch-threshold=50 -famsync-unswitch-sibling-cost=true -S %s | FileCheck %s --check-prefix=ONE
; RUN: %opt -famsync-unswitch-threshold=50 -famsync-unswitch-max-growth=1 -S %s | FileCheck %s --check-prefix=ONE
; RUN: %opt -famsync-unswitch-threshold=50 -famsync-unswitch-wide-max-flags=0 -S %s | FileCheck %s --check-prefix=ONE
; RUN: %opt -famsync-unswitch-threshold=50 -famsync-unswitch-max-growth=1 -famsync-unswitch-report -disable-output %s 2>&1 | FileCheck %s --check-prefix=REPORT

; CHECK-LABEL: define dso_local i64 @sweep(
; CHECK: %fams.bflag = icmp eq i64 %fams.hi, 16
; CHECK: bb23.preheader:
; CHECK-NEXT: br i1 %fams.bflag, label %bb23.us, label %bb23
; CHECK: bb23.us:
; CHECK: @__fams_store8.jr)
; CHECK: store i64 %i30.us, i64* %i28.us
; CHECK: bb23:
; CHECK-NOT: fams
; CHECK: store i64 %i30, i64* %i28
; CHECK-NEXT: %i31 = add

; ONE-LABEL: define dso_local i64 @sweep(
; ONE-NOT: .us:
; ONE: bb23:
; ONE: br i1 %fams.bflag, label %fams.hook, label %fams.cont
; ONE-NOT: .us:
; ONE: {{^}}}

; REPORT: famsync-unswitch: deep sweep: [[N:[0-9]+]] -> {{[0-9]+}} IR instructions, undone

; Input: clang-14 -O2 -fno-unroll-loops -fno-vectorize -fno-slp-vectorize, then opt -instnamer, of:
;   long sweep(int m, int n, long *a, const long *b) {
;     long s = 0;
;     for (int i = 0; i < m; ++i) {
;       for (int j = 0; j < n; ++j) a[j] += b[j] * i;
;       for (int j = 0; j < n; ++j) s += b[j] ^ i;
;       for (int j = 1; j < n; ++j) s -= b[j] * b[j - 1];
;       for (int j = 2; j < n; ++j) s ^= b[j] + b[j - 2];
;       for (int j = 3; j < n; ++j) s |= b[j] - b[j - 3];
;       for (int j = 4; j < n; ++j) s += b[j] >> (b[j - 4] & 7);
;     }
;     return s;
;   }
;
source_filename = "unswitch-deep-loops.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

; Function Attrs: nofree norecurse nosync nounwind uwtable
define dso_local i64 @sweep(i32 noundef %arg, i32 noundef %arg1, i64* nocapture noundef %arg2, i64* nocapture noundef readonly %arg3) local_unnamed_addr #0 {
bb:
  %i = icmp sgt i32 %arg, 0
  br i1 %i, label %bb4, label %bb20

bb4:                                              ; preds = %bb
  %i5 = icmp sgt i32 %arg1, 0
  %i6 = icmp sgt i32 %arg1, 1
  %i7 = icmp sgt i32 %arg1, 2
  %i8 = icmp sgt i32 %arg1, 3
  %i9 = icmp sgt i32 %arg1, 4
  %i10 = zext i32 %arg to i64
  %i11 = zext i32 %arg1 to i64
  %i12 = zext i32 %arg1 to i64
  %i13 = zext i32 %arg1 to i64
  %i14 = zext i32 %arg1 to i64
  %i15 = zext i32 %arg1 to i64
  %i16 = zext i32 %arg1 to i64
  br label %bb17

bb17:                                             ; preds = %bb86, %bb4
  %i18 = phi i64 [ 0, %bb4 ], [ %i88, %bb86 ]
  %i19 = phi i64 [ 0, %bb4 ], [ %i87, %bb86 ]
  br i1 %i5, label %bb23, label %bb33

bb20:                                             ; preds = %bb86, %bb
  %i21 = phi i64 [ 0, %bb ], [ %i87, %bb86 ]
  ret i64 %i21

bb22:                                             ; preds = %bb23
  br i1 %i5, label %bb37, label %bb33

bb23:                                             ; preds = %bb23, %bb17
  %i24 = phi i64 [ %i31, %bb23 ], [ 0, %bb17 ]
  %i25 = getelementptr inbounds i64, i64* %arg3, i64 %i24
  %i26 = load i64, i64* %i25, align 8, !tbaa !5
  %i27 = mul nsw i64 %i26, %i18
  %i28 = getelementptr inbounds i64, i64* %arg2, i64 %i24
  %i29 = load i64, i64* %i28, align 8, !tbaa !5
  %i30 = add nsw i64 %i29, %i27
  store i64 %i30, i64* %i28, align 8, !tbaa !5
  %i31 = add nuw nsw i64 %i24, 1
  %i32 = icmp eq i64 %i31, %i11
  br i1 %i32, label %bb22, label %bb23, !llvm.loop !9

bb33:                                             ; preds = %bb37, %bb22, %bb17
  %i34 = phi i64 [ %i19, %bb22 ], [ %i19, %bb17 ], [ %i43, %bb37 ]
  br i1 %i6, label %bb35, label %bb46

bb35:                                             ; preds = %bb33
  %i36 = load i64, i64* %arg3, align 8, !tbaa !5
  br label %bb48

bb37:                                             ; preds = %bb37, %bb22
  %i38 = phi i64 [ %i44, %bb37 ], [ 0, %bb22 ]
  %i39 = phi i64 [ %i43, %bb37 ], [ %i19, %bb22 ]
  %i40 = getelementptr inbounds i64, i64* %arg3, i64 %i38
  %i41 = load i64, i64* %i40, align 8, !tbaa !5
  %i42 = xor i64 %i41, %i18
  %i43 = add nsw i64 %i42, %i39
  %i44 = add nuw nsw i64 %i38, 1
  %i45 = icmp eq i64 %i44, %i12
  br i1 %i45, label %bb33, label %bb37, !llvm.loop !12

bb46:                                             ; preds = %bb48, %bb33
  %i47 = phi i64 [ %i34, %bb33 ], [ %i55, %bb48 ]
  br i1 %i7, label %bb60, label %bb58

bb48:                                             ; preds = %bb48, %bb35
  %i49 = phi i64 [ %i36, %bb35 ], [ %i53, %bb48 ]
  %i50 = phi i64 [ 1, %bb35 ], [ %i56, %bb48 ]
  %i51 = phi i64 [ %i34, %bb35 ], [ %i55, %bb48 ]
  %i52 = getelementptr inbounds i64, i64* %arg3, i64 %i50
  %i53 = load i64, i64* %i52, align 8, !tbaa !5
  %i54 = mul nsw i64 %i49, %i53
  %i55 = sub nsw i64 %i51, %i54
  %i56 = add nuw nsw i64 %i50, 1
  %i57 = icmp eq i64 %i56, %i13
  br i1 %i57, label %bb46, label %bb48, !llvm.loop !13

bb58:                                             ; preds = %bb60, %bb46
  %i59 = phi i64 [ %i47, %bb46 ], [ %i69, %bb60 ]
  br i1 %i8, label %bb74, label %bb72

bb60:                                             ; preds = %bb60, %bb46
  %i61 = phi i64 [ %i70, %bb60 ], [ 2, %bb46 ]
  %i62 = phi i64 [ %i69, %bb60 ], [ %i47, %bb46 ]
  %i63 = getelementptr inbounds i64, i64* %arg3, i64 %i61
  %i64 = load i64, i64* %i63, align 8, !tbaa !5
  %i65 = add nsw i64 %i61, -2
  %i66 = getelementptr inbounds i64, i64* %arg3, i64 %i65
  %i67 = load i64, i64* %i66, align 8, !tbaa !5
  %i68 = add nsw i64 %i67, %i64
  %i69 = xor i64 %i68, %i62
  %i70 = add nuw nsw i64 %i61, 1
  %i71 = icmp eq i64 %i70, %i14
  br i1 %i71, label %bb58, label %bb60, !llvm.loop !14

bb72:                                             ; preds = %bb74, %bb58
  %i73 = phi i64 [ %i59, %bb58 ], [ %i83, %bb74 ]
  br i1 %i9, label %bb90, label %bb86

bb74:                                             ; preds = %bb74, %bb58
  %i75 = phi i64 [ %i84, %bb74 ], [ 3, %bb58 ]
  %i76 = phi i64 [ %i83, %bb74 ], [ %i59, %bb58 ]
  %i77 = getelementptr inbounds i64, i64* %arg3, i64 %i75
  %i78 = load i64, i64* %i77, align 8, !tbaa !5
  %i79 = add nsw i64 %i75, -3
  %i80 = getelementptr inbounds i64, i64* %arg3, i64 %i79
  %i81 = load i64, i64* %i80, align 8, !tbaa !5
  %i82 = sub nsw i64 %i78, %i81
  %i83 = or i64 %i82, %i76
  %i84 = add nuw nsw i64 %i75, 1
  %i85 = icmp eq i64 %i84, %i15
  br i1 %i85, label %bb72, label %bb74, !llvm.loop !15

bb86:                                             ; preds = %bb90, %bb72
  %i87 = phi i64 [ %i73, %bb72 ], [ %i100, %bb90 ]
  %i88 = add nuw nsw i64 %i18, 1
  %i89 = icmp eq i64 %i88, %i10
  br i1 %i89, label %bb20, label %bb17, !llvm.loop !16

bb90:                                             ; preds = %bb90, %bb72
  %i91 = phi i64 [ %i101, %bb90 ], [ 4, %bb72 ]
  %i92 = phi i64 [ %i100, %bb90 ], [ %i73, %bb72 ]
  %i93 = getelementptr inbounds i64, i64* %arg3, i64 %i91
  %i94 = load i64, i64* %i93, align 8, !tbaa !5
  %i95 = add nsw i64 %i91, -4
  %i96 = getelementptr inbounds i64, i64* %arg3, i64 %i95
  %i97 = load i64, i64* %i96, align 8, !tbaa !5
  %i98 = and i64 %i97, 7
  %i99 = ashr i64 %i94, %i98
  %i100 = add nsw i64 %i99, %i92
  %i101 = add nuw nsw i64 %i91, 1
  %i102 = icmp eq i64 %i101, %i16
  br i1 %i102, label %bb86, label %bb90, !llvm.loop !17
}

attributes #0 = { nofree norecurse nosync nounwind uwtable "frame-pointer"="none" "min-legal-vector-width"="0" "no-trapping-math"="true" "stack-protector-buffer-size"="8" "target-cpu"="x86-64" "target-features"="+cx8,+fxsr,+mmx,+sse,+sse2,+x87" "tune-cpu"="generic" }

!llvm.module.flags = !{!0, !1, !2, !3}
!llvm.ident = !{!4}

!0 = !{i32 1, !"wchar_size", i32 4}
!1 = !{i32 7, !"PIC Level", i32 2}
!2 = !{i32 7, !"PIE Level", i32 2}
!3 = !{i32 7, !"uwtable", i32 1}
!4 = !{!"Debian clang version 14.0.6"}
!5 = !{!6, !6, i64 0}
!6 = !{!"long", !7, i64 0}
!7 = !{!"omnipotent char", !8, i64 0}
!8 = !{!"Simple C/C++ TBAA"}
!9 = distinct !{!9, !10, !11}
!10 = !{!"llvm.loop.mustprogress"}
!11 = !{!"llvm.loop.unroll.disable"}
!12 = distinct !{!12, !10, !11}
!13 = distinct !{!13, !10, !11}
!14 = distinct !{!14, !10, !11}
!15 = distinct !{!15, !10, !11}
!16 = distinct !{!16, !10, !11}
!17 = distinct !{!17, !10, !11}
