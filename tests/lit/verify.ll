; The instrumented IR passes the verifier on control flow that block
; splitting can get wrong: stores in loops and before phis' users, an invoke
; with a post-call hook into a normal destination shared by two invokes,
; atomics in a loop, and debug locations on the hooks.
; RUN: %opt_plain -passes=famsync,verify -S %s | FileCheck %s

declare i32 @sprintf(i8*, i8*, ...)
declare i32 @__gxx_personality_v0(...)
declare void @llvm.dbg.value(metadata, metadata, metadata)

define i32 @loop(i32* %p, i32 %n) !dbg !6 {
; CHECK-LABEL: @loop(
entry:
  br label %body
body:
  %i = phi i32 [ 0, %entry ], [ %i1, %body ]
  %e = getelementptr i32, i32* %p, i32 %i
; CHECK:       call preserve_mostcc void @__fams_store4.pm({{.*}}), !dbg [[LOC:![0-9]+]]
  store i32 %i, i32* %e, !dbg !9
  %old = atomicrmw add i32* %p, i32 1 seq_cst, !dbg !9
  %i1 = add i32 %i, 1
  %c = icmp slt i32 %i1, %n
  br i1 %c, label %body, label %exit
exit:
  %r = phi i32 [ %old, %body ]
  ret i32 %r
}

define i32 @invokes(i8* %d, i8* %f, i1 %c) personality i32 (...)* @__gxx_personality_v0 {
; CHECK-LABEL: @invokes(
; CHECK:       invoke i32 (i8*, i8*, ...) @sprintf
; CHECK:       call void @__fams_after_write_range(
entry:
  br i1 %c, label %a, label %b
a:
  %ra = invoke i32 (i8*, i8*, ...) @sprintf(i8* %d, i8* %f) to label %join unwind label %lp
b:
  %rb = invoke i32 (i8*, i8*, ...) @sprintf(i8* %d, i8* %f) to label %join unwind label %lp
join:
  %r = phi i32 [ %ra, %a ], [ %rb, %b ]
  ret i32 %r
lp:
  %l = landingpad { i8*, i32 } cleanup
  resume { i8*, i32 } %l
}

; CHECK: [[LOC]] = !DILocation(line: 3,

!llvm.dbg.cu = !{!0}
!llvm.module.flags = !{!3, !4}
!0 = distinct !DICompileUnit(language: DW_LANG_C99, file: !1, producer: "t", isOptimized: false, runtimeVersion: 0, emissionKind: FullDebug)
!1 = !DIFile(filename: "t.c", directory: "/")
!3 = !{i32 2, !"Debug Info Version", i32 3}
!4 = !{i32 7, !"Dwarf Version", i32 5}
!6 = distinct !DISubprogram(name: "loop", scope: !1, file: !1, line: 1, type: !7, scopeLine: 1, spFlags: DISPFlagDefinition, unit: !0)
!7 = !DISubroutineType(types: !8)
!8 = !{null}
!9 = !DILocation(line: 3, column: 5, scope: !6)
