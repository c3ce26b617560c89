; -famsync-compact-hooks: outside hot blocks the hook's branch is weighted
; 1:1, so that the code generator lays the call out inline (a jne over it, no
; jmp back from an out-of-line block: about 9 bytes less per check); in blocks
; whose static frequency is above -famsync-compact-hooks-max-freq times the
; entry's (default 8; a loop body's static frequency is about 32) the hook
; stays cold (1:100000) and out of line, so the loop's layout is unchanged.
; The stub stays cold either way.
; RUN: %opt -S %s | FileCheck %s
; RUN: %opt -famsync-compact-hooks-max-freq=1000000 -S %s | FileCheck %s --check-prefix=ALL
; RUN: %opt -famsync-compact-hooks=false -S %s | FileCheck %s --check-prefix=OFF

define void @straight(i64* %p, i64 %x) {
; CHECK-LABEL: @straight(
; CHECK:         br i1 %fams.in, label %fams.hook, label %fams.cont, !prof [[EVEN:![0-9]+]]
; OFF-LABEL: @straight(
; OFF:           br i1 %fams.in, label %fams.hook, label %fams.cont, !prof [[COLD:![0-9]+]]
entry:
  store i64 %x, i64* %p
  ret void
}

define void @inloop(i64** %pp, i64 %n) {
; CHECK-LABEL: @inloop(
; CHECK:         br i1 %fams.in, label %fams.hook, label %fams.cont, !prof [[COLD:![0-9]+]]
; ALL-LABEL: @inloop(
; ALL:           br i1 %fams.in, label %fams.hook, label %fams.cont, !prof [[EVEN:![0-9]+]]
entry:
  br label %loop
loop:
  %i = phi i64 [ 0, %entry ], [ %i.next, %loop ]
  %a = getelementptr inbounds i64*, i64** %pp, i64 %i
  %p = load i64*, i64** %a
  store i64 %i, i64* %p
  %i.next = add nuw nsw i64 %i, 1
  %c = icmp slt i64 %i.next, %n
  br i1 %c, label %loop, label %exit
exit:
  ret void
}

; CHECK: define linkonce_odr hidden preserve_mostcc void @__fams_store8.pm(i8* %0) unnamed_addr [[STUB:#[0-9]+]]
; CHECK: attributes [[STUB]] = { cold
; CHECK-DAG: [[EVEN]] = !{!"branch_weights", i32 1, i32 1}
; CHECK-DAG: [[COLD]] = !{!"branch_weights", i32 1, i32 100000}
; ALL-DAG: [[EVEN]] = !{!"branch_weights", i32 1, i32 1}
; OFF-NOT: !{!"branch_weights", i32 1, i32 1}
; OFF: [[COLD]] = !{!"branch_weights", i32 1, i32 100000}
