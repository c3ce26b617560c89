; -famsync-version-functions: a function whose hot stores are rooted (inbounds
; GEP chains) at values its entry block computes before anything with an
; effect (arguments, plain loads) gets an unchecked copy. The entry tests the
; roots, and when none is in the check range tail-calls the copy; the copy
; (internal, F.famsync.unchecked) has no check for the stores rooted there.
; Stores with other roots keep their checks in the copy (a pointer loaded in
; the loop). Not versioned: a root loaded after a call in the entry (the copy
; could load another value), a loop-free function (the dispatch would cost
; more than it saves), and everything with the option off (OFF). The loops
; here run about 32 times per call (static frequencies), below the default
; threshold of 1000 freed stores per call (nested loops), hence
; -famsync-version-min-stores=16: with the default threshold nothing here is
; copied. The option is off by default (code size).
; The checked original is compiled for size (minsize).
; RUN: %opt -famsync-version-functions -famsync-version-min-stores=16 -S %s | FileCheck %s
; RUN: %opt -famsync-version-min-stores=16 -S %s | FileCheck %s --check-prefix=OFF
; RUN: %opt -S %s | FileCheck %s --check-prefix=OFF
; RUN: %opt -famsync-version-functions -S %s | FileCheck %s --check-prefix=OFF
; RUN: %opt -famsync-version-functions -famsync-version-min-stores=16 -famsync-stats -disable-output %s 2>&1 | FileCheck %s --check-prefix=STATS
; STATS: ; 2 functions versioned (3 writes unchecked in the copies)

%struct.S = type { i64, i64*, i8* }

; p[idx[i]] = x: the root is the argument %p.
; CHECK-LABEL: define void @scatter(
; CHECK-SAME:  [[ORIG:#[0-9]+]]
; CHECK-NEXT:  entry:
; CHECK-NEXT:    %guard = icmp sgt i64 %n, 0
; CHECK-NEXT:    %fams.addr = ptrtoint i64* %p to i64
; CHECK-NEXT:    %fams.hi = lshr i64 %fams.addr, 41
; CHECK-NEXT:    %fams.vflag = icmp eq i64 %fams.hi, 16
; CHECK-NEXT:    br i1 %fams.vflag, label %entry.checked, label %fams.unchecked, !prof
; CHECK:       fams.unchecked:
; CHECK-NEXT:    tail call void @scatter.famsync.unchecked(i64* %p, i64* %idx, i64 %n, i64 %x)
; CHECK-NEXT:    ret void
; CHECK:       entry.checked:
; CHECK:         call preserve_mostcc void @__fams_store8.pm(
; CHECK:         store i64 %x, i64* %a
; OFF-LABEL: define void @scatter(
; OFF-NOT:     unchecked
; OFF:         ret void
define void @scatter(i64* %p, i64* %idx, i64 %n, i64 %x) {
entry:
  %guard = icmp sgt i64 %n, 0
  br i1 %guard, label %loop, label %exit
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %ia = getelementptr inbounds i64, i64* %idx, i64 %i
  %k = load i64, i64* %ia
  %a = getelementptr inbounds i64, i64* %p, i64 %k
  store i64 %x, i64* %a
  %i.next = add nuw nsw i64 %i, 1
  %c = icmp slt i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}

; ptr = s->ptr and block = s->block loaded at entry are roots; the store
; through s->block reloaded in the loop is not, and keeps its check in the copy.
; CHECK-LABEL: define void @fields(
; CHECK:         %ptr = load i64*, i64** %pp
; CHECK:         %block = load i8*, i8** %bp
; CHECK:         %fams.vflag = or i1
; CHECK-NEXT:    br i1 %fams.vflag, label %entry.checked, label %fams.unchecked
; CHECK:         tail call void @fields.famsync.unchecked(%struct.S* %s, i64* %idx, i64 %n)
define void @fields(%struct.S* %s, i64* %idx, i64 %n) {
entry:
  %pp = getelementptr inbounds %struct.S, %struct.S* %s, i64 0, i32 1
  %ptr = load i64*, i64** %pp
  %bp = getelementptr inbounds %struct.S, %struct.S* %s, i64 0, i32 2
  %block = load i8*, i8** %bp
  %guard = icmp sgt i64 %n, 0
  br i1 %guard, label %loop, label %exit
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %ia = getelementptr inbounds i64, i64* %idx, i64 %i
  %k = load i64, i64* %ia
  %a = getelementptr inbounds i64, i64* %ptr, i64 %k
  store i64 %n, i64* %a
  %b = getelementptr inbounds i8, i8* %block, i64 %k
  store i8 1, i8* %b
  %again = load i8*, i8** %bp
  %r = getelementptr inbounds i8, i8* %again, i64 %i
  store i8 2, i8* %r
  %i.next = add nuw nsw i64 %i, 1
  %c = icmp slt i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}

declare void @ext()

; The root is loaded after a call: the copy could see another pointer.
; CHECK-LABEL: define void @after_call(
; CHECK-NOT:     unchecked
; CHECK:         ret void
define void @after_call(i64** %pp, i64* %idx, i64 %n) {
entry:
  call void @ext()
  %p = load i64*, i64** %pp
  %guard = icmp sgt i64 %n, 0
  br i1 %guard, label %loop, label %exit
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %ia = getelementptr inbounds i64, i64* %idx, i64 %i
  %k = load i64, i64* %ia
  %a = getelementptr inbounds i64, i64* %p, i64 %k
  store i64 %n, i64* %a
  %i.next = add nuw nsw i64 %i, 1
  %c = icmp slt i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}

; No loop: one store per call does not pay for the dispatch.
; CHECK-LABEL: define void @once(
; CHECK-NOT:     unchecked
; CHECK:         ret void
define void @once(i64* %p, i64 %x) {
  store i64 %x, i64* %p
  ret void
}

; A block whose address is taken (computed goto): a copy would jump into the
; original through the address; never versioned.
; CHECK-LABEL: define void @computed_goto(
; CHECK-NOT:     unchecked
; CHECK:         ret void
@table = internal constant [1 x i8*] [i8* blockaddress(@computed_goto, %loop)]
define void @computed_goto(i64* %p, i64* %idx, i64 %n) {
entry:
  %t = load i8*, i8** getelementptr inbounds ([1 x i8*], [1 x i8*]* @table, i64 0, i64 0)
  %guard = icmp sgt i64 %n, 0
  br i1 %guard, label %loop, label %exit
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %ia = getelementptr inbounds i64, i64* %idx, i64 %i
  %k = load i64, i64* %ia
  %a = getelementptr inbounds i64, i64* %p, i64 %k
  store i64 %n, i64* %a
  %i.next = add nuw nsw i64 %i, 1
  %c = icmp slt i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}

; The copies: no check for the stores through the tested roots; the store
; through the pointer reloaded in the loop keeps its check.
; CHECK-LABEL: define internal void @scatter.famsync.unchecked(
; CHECK-NOT:     __fams
; CHECK:         ret void
; CHECK-LABEL: define internal void @fields.famsync.unchecked(
; CHECK:         store i64 %n, i64* %a
; CHECK-NEXT:    %b = getelementptr inbounds i8, i8* %block, i64 %k
; CHECK-NEXT:    store i8 1, i8* %b
; CHECK:         %r = getelementptr inbounds i8, i8* %again, i64 %i
; CHECK:         call preserve_mostcc void @__fams_store1.pm(
; CHECK:         store i8 2, i8* %r
; CHECK:     attributes [[ORIG]] = { minsize optsize }
; OFF-NOT:     famsync.unchecked

