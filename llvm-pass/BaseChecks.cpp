//===- BaseChecks.cpp - famsync checks of a store's base object -*- C++ -*-===//
//
// Part of famsync (failure-atomic msync in userspace).
//
// -famsync-base-object-checks (issue 16): a plain store whose address is a
// chain of `getelementptr inbounds` (and bitcasts) from a pointer R gets its
// window check replaced by a branch on an i1 flag "R is in the check range",
// computed once right after R is defined (at function entry for an argument).
// Stores through one R share the flag, whatever their indices: bzip2's
// mainQSort3 swaps ptr[unLo] and ptr[ltLo] with 64-bit indices that SCEV can
// neither express nor bound, but ptr is an argument, so one test at entry
// covers every store of its partition loops. Through a web of phis and
// selects whose other inputs are inbounds GEPs of one root R0 that dominates
// them (a pointer induction variable, `*d++ = c`; lzip's ptr0 = newptr + 1),
// the root is R0: the flag is computed before the loop. A web started from
// two roots (std::sort's partition, whose `last` restarts from the cut that
// `first` found) gets one flag "R0 or R1 is in the check range", computed
// after both. The cold path is the store's own hook, with its exact address
// and size.
//
// Invariant (why "flag false" implies "the store writes no byte in the window",
// which is all the inline check said): LangRef: an inbounds GEP whose result
// leaves the allocated object its base points into (or one past its end) is
// poison, and a store through poison, or one that is not dereferenceable
// (extends past the object), is undefined behaviour. So in a program without
// undefined behaviour every byte the store writes lies in the allocated
// object R points into or one past. A tracked mapping is an allocated object
// that lies entirely in the window, and the window lies in the first half of
// the fixed check range (abi.h: at most 1 TiB at its start, the check range
// is 2 TiB), so a pointer into a tracked mapping or one past its end is in
// the check range. Contrapositive: R outside the check range => R's object is
// not a tracked mapping => no written byte is in the window. (Two roots: by
// induction over the execution every value of the web lies in R0's or R1's
// object, so both outside => no written byte is in the window.) The flag is a
// pure address test against the fixed range, so calls between the flag and
// the store (commits, new mappings) cannot make it stale. This is the same
// assumption the skip rule for globals makes (writing past a global's bounds
// is UB) and the one the optimizer makes for inbounds; a program that reaches
// a tracked mapping by out-of-bounds arithmetic from another object
// (`p + (q - p)` with p and q in different objects) is not supported.
//
// Only with -famsync-fixed-window (the version-1 check has no margin above
// the window for a one-past-the-end pointer), first (-famsync-base-checks-first)
// for the stores whose root is defined outside their loop nest, then, after
// -famsync-hoist-loop-checks, for the stores it left alone, and only when the static block
// frequencies say the stores run at least twice as often as the test
// (2 instructions saved per store, about 4 per test; -famsync-base-check-min-gain).
// A margin of two, as in the loop cost model, refused lzip's three stores
// through one root in one block and cost it 5 % of its instructions: the
// flag's register is cheaper than the model assumes.
//
// Everything here runs before any block is split: it only inserts
// instructions after the roots' definitions.
//
//===----------------------------------------------------------------------===//

#include "FamsyncPass.h"

#include "llvm/ADT/MapVector.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/ADT/SmallPtrSet.h"
#include "llvm/Analysis/BlockFrequencyInfo.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/IR/DebugInfoMetadata.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/IntrinsicInst.h"
#include "llvm/IR/Operator.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"
#include "llvm/Transforms/Utils/Cloning.h"
#include "llvm/Transforms/Utils/ValueMapper.h"

using namespace llvm;
using namespace famsync;

static cl::opt<unsigned> ClBaseCheckMinGain(
    "famsync-base-check-min-gain",
    cl::desc("A base-object flag is kept only if the instructions it saves "
             "(2 per store) are at least this many percent of what it costs "
             "(about 4 per test), by static block frequencies"),
    cl::Hidden, cl::init(100));
static cl::opt<bool> ClBaseCheckTwoRoots(
    "famsync-base-check-two-roots",
    cl::desc("With -famsync-base-object-checks, a web of pointer phis started "
             "from two roots gets one flag testing both (else the web node "
             "itself is the root)"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClBaseObjectChecks(
    "famsync-base-object-checks",
    cl::desc("Check the root pointer of a store's inbounds GEP chain once, "
             "after its definition, and branch on that flag at the store"),
    cl::Hidden, cl::init(true));

/// Ptr without its inbounds GEPs and bitcasts (address space 0 throughout).
static Value *stripInbounds(Value *V) {
  while (true) {
    if (auto *GEP = dyn_cast<GEPOperator>(V)) {
      if (!GEP->isInBounds() || GEP->getType()->isVectorTy())
        return V;
      V = GEP->getPointerOperand();
    } else if (auto *BC = dyn_cast<BitCastOperator>(V)) {
      V = BC->getOperand(0);
    } else {
      return V;
    }
    if (!V->getType()->isPointerTy() ||
        V->getType()->getPointerAddressSpace() != 0)
      return nullptr;
  }
}

/// A node of a web of pointer recurrences: a phi or a select.
static bool isWebNode(const Value *V) {
  return isa<PHINode>(V) || isa<SelectInst>(V);
}
/// The values a web node takes its value from.
static SmallVector<Value *, 4> webInputs(Value *V) {
  if (auto *S = dyn_cast<SelectInst>(V))
    return {S->getTrueValue(), S->getFalseValue()};
  auto *P = cast<PHINode>(V);
  return SmallVector<Value *, 4>(P->incoming_values());
}

/// The roots whose allocated objects every byte written through Ptr lies in
/// (see the file comment): one, or two for a web that starts from two (a
/// pair of pointers walking towards each other: std::sort's partition swaps
/// *first and *last, where last restarts from the previous partition's cut).
/// Empty if there is none. A root that dominates the other comes first; two
/// arguments in argument order.
static SmallVector<Value *, 2> inboundsRoots(Value *Ptr, DominatorTree &DT) {
  Value *R = stripInbounds(Ptr);
  if (!R)
    return {};
  if (!isWebNode(R))
    return {R};
  auto *P = cast<Instruction>(R);
  // Pointer recurrences: the web of phis and selects (at most 16) reachable
  // through inputs after stripping inbounds GEPs, whose other inputs are all
  // one root R0 (lzip's ptr0 = newptr + 1 or ptr0 on the two sides of a
  // branch, a select after if-conversion) or one of two roots. By induction
  // over the execution (the first value any node takes comes from a root),
  // every value of every node lies in a root's object. The roots must
  // dominate the node so that the flag after them does too. Otherwise the
  // web node itself is the root.
  SmallPtrSet<Value *, 8> Web{P};
  SmallVector<Value *, 8> Work{P};
  SmallVector<Value *, 2> Found;
  while (!Work.empty()) {
    Value *Q = Work.pop_back_val();
    for (Value *In : webInputs(Q)) {
      Value *S = stripInbounds(In);
      if (!S)
        return {P};
      if (isWebNode(S)) {
        if (!Web.count(S)) {
          if (Web.size() >= 16)
            return {P};
          Web.insert(S);
          Work.push_back(S);
        }
        continue;
      }
      if (llvm::is_contained(Found, S))
        continue;
      if (Found.size() == (ClBaseCheckTwoRoots ? 2u : 1u))
        return {P};
      Found.push_back(S);
    }
  }
  if (Found.empty())
    return {P};
  for (Value *R0 : Found) {
    if (isa<Argument>(R0))
      continue;
    auto *I = dyn_cast<Instruction>(R0);
    if (!I || I->isTerminator() || !DT.dominates(I, P))
      return {P};
  }
  if (Found.size() == 2) {
    Value *A = Found[0], *B = Found[1];
    auto *AA = dyn_cast<Argument>(A), *BA = dyn_cast<Argument>(B);
    auto *AI = dyn_cast<Instruction>(A), *BI = dyn_cast<Instruction>(B);
    bool AFirst;
    if (AA && BA)
      AFirst = AA->getArgNo() < BA->getArgNo();
    else if (AA || BA)
      AFirst = AA != nullptr; // an argument dominates every instruction
    else if (DT.dominates(AI, BI))
      AFirst = true;
    else if (DT.dominates(BI, AI))
      AFirst = false;
    else
      return {P}; // no point after both that is sure to dominate the node
    if (!AFirst)
      std::swap(Found[0], Found[1]);
  }
  return Found;
}

/// The one root of Ptr (inboundsRoots), or for a web of two roots the web
/// node itself; null if there is none.
static Value *inboundsRoot(Value *Ptr, DominatorTree &DT) {
  SmallVector<Value *, 2> Rs = inboundsRoots(Ptr, DT);
  if (Rs.empty())
    return nullptr;
  if (Rs.size() == 1)
    return Rs[0];
  return stripInbounds(Ptr);
}

/// Where the flag for root R goes: right after its definition.
static Instruction *flagInsertionPoint(Value *R, Function &F) {
  if (isa<Argument>(R)) {
    auto It = F.getEntryBlock().getFirstInsertionPt();
    return It == F.getEntryBlock().end() ? nullptr : &*It;
  }
  auto *I = dyn_cast<Instruction>(R);
  if (!I || I->isTerminator() || I->isEHPad())
    return nullptr;
  if (isa<PHINode>(I)) {
    auto It = I->getParent()->getFirstInsertionPt();
    return It == I->getParent()->end() ? nullptr : &*It;
  }
  return I->getNextNode();
}

void ModuleInstrumenter::hoistBaseChecks(
    Function &F, ArrayRef<Instruction *> Writes, ArrayRef<StoreGroup> Groups,
    DenseMap<Instruction *, Value *> &Flags, bool OnlyOutsideLoops) {
  if (!ClBaseObjectChecks || !fixedWindowEnabled() ||
      !inlineCheckEnabled() || !FAM || F.hasOptNone())
    return;
  DominatorTree &DT = FAM->getResult<DominatorTreeAnalysis>(F);

  LoopInfo &LI = FAM->getResult<LoopAnalysis>(F);

  struct Root {
    SmallVector<Value *, 2> Rs; // one root, or two (flag: either in range)
    Instruction *At;
    SmallVector<Instruction *, 4> Anchors;
  };
  // One flag per root, right after the root's definition. (Placing it at the
  // end of the predecessor of the store's loop nest instead, when the root
  // is defined outside the nest, cost bzip2 3% more instructions:
  // BZ2_decompress's GET_BITS loops usually run once per entry.)
  MapVector<std::pair<std::pair<Value *, Value *>, Instruction *>, Root> Roots;
  auto Add = [&](Instruction *Anchor, ArrayRef<Instruction *> Members) {
    if (Flags.count(Anchor))
      return; // hoisted out of its loop already
    SmallVector<Value *, 2> Rs;
    for (Instruction *W : Members) {
      Value *Ptr;
      if (auto *SI = dyn_cast<StoreInst>(W)) {
        if (SI->isAtomic())
          return;
        Ptr = SI->getPointerOperand();
      } else if (smallConstantLength(W)) { // writes [dst, dst + len)
        Ptr = cast<AnyMemIntrinsic>(W)->getRawDest();
      } else {
        return;
      }
      SmallVector<Value *, 2> MRs = inboundsRoots(Ptr, DT);
      if (MRs.empty() || (!Rs.empty() && MRs != Rs))
        return;
      Rs = MRs;
    }
    if (Rs.empty() || llvm::any_of(Rs, [](Value *R) { return isa<Constant>(R); }))
      return;
    // After the last root's definition (the first dominates it).
    Instruction *At = flagInsertionPoint(Rs.back(), F);
    if (!At)
      return;
    const Loop *L = LI.getLoopFor(Anchor->getParent());
    while (L && L->getParentLoop())
      L = L->getParentLoop();
    bool OutsideNest = L && !L->contains(At);
    if (OnlyOutsideLoops && !OutsideNest)
      return;
    auto &Entry =
        Roots[{{Rs[0], Rs.size() > 1 ? Rs[1] : nullptr}, At}];
    Entry.Rs = Rs;
    Entry.At = At;
    Entry.Anchors.push_back(Anchor);
  };
  for (const StoreGroup &G : Groups)
    Add(G.Members.front(),
        SmallVector<Instruction *, 4>(G.Members.begin(), G.Members.end()));
  for (Instruction *I : Writes)
    Add(I, {I});
  if (Roots.empty())
    return;

  BlockFrequencyInfo &BFI = FAM->getResult<BlockFrequencyAnalysis>(F);
  for (auto &[Key, E] : Roots) {
    __int128 Saved = 0;
    for (Instruction *A : E.Anchors)
      Saved += 2 * (__int128)BFI.getBlockFreq(A->getParent()).getFrequency();
    __int128 Cost = 4 * (__int128)E.Rs.size() *
                    (__int128)BFI.getBlockFreq(E.At->getParent()).getFrequency();
    if (Saved * 100 < (__int128)ClBaseCheckMinGain * Cost)
      continue;
    IRBuilder<> B(E.At);
    B.SetCurrentDebugLocation(E.Anchors.front()->getDebugLoc());
    Value *Flag = emitAddrInWindow(B, E.Rs[0]);
    if (E.Rs.size() > 1)
      Flag = B.CreateOr(Flag, emitAddrInWindow(B, E.Rs[1]));
    Flag->setName("fams.bflag");
    if (E.Rs.size() > 1)
      count(CntBaseObjectTwoRootChecks);
    count(CntBaseObjectChecks);
    for (Instruction *A : E.Anchors) {
      Flags[A] = Flag;
      auto G = llvm::find_if(
          Groups, [&](const StoreGroup &G) { return G.Members.front() == A; });
      unsigned N = G == Groups.end() ? 1 : G->Members.size();
      for (unsigned K = 0; K < N; ++K)
        count(CntStoresBaseGuarded);
    }
  }
}

// -famsync-version-functions (issue 16): a function whose hot stores are
// rooted (inbounds GEP chains, webs of pointer phis; inboundsRoot above) at
// values its entry block computes before doing anything observable gets an
// unchecked copy:
//
//   entry:  allocas, loads of the roots (nothing that writes or calls)
//           br (R1 in range | R2 in range | ...), %checked, %unchecked
//   unchecked:  tail call F.famsync.unchecked(args...); ret
//   checked:    the instrumented body
//
// The copy is instrumented like any function, except that the writes whose
// root is one of the tested roots get no check at all. Sound for the same
// reason as a base-object flag: a root outside the check range points into
// no tracked mapping, and every byte written through an inbounds chain from
// it stays in its object. The copy recomputes the roots from the same
// arguments, and nothing before the branch wrote memory, so (without a data
// race, which would be undefined behaviour on these plain loads) it gets the
// same values the branch tested. Worth it when the stores run many times per
// call (bzip2's BZ2_blockSort: the partition loops of its inlined
// mainQSort3 test a spilled flag per swap); the copy costs the function's
// size again, hence the thresholds, and off by default: measured on the
// real programs (benchmarks/RESULTS.md, REAL-PROGRAMS-H16D) it takes bzip2
// from 1.216x to 1.154x instructions and lzip from 1.104x to 1.090x, but
// bzip2's stripped binary from 1.238x to 1.341x, over the 1.3x target.
static cl::opt<bool> ClVersionFunctions(
    "famsync-version-functions",
    cl::desc("Give a function whose hot stores are rooted at values computed "
             "at its entry an unchecked copy, called when no root is in the "
             "check range (off by default: the copies cost code size)"),
    cl::Hidden, cl::init(false));
static cl::opt<unsigned> ClVersionMaxInsts(
    "famsync-version-max-insts",
    cl::desc("Largest function (IR instructions) -famsync-version-functions "
             "copies"),
    cl::Hidden, cl::init(2000));
static cl::opt<unsigned> ClVersionMinStores(
    "famsync-version-min-stores",
    cl::desc("-famsync-version-functions: copy only when the stores it frees "
             "run at least this many times per call (static block "
             "frequencies: about 32 per loop level)"),
    cl::Hidden, cl::init(1000));
static cl::opt<bool> ClVersionMinSize(
    "famsync-version-minsize",
    cl::desc("-famsync-version-functions: compile the checked original (run "
             "only when a root is in the check range) for size"),
    cl::Hidden, cl::init(true));
static cl::opt<bool> ClVersionReport(
    "famsync-version-report",
    cl::desc("Print one line per function -famsync-version-functions "
             "considers (roots, freed stores per call, size)"),
    cl::Hidden, cl::init(false));

/// Does I change anything a later re-execution of the entry could observe?
static bool hasEffect(const Instruction &I) {
  if (isa<DbgInfoIntrinsic>(I) || isa<AllocaInst>(I))
    return false;
  if (auto *II = dyn_cast<IntrinsicInst>(&I))
    if (II->isLifetimeStartOrEnd())
      return false;
  if (auto *LI = dyn_cast<LoadInst>(&I))
    return !LI->isSimple();
  return I.mayHaveSideEffects() || isa<CallBase>(I) || I.isTerminator() ||
         isa<PHINode>(I) || I.isEHPad();
}

static bool versionable(const Function &F) {
  if (F.isDeclaration() || F.isVarArg() || F.hasOptNone() ||
      F.hasFnAttribute(Attribute::Naked) || F.hasPersonalityFn() ||
      (F.getCallingConv() != CallingConv::C && F.getCallingConv() != CallingConv::Fast))
    return false;
  for (const Argument &A : F.args())
    if (A.hasInAllocaAttr() || A.hasPreallocatedAttr() ||
        A.hasSwiftErrorAttr() || A.hasByValAttr())
      return false;
  for (const BasicBlock &BB : F) {
    // A block address (computed goto: lua's luaV_execute dispatch table)
    // would make the copy jump into the original.
    if (BB.hasAddressTaken())
      return false;
    for (const Instruction &I : BB)
      if (const auto *CB = dyn_cast<CallBase>(&I))
        if (CB->hasFnAttr(Attribute::ReturnsTwice) || CB->isMustTailCall() ||
            isa<CallBrInst>(CB))
          return false;
  }
  return true;
}

Function *ModuleInstrumenter::versionFunction(Function &F) {
  if (!ClVersionFunctions || !ClBaseObjectChecks || !fixedWindowEnabled() ||
      !inlineCheckEnabled() || !FAM || !versionable(F) ||
      F.getName().startswith("__fams_") ||
      F.hasFnAttribute(Attribute::DisableSanitizerInstrumentation))
    return nullptr;
  if (F.getInstructionCount() > ClVersionMaxInsts)
    return nullptr;
  // The dispatch point: the first instruction of the entry block with an
  // effect. The roots must be defined before it.
  BasicBlock &Entry = F.getEntryBlock();
  Instruction *At = nullptr;
  SmallPtrSet<const Value *, 16> Before;
  for (Instruction &I : Entry) {
    if (hasEffect(I)) {
      At = &I;
      break;
    }
    Before.insert(&I);
  }
  if (!At || isa<PHINode>(At) || At->isEHPad())
    return nullptr;
  auto EntryRoot = [&](Value *R) {
    return isa<Argument>(R) || (Before.count(R) && !isa<AllocaInst>(R));
  };

  DominatorTree &DT = FAM->getResult<DominatorTreeAnalysis>(F);
  BlockFrequencyInfo &BFI = FAM->getResult<BlockFrequencyAnalysis>(F);
  SetVector<Value *> Roots;
  __int128 Freed = 0;
  for (BasicBlock &BB : F)
    for (Instruction &I : BB) {
      Value *Ptr = nullptr;
      if (auto *SI = dyn_cast<StoreInst>(&I)) {
        if (!SI->isAtomic())
          Ptr = SI->getPointerOperand();
      } else if (smallConstantLength(&I)) {
        Ptr = cast<AnyMemIntrinsic>(&I)->getRawDest();
      }
      if (!Ptr || Ptr->getType()->getPointerAddressSpace() != 0)
        continue;
      Value *R = inboundsRoot(Ptr, DT);
      if (!R || !R->getType()->isPointerTy() || !EntryRoot(R))
        continue;
      // Writes the skip rules drop anyway free nothing (a dry run: the
      // counters are the instrumentation's, not this estimate's).
      unsigned Saved[NumCounters];
      std::copy(std::begin(Counts), std::end(Counts), Saved);
      bool Skipped = isProvablyOutsideWindow(Ptr);
      std::copy(std::begin(Saved), std::end(Saved), Counts);
      if (Skipped)
        continue;
      Roots.insert(R);
      Freed += BFI.getBlockFreq(&BB).getFrequency();
    }
  if (Roots.empty() || Roots.size() > 8)
    return nullptr;
  // Cost model: a copy costs the function's size again, so only functions
  // whose freed stores run about a thousand times per call (nested loops:
  // the static frequency of a loop body is about 32 times its entry's) are
  // copied. The dispatch (4 instructions per root) is then noise.
  __int128 EntryFreq = BFI.getEntryFreq();
  if (ClVersionReport)
    errs() << "famsync: version " << F.getName() << ": " << Roots.size()
           << " roots, " << (double)Freed / (double)EntryFreq
           << " freed stores per call, " << F.getInstructionCount()
           << " instructions\n";
  if (Freed < EntryFreq * (__int128)ClVersionMinStores)
    return nullptr;

  ValueToValueMapTy VMap;
  Function *C = CloneFunction(&F, VMap);
  C->setName(F.getName() + ".famsync.unchecked");
  C->setLinkage(GlobalValue::InternalLinkage);
  C->setVisibility(GlobalValue::DefaultVisibility);
  C->setDLLStorageClass(GlobalValue::DefaultStorageClass);
  C->setComdat(nullptr);
  C->setUnnamedAddr(GlobalValue::UnnamedAddr::Global);
  auto &Tested = UncheckedRoots[C];
  for (Value *R : Roots)
    Tested.insert(VMap[R]);

  // Split the entry at the dispatch point (allocas stay in the entry block).
  BasicBlock *Checked = Entry.splitBasicBlock(At, Entry.getName() + ".checked");
  BasicBlock *Unchecked =
      BasicBlock::Create(Ctx, "fams.unchecked", &F, Checked);
  Entry.getTerminator()->eraseFromParent();
  IRBuilder<> B(&Entry);
  // The call may be inlined (LTO), and then needs a location.
  DebugLoc Loc = At->getDebugLoc();
  if (!Loc && F.getSubprogram())
    Loc = DILocation::get(Ctx, 0, 0, F.getSubprogram());
  B.SetCurrentDebugLocation(Loc);
  Value *Any = nullptr;
  for (Value *R : Roots) {
    Value *In = emitAddrInWindow(B, R);
    Any = Any ? B.CreateOr(Any, In) : In;
  }
  Any->setName("fams.vflag");
  B.CreateCondBr(Any, Checked, Unchecked, ColdWeights);
  B.SetInsertPoint(Unchecked);
  SmallVector<Value *, 8> Args;
  for (Argument &A : F.args())
    Args.push_back(&A);
  CallInst *Call = B.CreateCall(C, Args);
  Call->setTailCallKind(CallInst::TCK_Tail);
  Call->setCallingConv(F.getCallingConv());
  // The parameter and return attributes (zeroext, sret, ...) that make the
  // ABI of the call match the copy's.
  AttributeList PAL = F.getAttributes();
  SmallVector<AttributeSet, 8> ArgAttrs;
  for (unsigned I = 0; I < F.arg_size(); ++I)
    ArgAttrs.push_back(PAL.getParamAttrs(I));
  Call->setAttributes(
      AttributeList::get(Ctx, AttributeSet(), PAL.getRetAttrs(), ArgAttrs));
  if (F.getReturnType()->isVoidTy())
    B.CreateRetVoid();
  else
    B.CreateRet(Call);
  // The checked original now runs only for memory in the check range: code
  // size matters more there than speed (the copy is the fast path).
  if (ClVersionMinSize) {
    F.addFnAttr(Attribute::OptimizeForSize);
    F.addFnAttr(Attribute::MinSize);
  }
  count(CntVersionedFunctions);
  FAM->invalidate(F, PreservedAnalyses::none());
  return C;
}

void ModuleInstrumenter::dropVersionedWrites(
    Function &F, SmallVectorImpl<Instruction *> &Writes,
    SmallVectorImpl<StoreGroup> &Groups) {
  auto It = UncheckedRoots.find(&F);
  if (It == UncheckedRoots.end())
    return;
  const auto &Tested = It->second;
  DominatorTree &DT = FAM->getResult<DominatorTreeAnalysis>(F);
  auto Freed = [&](Instruction *W) {
    Value *Ptr;
    if (auto *SI = dyn_cast<StoreInst>(W)) {
      if (SI->isAtomic())
        return false;
      Ptr = SI->getPointerOperand();
    } else if (smallConstantLength(W)) {
      Ptr = cast<AnyMemIntrinsic>(W)->getRawDest();
    } else {
      return false;
    }
    Value *R = inboundsRoot(Ptr, DT);
    return R && Tested.count(R);
  };
  unsigned Dropped = 0;
  llvm::erase_if(Groups, [&](const StoreGroup &G) {
    if (!llvm::all_of(G.Members, [&](StoreInst *S) { return Freed(S); }))
      return false;
    Dropped += G.Members.size();
    return true;
  });
  llvm::erase_if(Writes, [&](Instruction *W) {
    if (!Freed(W))
      return false;
    ++Dropped;
    return true;
  });
  for (unsigned K = 0; K < Dropped; ++K)
    count(CntStoresVersioned);
}
