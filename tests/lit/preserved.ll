; The pass invalidates analyses when it changes a function and preserves them
; when it does not: a function analysis cached before the pass is recomputed
; after it only in the first case.
; RUN: %opt_plain -disable-output -debug-pass-manager \
; RUN:   -passes='function(require<domtree>),famsync,function(require<domtree>)' %s 2>&1 \
; RUN:   | FileCheck %s
; RUN: %opt_plain -disable-output -debug-pass-manager \
; RUN:   -passes='function(require<domtree>),famsync,function(require<domtree>)' %S/Inputs/runtime-only.ll 2>&1 \
; RUN:   | FileCheck %s --check-prefix=UNCHANGED

; CHECK:      Running analysis: DominatorTreeAnalysis on f{{$}}
; CHECK:      Running pass: famsync::FamsyncPass
; CHECK:      Running analysis: DominatorTreeAnalysis on f{{$}}

; UNCHANGED:      Running analysis: DominatorTreeAnalysis on __fams_store4
; UNCHANGED:      Running pass: famsync::FamsyncPass
; UNCHANGED-NOT:  Running analysis: DominatorTreeAnalysis

define void @f(i32* %p) {
  store i32 1, i32* %p
  ret void
}
