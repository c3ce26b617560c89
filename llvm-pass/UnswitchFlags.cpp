//===- UnswitchFlags.cpp - loops unswitched on famsync's check flags -*- C++ -*-===//
//
// Part of famsync (failure-atomic msync in userspace).
//
// -famsync-unswitch-loop-flags (issue 16, stop 24): a loop whose stores branch
// on a flag hoisted out of it (loop-hoisted range checks, base-object checks)
// still tests that flag before every store. After the function is
// instrumented, LLVM's non-trivial loop unswitching makes two copies of such a
// loop, one per value of the flag, so the copy for "outside the check range"
// tests nothing; its cost model keeps it to small loops.
//
// Invariant: only the flags are unswitched on. Every other condition of a
// branch or switch in a loop is hidden behind an llvm.ssa.copy placed in the
// loop (a value defined in the loop is not loop-invariant) while the
// unswitcher runs, and restored after: the program's own branches stay as -O2
// left them. Sound because each copy does what the flagged loop did for its
// value of the flag (the unswitcher's own guarantee).
//
//===----------------------------------------------------------------------===//

#include "FamsyncPass.h"

#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Metadata.h"
#include "llvm/Transforms/Scalar/LoopPassManager.h"
#include "llvm/Transforms/Scalar/SimpleLoopUnswitch.h"
#include "llvm/Transforms/Scalar/SimplifyCFG.h"

using namespace llvm;
using namespace famsync;

void ModuleInstrumenter::unswitchOnLoopFlags(
    Function &F, const DenseMap<Instruction *, Value *> &LoopFlags) {
  // Not where the program asked for no optimisation or for small code (the
  // checked originals of -famsync-version-functions are minsize).
  if (F.hasOptNone() || F.hasOptSize())
    return;
  SmallPtrSet<Value *, 8> Flags;
  for (const auto &KV : LoopFlags)
    if (KV.second)
      Flags.insert(KV.second);
  LoopInfo &LI = FAM->getResult<LoopAnalysis>(F);
  // Nothing to do unless a loop branches on a flag: the loop pass adaptor
  // would still put every loop in canonical form (preheaders, LCSSA phis), and
  // the cleanup below would run, changing code for nothing.
  bool FlagInLoop = false;
  for (BasicBlock &BB : F)
    if (auto *BI = dyn_cast<BranchInst>(BB.getTerminator()))
      if (BI->isConditional() && Flags.count(BI->getCondition()) &&
          LI.getLoopFor(&BB))
        FlagInLoop = true;
  if (!FlagInLoop)
    return;
  MDNode *HideMD = MDNode::get(Ctx, {});
  for (BasicBlock &BB : F) {
    if (!LI.getLoopFor(&BB))
      continue;
    // The condition is operand 0 of a conditional branch and of a switch.
    Instruction *T = BB.getTerminator();
    auto *BI = dyn_cast<BranchInst>(T);
    if (BI ? !BI->isConditional() : !isa<SwitchInst>(T))
      continue;
    Value *Cond = T->getOperand(0);
    if (Flags.count(Cond) || isa<Constant>(Cond))
      continue;
    Function *Copy =
        Intrinsic::getDeclaration(&M, Intrinsic::ssa_copy, {Cond->getType()});
    auto *Hidden = CallInst::Create(Copy, {Cond}, "", T);
    Hidden->setMetadata("fams.hidden", HideMD);
    T->setOperand(0, Hidden);
  }
  FAM->invalidate(F, PreservedAnalyses::none());
  FunctionPassManager FPM;
  FPM.addPass(createFunctionToLoopPassAdaptor(
      SimpleLoopUnswitchPass(/*NonTrivial=*/true, /*Trivial=*/false),
      /*UseMemorySSA=*/true));
  PreservedAnalyses PA = FPM.run(F, *FAM);
  const bool Unswitched = !PA.areAllPreserved();
  FAM->invalidate(F, PA);
  // Restore the hidden conditions (the unswitcher may have copied some).
  SmallVector<CallInst *, 16> ToRestore;
  for (BasicBlock &BB : F)
    for (Instruction &I : BB)
      if (auto *CI = dyn_cast<CallInst>(&I))
        if (CI->getMetadata("fams.hidden"))
          ToRestore.push_back(CI);
  for (CallInst *CI : ToRestore) {
    CI->replaceAllUsesWith(CI->getArgOperand(0));
    CI->eraseFromParent();
  }
  if (!Unswitched)
    return;
  FunctionPassManager Cleanup;
  Cleanup.addPass(SimplifyCFGPass());
  FAM->invalidate(F, PreservedAnalyses::none());
  FAM->invalidate(F, Cleanup.run(F, *FAM));
}
