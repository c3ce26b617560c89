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
// Three rounds. The first two weigh each loop on its own: SimpleLoopUnswitch's
// cost multiplier (a loop's size times its number of sibling loops) is off,
// and each is undone if the function grew too much. The deep round offers the
// flag tests of loops nested in loops that test at most a few distinct flags;
// the counted round, those of outer loops with a trip count SCEV can bound
// that test one flag. The last is the unswitcher with its own cost model, on
// every flag.
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
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/IR/Metadata.h"
#include "llvm/Transforms/Scalar/LoopPassManager.h"
#include "llvm/Transforms/Scalar/SimpleLoopUnswitch.h"
#include "llvm/Transforms/Scalar/SimplifyCFG.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

using namespace llvm;
using namespace famsync;

static cl::opt<unsigned> ClUnswitchMaxGrowth(
    "famsync-unswitch-max-growth",
    cl::desc("Undo the deep-loop round of -famsync-unswitch-loop-flags in a "
             "function that grew by more than this many percent of its IR "
             "instructions (0: no limit)"),
    cl::Hidden, cl::init(20));
static cl::opt<unsigned> ClUnswitchWideMinDepth(
    "famsync-unswitch-wide-min-depth",
    cl::desc("In the deep-loop round of -famsync-unswitch-loop-flags, only flag "
             "tests at this loop depth or deeper are unswitched on"),
    cl::Hidden, cl::init(2));
static cl::opt<int> ClUnswitchThreshold(
    "famsync-unswitch-threshold",
    cl::desc("SimpleLoopUnswitch's size threshold in the rounds of "
             "-famsync-unswitch-loop-flags (LLVM's own default: 50)"),
    cl::Hidden, cl::init(75));
static cl::opt<bool> ClUnswitchCountedLoops(
    "famsync-unswitch-counted-loops",
    cl::desc("After the deep-loop round of -famsync-unswitch-loop-flags, a "
             "round (undone on the same growth limit) for flag tests in "
             "shallower loops whose trip count ScalarEvolution can bound"),
    cl::Hidden, cl::init(true));
static cl::opt<unsigned> ClUnswitchCountedMaxFlags(
    "famsync-unswitch-counted-max-flags",
    cl::desc("In the counted-loop round, a loop that tests more distinct "
             "flags than this is left alone"),
    cl::Hidden, cl::init(1));
static cl::opt<unsigned> ClUnswitchWideMaxFlags(
    "famsync-unswitch-wide-max-flags",
    cl::desc("In the deep-loop round of -famsync-unswitch-loop-flags, a loop "
             "that tests more distinct flags than this is left alone (each "
             "flag can double the loop: at most 2^N copies)"),
    cl::Hidden, cl::init(4));
static cl::opt<bool> ClUnswitchReport(
    "famsync-unswitch-report",
    cl::desc("Print the deep-loop round's growth of each function (stderr)"),
    cl::Hidden, cl::init(false));
static cl::opt<bool> ClUnswitchSiblingCost(
    "famsync-unswitch-sibling-cost",
    cl::desc("With -famsync-unswitch-loop-flags, always keep SimpleLoopUnswitch's "
             "cost multiplier (a loop with many sibling loops is unswitched "
             "only if it is tiny), i.e. no deep-loop round first"),
    cl::Hidden, cl::init(false));

namespace {
// Sets a cl::opt of another LLVM component (a bool, an int) for one scope (a
// clang process compiles one module at a time on one thread) and restores it.
template <typename T> class ScopedOption {
 public:
  ScopedOption(StringRef Name, T Value) {
    auto &Options = cl::getRegisteredOptions();
    auto It = Options.find(Name);
    if (It == Options.end())
      return;
    Opt = static_cast<cl::opt<T> *>(It->second);
    Saved = *Opt;
    Opt->setValue(Value);
  }
  ~ScopedOption() {
    if (Opt)
      Opt->setValue(Saved);
  }

 private:
  cl::opt<T> *Opt = nullptr;
  T Saved{};
};

// SimpleLoopUnswitch on the loops whose headers are listed only (null: on
// every loop): the counted round copies the loops it chose and no other (a
// flag branch that an earlier round left in a loop it did not copy is not
// the counted round's to take).
struct UnswitchListedLoops : PassInfoMixin<UnswitchListedLoops> {
  const SmallPtrSetImpl<const BasicBlock *> *Headers = nullptr;
  PreservedAnalyses run(Loop &L, LoopAnalysisManager &AM,
                        LoopStandardAnalysisResults &AR, LPMUpdater &U) {
    if (Headers && !Headers->count(L.getHeader()))
      return PreservedAnalyses::all();
    return SimpleLoopUnswitchPass(/*NonTrivial=*/true, /*Trivial=*/false)
        .run(L, AM, AR, U);
  }
};

size_t countInstructions(const Function &F) {
  size_t N = 0;
  for (const BasicBlock &BB : F)
    N += BB.size();
  return N;
}

// Moves BACKUP's body (a CloneFunction copy of F) into F, dropping F's own,
// and erases BACKUP.
void restoreBody(Function &F, Function *Backup) {
  for (BasicBlock &BB : F)
    BB.dropAllReferences();
  while (!F.empty())
    F.begin()->eraseFromParent();
  for (auto [Arg, BackupArg] : zip(F.args(), Backup->args()))
    BackupArg.replaceAllUsesWith(&Arg);
  F.getBasicBlockList().splice(F.end(), Backup->getBasicBlockList());
  Backup->eraseFromParent();
}
} // namespace

// The flags the handles still name (a null handle: the flag was deleted).
static SmallPtrSet<Value *, 8> liveFlags(ArrayRef<WeakVH> FlagHandles) {
  SmallPtrSet<Value *, 8> Flags;
  for (const WeakVH &H : FlagHandles)
    if (H)
      Flags.insert(H);
  return Flags;
}

// Nothing to do unless a loop branches on a flag: the loop pass adaptor
// would still put every loop in canonical form (preheaders, LCSSA phis), and
// the cleanup would run, changing code for nothing.
static bool flagTestedInLoop(Function &F, const SmallPtrSetImpl<Value *> &Flags,
                             LoopInfo &LI) {
  for (BasicBlock &BB : F)
    if (auto *BI = dyn_cast<BranchInst>(BB.getTerminator()))
      if (BI->isConditional() && Flags.count(BI->getCondition()) &&
          LI.getLoopFor(&BB))
        return true;
  return false;
}

void ModuleInstrumenter::unswitchOnLoopFlags(
    Function &F, const DenseMap<Instruction *, Value *> &LoopFlags) {
  // Not where the program asked for no optimisation or for small code (the
  // checked originals of -famsync-version-functions are minsize).
  if (F.hasOptNone() || F.hasOptSize())
    return;
  // Weak handles: the cleanup after a round may delete a flag whose every
  // test the unswitcher replaced by a constant, and an undone round brings
  // back the flags of the copy (unswitchRoundWithUndo updates the handles).
  SmallVector<WeakVH, 8> FlagHandles;
  for (const auto &KV : LoopFlags)
    if (KV.second)
      FlagHandles.push_back(KV.second);
  if (!flagTestedInLoop(F, liveFlags(FlagHandles),
                        FAM->getResult<LoopAnalysis>(F)))
    return;
  if (!ClUnswitchSiblingCost) {
    unswitchRoundWithUndo(F, FlagHandles, UnswitchRound::Deep);
    if (ClUnswitchCountedLoops &&
        flagTestedInLoop(F, liveFlags(FlagHandles),
                         FAM->getResult<LoopAnalysis>(F)))
      unswitchRoundWithUndo(F, FlagHandles, UnswitchRound::Counted);
  }
  SmallPtrSet<Value *, 8> Flags = liveFlags(FlagHandles);
  if (flagTestedInLoop(F, Flags, FAM->getResult<LoopAnalysis>(F)))
    unswitchOnce(F, Flags, UnswitchRound::Small);
}

void ModuleInstrumenter::unswitchRoundWithUndo(
    Function &F, SmallVectorImpl<WeakVH> &FlagHandles, UnswitchRound Round) {
  // Every loop weighed on its own (with the multiplier, a function with many
  // loops, bzip2's BZ2_blockSort, gets none of its hot loops unswitched),
  // undone when the function grows beyond the limit (bzip2's sendMTFValues:
  // +24 % of IR for 0.5 % of its instructions). The caller found a flag
  // tested in a loop.
  const SmallPtrSet<Value *, 8> Flags = liveFlags(FlagHandles);
  const size_t SizeBefore = countInstructions(F);
  ValueToValueMapTy VMap;
  // The backup keeps F's DISubprogram (CloneFunction would make it a new
  // one): a restored body must still point at F's, or a module built with
  // -g fails the verifier ("!dbg attachment points at wrong subprogram").
  if (DISubprogram *SP = F.getSubprogram())
    VMap.MD()[SP].reset(SP);
  Function *Backup = CloneFunction(&F, VMap);
  // The flags as the backup has them, in case it becomes F's body again.
  SmallVector<WeakVH, 8> BackupFlags;
  for (WeakVH &H : FlagHandles)
    BackupFlags.push_back(H ? static_cast<Value *>(VMap.lookup(H)) : nullptr);
  const bool Changed = unswitchOnce(F, Flags, Round);
  const size_t SizeAfter = countInstructions(F);
  const bool TooBig = ClUnswitchMaxGrowth &&
                      SizeAfter * 100 > SizeBefore * (100 + ClUnswitchMaxGrowth);
  if (ClUnswitchReport && Changed)
    errs() << "famsync-unswitch: "
           << (Round == UnswitchRound::Deep ? "deep " : "counted ")
           << F.getName() << ": " << SizeBefore
           << " -> " << SizeAfter << " IR instructions"
           << (TooBig ? ", undone\n" : "\n");
  if (Changed && TooBig) {
    restoreBody(F, Backup);
    FlagHandles.assign(BackupFlags.begin(), BackupFlags.end());
    FAM->invalidate(F, PreservedAnalyses::none());
    return;
  }
  Backup->eraseFromParent();
}

bool ModuleInstrumenter::unswitchOnce(Function &F,
                                      const SmallPtrSetImpl<Value *> &Flags,
                                      UnswitchRound Round) {
  LoopInfo &LI = FAM->getResult<LoopAnalysis>(F);
  const bool SiblingCost = Round == UnswitchRound::Small;
  // Without the cost multiplier only the flags of loops that test few of
  // them are offered: the distinct flags tested in each loop, its subloops
  // included.
  DenseMap<const Loop *, SmallPtrSet<Value *, 8>> FlagsOfLoop;
  if (!SiblingCost)
    for (BasicBlock &BB : F)
      if (auto *BI = dyn_cast<BranchInst>(BB.getTerminator()))
        if (BI->isConditional() && Flags.count(BI->getCondition()))
          for (Loop *L = LI.getLoopFor(&BB); L; L = L->getParentLoop())
            FlagsOfLoop[L].insert(BI->getCondition());
  // The counted round takes the loops the deep round may not, when
  // ScalarEvolution can bound their trip count (before the conditions are
  // hidden): a loop of a state machine that runs once or twice per entry
  // (bzip2's input loops, `while (True)` with exits) has no such count, a
  // loop over an array (`while (es > 0)`, `for (i = 0; i < nblock; i++)`)
  // has one. One flag per loop: with two, bzip2's input loops (through `s`
  // and `s->strm`, and SCEV bounds some of them) grew BZ2_decompress by 30 %.
  // The counted loops, by header (what the unswitcher's wrapper sees).
  SmallPtrSet<const BasicBlock *, 16> CountedHeaders;
  if (Round == UnswitchRound::Counted) {
    ScalarEvolution &SE = FAM->getResult<ScalarEvolutionAnalysis>(F);
    for (Loop *L : LI.getLoopsInPreorder())
      if (L->getLoopDepth() < ClUnswitchWideMinDepth &&
          !isa<SCEVCouldNotCompute>(SE.getSymbolicMaxBackedgeTakenCount(L)))
        CountedHeaders.insert(L->getHeader());
  }
  const unsigned MaxFlags = Round == UnswitchRound::Counted
                                ? ClUnswitchCountedMaxFlags
                                : ClUnswitchWideMaxFlags;
  auto Offered = [&](BasicBlock &BB) {
    switch (Round) {
    case UnswitchRound::Small:
      return true;
    case UnswitchRound::Deep:
      if (LI.getLoopDepth(&BB) < ClUnswitchWideMinDepth)
        return false;
      break;
    case UnswitchRound::Counted:
      // (Offered is asked only of blocks in a loop.)
      if (!CountedHeaders.count(LI.getLoopFor(&BB)->getHeader()))
        return false;
      break;
    }
    for (Loop *L = LI.getLoopFor(&BB); L; L = L->getParentLoop())
      if (FlagsOfLoop[L].size() > MaxFlags)
        return false;
    return true;
  };
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
    if (isa<Constant>(Cond) || (Flags.count(Cond) && Offered(BB)))
      continue;
    Function *Copy =
        Intrinsic::getDeclaration(&M, Intrinsic::ssa_copy, {Cond->getType()});
    auto *Hidden = CallInst::Create(Copy, {Cond}, "", T);
    Hidden->setMetadata("fams.hidden", HideMD);
    T->setOperand(0, Hidden);
  }
  FAM->invalidate(F, PreservedAnalyses::none());
  // SimpleLoopUnswitch's cost multiplier divides its size threshold by the
  // number of sibling loops (and candidates); off in the deep-loop round.
  ScopedOption<bool> Multiplier("enable-unswitch-cost-multiplier", SiblingCost);
  // Our own size threshold: these rounds offer flag tests only (the program's
  // own conditions are hidden), so LLVM's default, tuned for -O3's unswitching
  // of every invariant condition, is not the trade-off here.
  ScopedOption<int> Threshold("unswitch-threshold", ClUnswitchThreshold);
  FunctionPassManager FPM;
  UnswitchListedLoops Unswitch;
  if (Round == UnswitchRound::Counted)
    Unswitch.Headers = &CountedHeaders;
  FPM.addPass(createFunctionToLoopPassAdaptor(std::move(Unswitch),
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
    return false;
  FunctionPassManager Cleanup;
  Cleanup.addPass(SimplifyCFGPass());
  FAM->invalidate(F, PreservedAnalyses::none());
  FAM->invalidate(F, Cleanup.run(F, *FAM));
  return true;
}
