; -famsync-unswitch-loop-flags, the counted-loop round (-famsync-unswitch-counted-loops,
; on): after the deep-loop round, a loop at depth 1 whose trip count
; ScalarEvolution can bound (a loop over an array) is offered too, weighed on
; its own (no sibling multiplier), if it tests at most one flag
; (-famsync-unswitch-counted-max-flags), and undone on the same growth limit.
; A loop without such a count (a state machine's input loop: `for (;;)` that
; ends on the data it reads, bzip2's GET_BITS) is not offered: they are many,
; short and run once or twice per entry.
; Positive: in @work (15 top-level loops, so the unswitcher's own cost model
; refuses every one), the counted loop storing through the flagged root %arg
; has two copies, the unchecked one without a hook.
; Negative: the `for (;;)` loop keeps its flag test before the store; with the
; round off, with no flag allowed per loop, and with a growth limit of 1 %,
; the counted loop keeps one copy with the flag test. These runs use LLVM's
; default size threshold (50, -famsync-unswitch-threshold); at ours (75) the
; last round, with the sibling multiplier (15 loops: 7x), takes the small
; `for (;;)` loop as well (THR).
; RUN: %opt -famsync-unswitch-threshold=50 -S %s | FileCheck %s
; RUN: %opt -famsync-unswitch-threshold=50 -famsync-unswitch-counted-loops=false -S %s | FileCheck %s --check-prefix=ONE
; RUN: %opt -famsync-unswitch-threshold=50 -famsync-unswitch-counted-max-flags=0 -S %s | FileCheck %s --check-prefix=ONE
; RUN: %opt -famsync-unswitch-threshold=50 -famsync-unswitch-max-growth=1 -S %s | FileCheck %s --check-prefix=ONE
; RUN: %opt -famsync-unswitch-threshold=50 -famsync-unswitch-max-growth=1 -famsync-unswitch-report -disable-output %s 2>&1 | FileCheck %s --check-prefix=REPORT
; RUN: %opt -S %s | FileCheck %s --check-prefix=THR

; CHECK-LABEL: define dso_local i64 @work(
; CHECK: %fams.bflag = icmp eq i64 %fams.hi, 16
; CHECK: bb3:
; CHECK: br i1 %fams.bflag, label %bb10.us, label %bb10
; CHECK: bb10.us:
; CHECK: @__fams_store8.jr)
; CHECK: store i64 %i19.us, i64* %i17.us
; CHECK: bb10:
; CHECK-NOT: fams
; CHECK: store i64 %i19, i64* %i17
; CHECK-NEXT: %i20 = add
; The `for (;;)` loop: still a test per store.
; CHECK: bb289:
; CHECK: br i1 %fams.bflag, label %fams.hook{{[0-9]*}}, label %fams.cont{{[0-9]*}}
; CHECK: store i64 %i295, i64* %i272

; ONE-LABEL: define dso_local i64 @work(
; ONE-NOT: .us:
; ONE: bb10:
; ONE: br i1 %fams.bflag, label %fams.hook, label %fams.cont
; ONE-NOT: .us:
; ONE: {{^}}}

; THR-LABEL: define dso_local i64 @work(
; THR: br i1 %fams.bflag, label %bb10.us, label %bb10
; THR: br i1 %fams.bflag, label %bb289.us, label %bb289
; THR: bb289.us:
; THR: @__fams_store8.jr)
; THR: bb289:
; THR-NOT: fams
; THR: store i64 %i295, i64* %i272

; REPORT: famsync-unswitch: counted work: [[N:[0-9]+]] -> {{[0-9]+}} IR instructions, undone

; Input: clang-14 -O2 -fno-unroll-loops -fno-vectorize -fno-slp-vectorize, then opt -instnamer, of:
;   struct st { long n; long buf[64]; long pos; };
;   #define SUM(k) for (int i = k; i < m; ++i) acc += in[i] ^ (in[i - k] + k);
;   long work(struct st *s, int m, const unsigned char *in) {
;     long acc = 0;
;     for (int i = 0; i < m; ++i) s->buf[i & 63] += (long)in[i] * i;
;     SUM(1) SUM(2) SUM(3) SUM(4) SUM(5) SUM(6) SUM(7) SUM(8) SUM(9) SUM(10) SUM(11) SUM(12) SUM(13) SUM(14)
;     for (;;) {
;       unsigned char c = *in++;
;       if (c == 0)
;         break;
;       s->pos += c;
;     }
;     return acc;
;   }
;
source_filename = "unswitch-counted-loops.c"
target datalayout = "e-m:e-p270:32:32-p271:32:32-p272:64:64-i64:64-f80:128-n8:16:32:64-S128"
target triple = "x86_64-pc-linux-gnu"

%struct.st = type { i64, [64 x i64], i64 }

; Function Attrs: nofree norecurse nosync nounwind uwtable
define dso_local i64 @work(%struct.st* nocapture noundef %arg, i32 noundef %arg1, i8* noundef readonly %arg2) local_unnamed_addr #0 {
bb:
  %i = icmp sgt i32 %arg1, 0
  br i1 %i, label %bb3, label %bb267

bb3:                                              ; preds = %bb
  %i4 = zext i32 %arg1 to i64
  br label %bb10

bb5:                                              ; preds = %bb10
  %i6 = icmp sgt i32 %arg1, 1
  br i1 %i6, label %bb7, label %bb267

bb7:                                              ; preds = %bb5
  %i8 = zext i32 %arg1 to i64
  %i9 = load i8, i8* %arg2, align 1, !tbaa !5
  br label %bb26

bb10:                                             ; preds = %bb10, %bb3
  %i11 = phi i64 [ 0, %bb3 ], [ %i20, %bb10 ]
  %i12 = getelementptr inbounds i8, i8* %arg2, i64 %i11
  %i13 = load i8, i8* %i12, align 1, !tbaa !5
  %i14 = zext i8 %i13 to i64
  %i15 = mul nuw nsw i64 %i11, %i14
  %i16 = and i64 %i11, 63
  %i17 = getelementptr inbounds %struct.st, %struct.st* %arg, i64 0, i32 1, i64 %i16
  %i18 = load i64, i64* %i17, align 8, !tbaa !8
  %i19 = add nsw i64 %i15, %i18
  store i64 %i19, i64* %i17, align 8, !tbaa !8
  %i20 = add nuw nsw i64 %i11, 1
  %i21 = icmp eq i64 %i20, %i4
  br i1 %i21, label %bb5, label %bb10, !llvm.loop !10

bb22:                                             ; preds = %bb26
  %i23 = icmp sgt i32 %arg1, 2
  br i1 %i23, label %bb24, label %bb267

bb24:                                             ; preds = %bb22
  %i25 = zext i32 %arg1 to i64
  br label %bb43

bb26:                                             ; preds = %bb26, %bb7
  %i27 = phi i8 [ %i9, %bb7 ], [ %i31, %bb26 ]
  %i28 = phi i64 [ 1, %bb7 ], [ %i37, %bb26 ]
  %i29 = phi i64 [ 0, %bb7 ], [ %i36, %bb26 ]
  %i30 = getelementptr inbounds i8, i8* %arg2, i64 %i28
  %i31 = load i8, i8* %i30, align 1, !tbaa !5
  %i32 = zext i8 %i31 to i64
  %i33 = zext i8 %i27 to i64
  %i34 = add nuw nsw i64 %i33, 1
  %i35 = xor i64 %i34, %i32
  %i36 = add nuw nsw i64 %i35, %i29
  %i37 = add nuw nsw i64 %i28, 1
  %i38 = icmp eq i64 %i37, %i8
  br i1 %i38, label %bb22, label %bb26, !llvm.loop !13

bb39:                                             ; preds = %bb43
  %i40 = icmp sgt i32 %arg1, 3
  br i1 %i40, label %bb41, label %bb267

bb41:                                             ; preds = %bb39
  %i42 = zext i32 %arg1 to i64
  br label %bb62

bb43:                                             ; preds = %bb43, %bb24
  %i44 = phi i64 [ 2, %bb24 ], [ %i56, %bb43 ]
  %i45 = phi i64 [ %i36, %bb24 ], [ %i55, %bb43 ]
  %i46 = getelementptr inbounds i8, i8* %arg2, i64 %i44
  %i47 = load i8, i8* %i46, align 1, !tbaa !5
  %i48 = zext i8 %i47 to i64
  %i49 = add nsw i64 %i44, -2
  %i50 = getelementptr inbounds i8, i8* %arg2, i64 %i49
  %i51 = load i8, i8* %i50, align 1, !tbaa !5
  %i52 = zext i8 %i51 to i64
  %i53 = add nuw nsw i64 %i52, 2
  %i54 = xor i64 %i53, %i48
  %i55 = add nuw nsw i64 %i54, %i45
  %i56 = add nuw nsw i64 %i44, 1
  %i57 = icmp eq i64 %i56, %i25
  br i1 %i57, label %bb39, label %bb43, !llvm.loop !14

bb58:                                             ; preds = %bb62
  %i59 = icmp sgt i32 %arg1, 4
  br i1 %i59, label %bb60, label %bb267

bb60:                                             ; preds = %bb58
  %i61 = zext i32 %arg1 to i64
  br label %bb81

bb62:                                             ; preds = %bb62, %bb41
  %i63 = phi i64 [ 3, %bb41 ], [ %i75, %bb62 ]
  %i64 = phi i64 [ %i55, %bb41 ], [ %i74, %bb62 ]
  %i65 = getelementptr inbounds i8, i8* %arg2, i64 %i63
  %i66 = load i8, i8* %i65, align 1, !tbaa !5
  %i67 = zext i8 %i66 to i64
  %i68 = add nsw i64 %i63, -3
  %i69 = getelementptr inbounds i8, i8* %arg2, i64 %i68
  %i70 = load i8, i8* %i69, align 1, !tbaa !5
  %i71 = zext i8 %i70 to i64
  %i72 = add nuw nsw i64 %i71, 3
  %i73 = xor i64 %i72, %i67
  %i74 = add nuw nsw i64 %i73, %i64
  %i75 = add nuw nsw i64 %i63, 1
  %i76 = icmp eq i64 %i75, %i42
  br i1 %i76, label %bb58, label %bb62, !llvm.loop !15

bb77:                                             ; preds = %bb81
  %i78 = icmp sgt i32 %arg1, 5
  br i1 %i78, label %bb79, label %bb267

bb79:                                             ; preds = %bb77
  %i80 = zext i32 %arg1 to i64
  br label %bb100

bb81:                                             ; preds = %bb81, %bb60
  %i82 = phi i64 [ 4, %bb60 ], [ %i94, %bb81 ]
  %i83 = phi i64 [ %i74, %bb60 ], [ %i93, %bb81 ]
  %i84 = getelementptr inbounds i8, i8* %arg2, i64 %i82
  %i85 = load i8, i8* %i84, align 1, !tbaa !5
  %i86 = zext i8 %i85 to i64
  %i87 = add nsw i64 %i82, -4
  %i88 = getelementptr inbounds i8, i8* %arg2, i64 %i87
  %i89 = load i8, i8* %i88, align 1, !tbaa !5
  %i90 = zext i8 %i89 to i64
  %i91 = add nuw nsw i64 %i90, 4
  %i92 = xor i64 %i91, %i86
  %i93 = add nsw i64 %i92, %i83
  %i94 = add nuw nsw i64 %i82, 1
  %i95 = icmp eq i64 %i94, %i61
  br i1 %i95, label %bb77, label %bb81, !llvm.loop !16

bb96:                                             ; preds = %bb100
  %i97 = icmp sgt i32 %arg1, 6
  br i1 %i97, label %bb98, label %bb267

bb98:                                             ; preds = %bb96
  %i99 = zext i32 %arg1 to i64
  br label %bb119

bb100:                                            ; preds = %bb100, %bb79
  %i101 = phi i64 [ 5, %bb79 ], [ %i113, %bb100 ]
  %i102 = phi i64 [ %i93, %bb79 ], [ %i112, %bb100 ]
  %i103 = getelementptr inbounds i8, i8* %arg2, i64 %i101
  %i104 = load i8, i8* %i103, align 1, !tbaa !5
  %i105 = zext i8 %i104 to i64
  %i106 = add nsw i64 %i101, -5
  %i107 = getelementptr inbounds i8, i8* %arg2, i64 %i106
  %i108 = load i8, i8* %i107, align 1, !tbaa !5
  %i109 = zext i8 %i108 to i64
  %i110 = add nuw nsw i64 %i109, 5
  %i111 = xor i64 %i110, %i105
  %i112 = add nsw i64 %i111, %i102
  %i113 = add nuw nsw i64 %i101, 1
  %i114 = icmp eq i64 %i113, %i80
  br i1 %i114, label %bb96, label %bb100, !llvm.loop !17

bb115:                                            ; preds = %bb119
  %i116 = icmp sgt i32 %arg1, 7
  br i1 %i116, label %bb117, label %bb267

bb117:                                            ; preds = %bb115
  %i118 = zext i32 %arg1 to i64
  br label %bb138

bb119:                                            ; preds = %bb119, %bb98
  %i120 = phi i64 [ 6, %bb98 ], [ %i132, %bb119 ]
  %i121 = phi i64 [ %i112, %bb98 ], [ %i131, %bb119 ]
  %i122 = getelementptr inbounds i8, i8* %arg2, i64 %i120
  %i123 = load i8, i8* %i122, align 1, !tbaa !5
  %i124 = zext i8 %i123 to i64
  %i125 = add nsw i64 %i120, -6
  %i126 = getelementptr inbounds i8, i8* %arg2, i64 %i125
  %i127 = load i8, i8* %i126, align 1, !tbaa !5
  %i128 = zext i8 %i127 to i64
  %i129 = add nuw nsw i64 %i128, 6
  %i130 = xor i64 %i129, %i124
  %i131 = add nsw i64 %i130, %i121
  %i132 = add nuw nsw i64 %i120, 1
  %i133 = icmp eq i64 %i132, %i99
  br i1 %i133, label %bb115, label %bb119, !llvm.loop !18

bb134:                                            ; preds = %bb138
  %i135 = icmp sgt i32 %arg1, 8
  br i1 %i135, label %bb136, label %bb267

bb136:                                            ; preds = %bb134
  %i137 = zext i32 %arg1 to i64
  br label %bb157

bb138:                                            ; preds = %bb138, %bb117
  %i139 = phi i64 [ 7, %bb117 ], [ %i151, %bb138 ]
  %i140 = phi i64 [ %i131, %bb117 ], [ %i150, %bb138 ]
  %i141 = getelementptr inbounds i8, i8* %arg2, i64 %i139
  %i142 = load i8, i8* %i141, align 1, !tbaa !5
  %i143 = zext i8 %i142 to i64
  %i144 = add nsw i64 %i139, -7
  %i145 = getelementptr inbounds i8, i8* %arg2, i64 %i144
  %i146 = load i8, i8* %i145, align 1, !tbaa !5
  %i147 = zext i8 %i146 to i64
  %i148 = add nuw nsw i64 %i147, 7
  %i149 = xor i64 %i148, %i143
  %i150 = add nsw i64 %i149, %i140
  %i151 = add nuw nsw i64 %i139, 1
  %i152 = icmp eq i64 %i151, %i118
  br i1 %i152, label %bb134, label %bb138, !llvm.loop !19

bb153:                                            ; preds = %bb157
  %i154 = icmp sgt i32 %arg1, 9
  br i1 %i154, label %bb155, label %bb267

bb155:                                            ; preds = %bb153
  %i156 = zext i32 %arg1 to i64
  br label %bb176

bb157:                                            ; preds = %bb157, %bb136
  %i158 = phi i64 [ 8, %bb136 ], [ %i170, %bb157 ]
  %i159 = phi i64 [ %i150, %bb136 ], [ %i169, %bb157 ]
  %i160 = getelementptr inbounds i8, i8* %arg2, i64 %i158
  %i161 = load i8, i8* %i160, align 1, !tbaa !5
  %i162 = zext i8 %i161 to i64
  %i163 = add nsw i64 %i158, -8
  %i164 = getelementptr inbounds i8, i8* %arg2, i64 %i163
  %i165 = load i8, i8* %i164, align 1, !tbaa !5
  %i166 = zext i8 %i165 to i64
  %i167 = add nuw nsw i64 %i166, 8
  %i168 = xor i64 %i167, %i162
  %i169 = add nsw i64 %i168, %i159
  %i170 = add nuw nsw i64 %i158, 1
  %i171 = icmp eq i64 %i170, %i137
  br i1 %i171, label %bb153, label %bb157, !llvm.loop !20

bb172:                                            ; preds = %bb176
  %i173 = icmp sgt i32 %arg1, 10
  br i1 %i173, label %bb174, label %bb267

bb174:                                            ; preds = %bb172
  %i175 = zext i32 %arg1 to i64
  br label %bb195

bb176:                                            ; preds = %bb176, %bb155
  %i177 = phi i64 [ 9, %bb155 ], [ %i189, %bb176 ]
  %i178 = phi i64 [ %i169, %bb155 ], [ %i188, %bb176 ]
  %i179 = getelementptr inbounds i8, i8* %arg2, i64 %i177
  %i180 = load i8, i8* %i179, align 1, !tbaa !5
  %i181 = zext i8 %i180 to i64
  %i182 = add nsw i64 %i177, -9
  %i183 = getelementptr inbounds i8, i8* %arg2, i64 %i182
  %i184 = load i8, i8* %i183, align 1, !tbaa !5
  %i185 = zext i8 %i184 to i64
  %i186 = add nuw nsw i64 %i185, 9
  %i187 = xor i64 %i186, %i181
  %i188 = add nsw i64 %i187, %i178
  %i189 = add nuw nsw i64 %i177, 1
  %i190 = icmp eq i64 %i189, %i156
  br i1 %i190, label %bb172, label %bb176, !llvm.loop !21

bb191:                                            ; preds = %bb195
  %i192 = icmp sgt i32 %arg1, 11
  br i1 %i192, label %bb193, label %bb267

bb193:                                            ; preds = %bb191
  %i194 = zext i32 %arg1 to i64
  br label %bb214

bb195:                                            ; preds = %bb195, %bb174
  %i196 = phi i64 [ 10, %bb174 ], [ %i208, %bb195 ]
  %i197 = phi i64 [ %i188, %bb174 ], [ %i207, %bb195 ]
  %i198 = getelementptr inbounds i8, i8* %arg2, i64 %i196
  %i199 = load i8, i8* %i198, align 1, !tbaa !5
  %i200 = zext i8 %i199 to i64
  %i201 = add nsw i64 %i196, -10
  %i202 = getelementptr inbounds i8, i8* %arg2, i64 %i201
  %i203 = load i8, i8* %i202, align 1, !tbaa !5
  %i204 = zext i8 %i203 to i64
  %i205 = add nuw nsw i64 %i204, 10
  %i206 = xor i64 %i205, %i200
  %i207 = add nsw i64 %i206, %i197
  %i208 = add nuw nsw i64 %i196, 1
  %i209 = icmp eq i64 %i208, %i175
  br i1 %i209, label %bb191, label %bb195, !llvm.loop !22

bb210:                                            ; preds = %bb214
  %i211 = icmp sgt i32 %arg1, 12
  br i1 %i211, label %bb212, label %bb267

bb212:                                            ; preds = %bb210
  %i213 = zext i32 %arg1 to i64
  br label %bb233

bb214:                                            ; preds = %bb214, %bb193
  %i215 = phi i64 [ 11, %bb193 ], [ %i227, %bb214 ]
  %i216 = phi i64 [ %i207, %bb193 ], [ %i226, %bb214 ]
  %i217 = getelementptr inbounds i8, i8* %arg2, i64 %i215
  %i218 = load i8, i8* %i217, align 1, !tbaa !5
  %i219 = zext i8 %i218 to i64
  %i220 = add nsw i64 %i215, -11
  %i221 = getelementptr inbounds i8, i8* %arg2, i64 %i220
  %i222 = load i8, i8* %i221, align 1, !tbaa !5
  %i223 = zext i8 %i222 to i64
  %i224 = add nuw nsw i64 %i223, 11
  %i225 = xor i64 %i224, %i219
  %i226 = add nsw i64 %i225, %i216
  %i227 = add nuw nsw i64 %i215, 1
  %i228 = icmp eq i64 %i227, %i194
  br i1 %i228, label %bb210, label %bb214, !llvm.loop !23

bb229:                                            ; preds = %bb233
  %i230 = icmp sgt i32 %arg1, 13
  br i1 %i230, label %bb231, label %bb267

bb231:                                            ; preds = %bb229
  %i232 = zext i32 %arg1 to i64
  br label %bb252

bb233:                                            ; preds = %bb233, %bb212
  %i234 = phi i64 [ 12, %bb212 ], [ %i246, %bb233 ]
  %i235 = phi i64 [ %i226, %bb212 ], [ %i245, %bb233 ]
  %i236 = getelementptr inbounds i8, i8* %arg2, i64 %i234
  %i237 = load i8, i8* %i236, align 1, !tbaa !5
  %i238 = zext i8 %i237 to i64
  %i239 = add nsw i64 %i234, -12
  %i240 = getelementptr inbounds i8, i8* %arg2, i64 %i239
  %i241 = load i8, i8* %i240, align 1, !tbaa !5
  %i242 = zext i8 %i241 to i64
  %i243 = add nuw nsw i64 %i242, 12
  %i244 = xor i64 %i243, %i238
  %i245 = add nsw i64 %i244, %i235
  %i246 = add nuw nsw i64 %i234, 1
  %i247 = icmp eq i64 %i246, %i213
  br i1 %i247, label %bb229, label %bb233, !llvm.loop !24

bb248:                                            ; preds = %bb252
  %i249 = icmp sgt i32 %arg1, 14
  br i1 %i249, label %bb250, label %bb267

bb250:                                            ; preds = %bb248
  %i251 = zext i32 %arg1 to i64
  br label %bb274

bb252:                                            ; preds = %bb252, %bb231
  %i253 = phi i64 [ 13, %bb231 ], [ %i265, %bb252 ]
  %i254 = phi i64 [ %i245, %bb231 ], [ %i264, %bb252 ]
  %i255 = getelementptr inbounds i8, i8* %arg2, i64 %i253
  %i256 = load i8, i8* %i255, align 1, !tbaa !5
  %i257 = zext i8 %i256 to i64
  %i258 = add nsw i64 %i253, -13
  %i259 = getelementptr inbounds i8, i8* %arg2, i64 %i258
  %i260 = load i8, i8* %i259, align 1, !tbaa !5
  %i261 = zext i8 %i260 to i64
  %i262 = add nuw nsw i64 %i261, 13
  %i263 = xor i64 %i262, %i257
  %i264 = add nsw i64 %i263, %i254
  %i265 = add nuw nsw i64 %i253, 1
  %i266 = icmp eq i64 %i265, %i232
  br i1 %i266, label %bb248, label %bb252, !llvm.loop !25

bb267:                                            ; preds = %bb274, %bb248, %bb229, %bb210, %bb191, %bb172, %bb153, %bb134, %bb115, %bb96, %bb77, %bb58, %bb39, %bb22, %bb5, %bb
  %i268 = phi i64 [ %i264, %bb248 ], [ %i245, %bb229 ], [ %i226, %bb210 ], [ %i207, %bb191 ], [ %i188, %bb172 ], [ %i169, %bb153 ], [ %i150, %bb134 ], [ %i131, %bb115 ], [ %i112, %bb96 ], [ %i93, %bb77 ], [ %i74, %bb58 ], [ %i55, %bb39 ], [ %i36, %bb22 ], [ 0, %bb5 ], [ 0, %bb ], [ %i286, %bb274 ]
  %i269 = load i8, i8* %arg2, align 1, !tbaa !5
  %i270 = icmp eq i8 %i269, 0
  br i1 %i270, label %bb298, label %bb271

bb271:                                            ; preds = %bb267
  %i272 = getelementptr inbounds %struct.st, %struct.st* %arg, i64 0, i32 2
  %i273 = load i64, i64* %i272, align 8, !tbaa !26
  br label %bb289

bb274:                                            ; preds = %bb274, %bb250
  %i275 = phi i64 [ 14, %bb250 ], [ %i287, %bb274 ]
  %i276 = phi i64 [ %i264, %bb250 ], [ %i286, %bb274 ]
  %i277 = getelementptr inbounds i8, i8* %arg2, i64 %i275
  %i278 = load i8, i8* %i277, align 1, !tbaa !5
  %i279 = zext i8 %i278 to i64
  %i280 = add nsw i64 %i275, -14
  %i281 = getelementptr inbounds i8, i8* %arg2, i64 %i280
  %i282 = load i8, i8* %i281, align 1, !tbaa !5
  %i283 = zext i8 %i282 to i64
  %i284 = add nuw nsw i64 %i283, 14
  %i285 = xor i64 %i284, %i279
  %i286 = add nsw i64 %i285, %i276
  %i287 = add nuw nsw i64 %i275, 1
  %i288 = icmp eq i64 %i287, %i251
  br i1 %i288, label %bb267, label %bb274, !llvm.loop !28

bb289:                                            ; preds = %bb289, %bb271
  %i290 = phi i64 [ %i273, %bb271 ], [ %i295, %bb289 ]
  %i291 = phi i8 [ %i269, %bb271 ], [ %i296, %bb289 ]
  %i292 = phi i8* [ %arg2, %bb271 ], [ %i293, %bb289 ]
  %i293 = getelementptr inbounds i8, i8* %i292, i64 1
  %i294 = zext i8 %i291 to i64
  %i295 = add nsw i64 %i290, %i294
  store i64 %i295, i64* %i272, align 8, !tbaa !26
  %i296 = load i8, i8* %i293, align 1, !tbaa !5
  %i297 = icmp eq i8 %i296, 0
  br i1 %i297, label %bb298, label %bb289

bb298:                                            ; preds = %bb289, %bb267
  ret i64 %i268
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
!6 = !{!"omnipotent char", !7, i64 0}
!7 = !{!"Simple C/C++ TBAA"}
!8 = !{!9, !9, i64 0}
!9 = !{!"long", !6, i64 0}
!10 = distinct !{!10, !11, !12}
!11 = !{!"llvm.loop.mustprogress"}
!12 = !{!"llvm.loop.unroll.disable"}
!13 = distinct !{!13, !11, !12}
!14 = distinct !{!14, !11, !12}
!15 = distinct !{!15, !11, !12}
!16 = distinct !{!16, !11, !12}
!17 = distinct !{!17, !11, !12}
!18 = distinct !{!18, !11, !12}
!19 = distinct !{!19, !11, !12}
!20 = distinct !{!20, !11, !12}
!21 = distinct !{!21, !11, !12}
!22 = distinct !{!22, !11, !12}
!23 = distinct !{!23, !11, !12}
!24 = distinct !{!24, !11, !12}
!25 = distinct !{!25, !11, !12}
!26 = !{!27, !9, i64 520}
!27 = !{!"st", !9, i64 0, !6, i64 8, !9, i64 520}
!28 = distinct !{!28, !11, !12}
