//===- LoopChecks.cpp - famsync window checks hoisted out of loops -*- C++ -*-===//
//
// Part of famsync (failure-atomic msync in userspace).
//
// -famsync-hoist-loop-checks (issue 16): a store (or a group of stores, see
// formStoreGroups) inside a loop whose address ScalarEvolution can bound over
// a loop nest gets its window check replaced by a branch on an i1 flag that is
// computed once before the outermost such loop: "may [lo, lo + len)
// intersect the check range?". The test goes at the end of the loop's only
// predecessor outside it (its preheader, or a guard block that branches into
// the loop or past it: the test is pure arithmetic, so running it when the
// loop is skipped is harmless); a loop whose header has several predecessors
// outside it is not used. The cold path is unchanged (the same hook with the
// store's exact address and size), so the hook still decides what is
// tracked.
//
// Invariant: for every execution of the store (every byte it writes) during
// one entry into the hoisting loop L, the byte's address lies on the arc
// [lo, lo + len) of the 2^64 address circle computed just before that entry
// (from SSA values invariant in L, so they are the same during the entry), or
// the flag is true. Hence "flag false" implies "no byte the store
// writes is in the check range", which is all the inline check said. The flag
// is a pure address test against the fixed check range (or the window,
// loaded once at function entry and fixed afterwards, with
// -famsync-fixed-window=false), so calls in the loop (commits, new mappings)
// cannot make it stale. Two ways to bound an address S (a pointer SCEV):
//
//  * Affine recurrences. S = {..{Start,+,C1}<L1>..,+,Ck}<Lk> with constant
//    steps, every Li inside L and containing the store, Start invariant in L,
//    and for each Li an upper bound Ni of its backedge-taken count that is
//    invariant in L (the symbolic maximum, which also bounds loops with
//    several exits, else the constant maximum). In iteration ni <= Ni of each
//    loop the address is Start + sum(ni * Ci) modulo 2^64, so it lies on the
//    arc that starts at Start + sum over negative steps of Ni * Ci and is
//    sum(Ni * |Ci|) + size long. Those products and sums are computed with
//    overflow checks at run time; an overflow sets the flag.
//  * Constant ranges. S = Base + Off with Base a pointer invariant in L and
//    Off an integer SCEV whose signed (or unsigned) range is a constant
//    [min, max] (e.g. a sign-extended 32-bit index loaded from memory, times
//    the element size): the arc is [Base + min, Base + max + size). Only spans
//    up to 4 TiB are used (a wider one would hardly ever be false).
//
// Bounds that differ only by constant offsets from one start share one test
// over their union (-famsync-merge-loop-checks), placed at the end of the
// nearest common dominator of their loops' predecessors; a test is kept only
// if static block frequencies say it pays (-famsync-loop-check-cost-model).
//
// Everything here runs before any block is split and changes no block
// structure: it only adds instructions at the end of the loops' predecessors.
// It assumes what the optimizer assumes: ScalarEvolution's trip counts and
// no-wrap flags hold for programs without undefined behaviour (a loop that
// overflows a signed index, or an infinite side-effect-free loop in C++, may
// be bounded wrongly, as it may be miscompiled).
//
//===----------------------------------------------------------------------===//

#include "FamsyncPass.h"

#include "llvm/ADT/APInt.h"
#include "llvm/ADT/Optional.h"
#include "llvm/Analysis/BlockFrequencyInfo.h"
#include "llvm/Analysis/LoopInfo.h"
#include "llvm/Analysis/ScalarEvolution.h"
#include "llvm/Analysis/ScalarEvolutionExpressions.h"
#include "llvm/IR/Constants.h"
#include "llvm/IR/Dominators.h"
#include "llvm/IR/Instructions.h"
#include "llvm/IR/Intrinsics.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Transforms/Utils/ScalarEvolutionExpander.h"

using namespace llvm;
using namespace famsync;

static cl::opt<bool> ClHoistLoopChecks(
    "famsync-hoist-loop-checks",
    cl::desc("Test the address range a store in a loop can write once, in "
             "before the loop nest, and branch on that flag at the store"),
    cl::Hidden, cl::init(true));

static cl::opt<bool> ClMergeLoopChecks(
    "famsync-merge-loop-checks",
    cl::desc("One hoisted test for all stores whose bounds differ only by "
             "constant offsets from the same start, at the nearest common "
             "dominator of their loops' predecessors"),
    cl::Hidden, cl::init(true));

static cl::opt<unsigned> ClLoopCheckMinGain(
    "famsync-loop-check-min-gain",
    cl::desc("With -famsync-loop-check-cost-model, keep a loop-hoisted test "
             "only if the instructions it saves are at least this many "
             "percent of what it costs, by static block frequencies"),
    cl::Hidden, cl::init(200));
static cl::opt<bool> ClLoopCheckCostModel(
    "famsync-loop-check-cost-model",
    cl::desc("Hoist a loop check only if the static block frequencies say "
             "its stores run often enough per run of the test"),
    cl::Hidden, cl::init(true));

/// Widest arc the constant-range rule uses, in bytes.
static const uint64_t MaxRangeSpan = 1ull << 42;
/// Largest SCEV (in nodes) the pass expands before a loop.
static const unsigned MaxExpansionSize = 24;

namespace {
/// The arc [Start + Lo - sum(neg. Ni * |Ci|), ... + Span + sum(Ni * |Ci|))
/// that every byte a unit writes during one entry into Hoist lies on.
struct LoopBound {
  const Loop *Hoist = nullptr;
  Instruction *At = nullptr;   ///< where the test goes (a terminator)
  const SCEV *Start = nullptr; ///< pointer SCEV, invariant in Hoist
  uint64_t Lo = 0;             ///< added to Start, modulo 2^64
  uint64_t Span = 0;           ///< constant part of the arc's length
  /// (Ni, Ci): an upper bound of a backedge-taken count and its step (a
  /// constant, or invariant in Hoist), both i64 after extension.
  SmallVector<std::pair<const SCEV *, const SCEV *>, 2> Terms;

  /// Same start and variable part (the arcs then differ only by constants).
  bool sameShape(const LoopBound &O) const {
    return Start == O.Start && Terms == O.Terms;
  }
};

/// A store or a group: its anchor (where the check goes), one pointer Ptr it
/// writes through, and [Ptr + RelMin, Ptr + RelMax) covering what it writes.
struct Unit {
  Instruction *Anchor;
  Value *Ptr;
  int64_t RelMin, RelMax;
};
} // namespace

static bool expandable(const SCEV *S, Instruction *At, ScalarEvolution &SE) {
  return S->getExpressionSize() <= MaxExpansionSize &&
         isSafeToExpandAt(S, At, SE);
}

static bool expandableAt(const LoopBound &R, Instruction *At,
                         ScalarEvolution &SE) {
  return expandable(R.Start, At, SE) &&
         llvm::all_of(R.Terms, [&](const auto &T) {
           return expandable(T.first, At, SE) && expandable(T.second, At, SE);
         });
}

/// Code can go before the terminator of BB (not a catchswitch etc.).
static bool canInsertAtEnd(const BasicBlock *BB) {
  const Instruction *T = BB->getTerminator();
  return isa<BranchInst>(T) || isa<SwitchInst>(T);
}

// The affine-recurrence rule (see the file comment).
static Optional<LoopBound> boundAffine(const SCEV *S, const Loop *L,
                                       const BasicBlock *BB, const Unit &U,
                                       ScalarEvolution &SE) {
  LoopBound R;
  R.Hoist = L;
  R.Lo = (uint64_t)U.RelMin;
  R.Span = (uint64_t)(U.RelMax - U.RelMin);
  const SCEV *Cur = S;
  while (const auto *AR = dyn_cast<SCEVAddRecExpr>(Cur)) {
    const Loop *ARL = AR->getLoop();
    if (!L->contains(ARL))
      break; // a recurrence of an enclosing loop: invariant in L
    // The recurrence of a loop the store is not in (its value after that
    // loop) is left to the range rule.
    if (!ARL->contains(BB) || !AR->isAffine() ||
        SE.getTypeSizeInBits(AR->getType()) != 64)
      return None;
    // A constant step, or one invariant in L whose sign is tested at run
    // time.
    const SCEV *Step = AR->getStepRecurrence(SE);
    if (const auto *C = dyn_cast<SCEVConstant>(Step)) {
      if (C->getAPInt().getMinSignedBits() > 63)
        return None;
    } else if (!SE.isLoopInvariant(Step, L)) {
      return None;
    }
    const SCEV *N = SE.getSymbolicMaxBackedgeTakenCount(ARL);
    if (isa<SCEVCouldNotCompute>(N) || !SE.isLoopInvariant(N, L))
      N = SE.getConstantMaxBackedgeTakenCount(ARL);
    if (isa<SCEVCouldNotCompute>(N) ||
        SE.getTypeSizeInBits(N->getType()) > 64)
      return None;
    // A constant bound that makes the arc wider than any useful one (a
    // constant maximum of 2^60 for a pointer-difference loop) would set the
    // flag on every run.
    if (const auto *NC = dyn_cast<SCEVConstant>(N))
      if (const auto *SC = dyn_cast<SCEVConstant>(Step))
        if ((NC->getAPInt().zext(128) * SC->getAPInt().sext(128).abs())
                .ugt(MaxRangeSpan))
          return None;
    if (!Step->isZero())
      R.Terms.push_back({N, Step});
    Cur = AR->getStart();
  }
  if (!Cur->getType()->isPointerTy() || !SE.isLoopInvariant(Cur, L))
    return None;
  R.Start = Cur;
  return R;
}

// The constant-range rule (see the file comment).
static Optional<LoopBound> boundByRange(const SCEV *S, const Loop *L,
                                        const Unit &U, ScalarEvolution &SE) {
  const SCEV *Base = SE.getPointerBase(S);
  if (!isa<SCEVUnknown>(Base) || !Base->getType()->isPointerTy() ||
      !SE.isLoopInvariant(Base, L))
    return None;
  const SCEV *Off = SE.getMinusSCEV(S, Base);
  if (isa<SCEVCouldNotCompute>(Off) || SE.getTypeSizeInBits(Off->getType()) != 64)
    return None;
  // Off lies in [Min, Max] (as a signed or as an unsigned number); modulo
  // 2^64 both give an arc of Max - Min + 1 values starting at Base + Min.
  ConstantRange SR = SE.getSignedRange(Off), UR = SE.getUnsignedRange(Off);
  if (SR.isFullSet() && UR.isFullSet())
    return None;
  APInt Min = SR.getSignedMin(), Width = SR.getSignedMax() - Min;
  if (SR.isFullSet() ||
      (!UR.isFullSet() && (UR.getUnsignedMax() - UR.getUnsignedMin()).ult(Width))) {
    Min = UR.getUnsignedMin();
    Width = UR.getUnsignedMax() - Min;
  }
  if (Width.ugt(MaxRangeSpan))
    return None;
  LoopBound R;
  R.Hoist = L;
  R.Start = Base;
  R.Lo = Min.getZExtValue() + (uint64_t)U.RelMin;
  R.Span = Width.getZExtValue() + (uint64_t)(U.RelMax - U.RelMin);
  return R;
}

// The outermost loop around the unit with a single predecessor outside it (a
// branch or switch, so that code can go before its terminator) for which one
// of the rules bounds its address.
static Optional<LoopBound> boundUnit(const Unit &U, LoopInfo &LI,
                                     ScalarEvolution &SE) {
  BasicBlock *BB = U.Anchor->getParent();
  if (!LI.getLoopFor(BB) || !SE.isSCEVable(U.Ptr->getType()))
    return None;
  const SCEV *S = SE.getSCEV(U.Ptr);
  if (!S->getType()->isPointerTy())
    return None;
  SmallVector<const Loop *, 4> Nest;
  for (const Loop *L = LI.getLoopFor(BB); L; L = L->getParentLoop())
    Nest.push_back(L);
  for (const Loop *L : llvm::reverse(Nest)) {
    BasicBlock *PH = L->getLoopPredecessor();
    if (!PH || !canInsertAtEnd(PH))
      continue;
    Instruction *At = PH->getTerminator();
    for (Optional<LoopBound> R :
         {boundAffine(S, L, BB, U, SE), boundByRange(S, L, U, SE)}) {
      if (!R)
        continue;
      // A constant term of the start goes into Lo, so that bounds whose
      // starts differ by a constant (fields of one struct) have one shape.
      if (const auto *Add = dyn_cast<SCEVAddExpr>(R->Start))
        if (const auto *C = dyn_cast<SCEVConstant>(Add->getOperand(0)))
          if (C->getAPInt().getMinSignedBits() <= 64) {
            SmallVector<const SCEV *, 4> Rest(Add->op_begin() + 1,
                                              Add->op_end());
            R->Start = SE.getAddExpr(Rest);
            R->Lo += (uint64_t)C->getAPInt().getSExtValue();
          }
      if (!expandableAt(*R, At, SE))
        continue;
      R->At = At;
      return R;
    }
  }
  return None;
}

void ModuleInstrumenter::hoistLoopChecks(
    Function &F, ArrayRef<Instruction *> Writes, ArrayRef<StoreGroup> Groups,
    DenseMap<Instruction *, Value *> &Flags) {
  if (!ClHoistLoopChecks || !inlineCheckEnabled() || !FAM ||
      F.hasOptNone())
    return;
  SmallVector<Unit, 16> Units;
  for (const StoreGroup &G : Groups)
    if (!Flags.count(G.Members.front())) // not guarded by a base-object check
      Units.push_back({G.Members.front(),
                       G.Members.front()->getPointerOperand(),
                       G.Min - G.FirstOff, G.Max - G.FirstOff});
  for (Instruction *I : Writes) {
    auto *SI = dyn_cast<StoreInst>(I);
    if (!SI || Flags.count(SI))
      continue;
    TypeSize Size = DL.getTypeStoreSize(SI->getValueOperand()->getType());
    if (Size.isScalable())
      continue;
    Units.push_back({SI, SI->getPointerOperand(), 0,
                     (int64_t)Size.getFixedSize()});
  }
  LoopInfo &LI = FAM->getResult<LoopAnalysis>(F);
  if (LI.empty() || llvm::none_of(Units, [&](const Unit &U) {
        return LI.getLoopFor(U.Anchor->getParent());
      }))
    return;
  ScalarEvolution &SE = FAM->getResult<ScalarEvolutionAnalysis>(F);

  // Bound every unit before expanding anything: expansion adds instructions
  // (and SCEV's caches must not see a half-changed function).
  SmallVector<std::pair<Instruction *, LoopBound>, 16> Bounds;
  for (const Unit &U : Units)
    if (Optional<LoopBound> R = boundUnit(U, LI, SE))
      Bounds.push_back({U.Anchor, std::move(*R)});
  if (Bounds.empty())
    return;

  // Merge bounds of one shape: the arc [Start + min Lo, Start + max(Lo +
  // Span)) plus the shared variable part covers each of them. The test goes
  // at the end of the nearest common dominator D of their blocks: D dominates
  // each loop's predecessor P, and every value the test reads is defined at D
  // (checked), so it has the same value at P as at D (a value defined before
  // D and redefined between D and P would give a path to P around D).
  struct Merged {
    LoopBound R;
    SmallVector<Instruction *, 4> Anchors;
  };
  SmallVector<Merged, 8> All;
  DominatorTree *DT = ClMergeLoopChecks
                          ? &FAM->getResult<DominatorTreeAnalysis>(F)
                          : nullptr;
  for (auto &[Anchor, R] : Bounds) {
    bool Done = false;
    for (Merged &M : All) {
      if (!M.R.sameShape(R))
        continue;
      if (!ClMergeLoopChecks && // only identical bounds share a flag
          (M.R.Lo != R.Lo || M.R.Span != R.Span || M.R.At != R.At))
        continue;
      __int128 Lo = std::min<__int128>((int64_t)M.R.Lo, (int64_t)R.Lo);
      __int128 End = std::max<__int128>((__int128)(int64_t)M.R.Lo + M.R.Span,
                                        (__int128)(int64_t)R.Lo + R.Span);
      if (End - Lo > (__int128)(2 * MaxRangeSpan))
        continue;
      Instruction *At = M.R.At;
      if (At->getParent() != R.At->getParent()) {
        if (!DT)
          continue;
        BasicBlock *D = DT->findNearestCommonDominator(M.R.At->getParent(),
                                                       R.At->getParent());
        if (!D || !canInsertAtEnd(D) || !expandableAt(R, D->getTerminator(), SE))
          continue;
        At = D->getTerminator();
      }
      M.R.At = At;
      M.R.Lo = (uint64_t)(int64_t)Lo;
      M.R.Span = (uint64_t)(End - Lo);
      M.Anchors.push_back(Anchor);
      Done = true;
      break;
    }
    if (!Done)
      All.push_back({R, {Anchor}});
  }

  // Cost model (-famsync-loop-check-cost-model): a test costs about 6
  // instructions plus 7 per recurrence term each time its block runs, and
  // saves about 2 (shift, compare vs. a flag test) each time a guarded store
  // runs. Keep a test only if, by the static block frequencies, it saves at
  // least twice what it costs (the margin pays for the register the flag
  // holds across the loop): a test before a loop whose stores are rare
  // (lzip's pairs[] in get_match_pairs, once per call) otherwise costs more
  // than it saves.
  if (ClLoopCheckCostModel) {
    BlockFrequencyInfo &BFI = FAM->getResult<BlockFrequencyAnalysis>(F);
    llvm::erase_if(All, [&](const Merged &M) {
      uint64_t At = BFI.getBlockFreq(M.R.At->getParent()).getFrequency();
      __int128 Saved = 0;
      for (Instruction *A : M.Anchors)
        Saved += 2 * (__int128)BFI.getBlockFreq(A->getParent()).getFrequency();
      __int128 Cost = (__int128)(6 + 7 * M.R.Terms.size()) * At;
      return Saved * 100 < (__int128)ClLoopCheckMinGain * Cost;
    });
  }

  SCEVExpander Exp(SE, DL, "fams.lx");
  for (Merged &M : All) {
    const LoopBound &R = M.R;
    Instruction *At = R.At;
    IRBuilder<> B(At);
    B.SetCurrentDebugLocation(M.Anchors.front()->getDebugLoc());
    Value *Start = Exp.expandCodeFor(R.Start, nullptr, At);
    Value *Lo = B.CreatePtrToInt(Start, IntptrTy, "fams.lstart");
    if (R.Lo)
      Lo = B.CreateAdd(Lo, ConstantInt::get(IntptrTy, R.Lo), "fams.llo");
    Value *Len = ConstantInt::get(Int64Ty, R.Span);
    Value *Overflow = nullptr;
    auto AddOverflow = [&](Value *CallResult) {
      Value *O = B.CreateExtractValue(CallResult, 1, "fams.lovf");
      Overflow = Overflow ? B.CreateOr(Overflow, O, "fams.lovf") : O;
      return B.CreateExtractValue(CallResult, 0);
    };
    for (auto &[N, Step] : R.Terms) {
      Value *Count = B.CreateZExtOrTrunc(Exp.expandCodeFor(N, nullptr, At),
                                         Int64Ty, "fams.ln");
      Value *Extent = Count;
      if (const auto *C = dyn_cast<SCEVConstant>(Step)) {
        int64_t V = C->getAPInt().getSExtValue();
        uint64_t Abs = V < 0 ? 0 - (uint64_t)V : (uint64_t)V;
        if (Abs != 1)
          Extent = AddOverflow(B.CreateBinaryIntrinsic(
              Intrinsic::umul_with_overflow, Count,
              ConstantInt::get(Int64Ty, Abs)));
        if (V < 0)
          Lo = B.CreateSub(Lo, Extent, "fams.llo");
      } else {
        // |step| as an unsigned number (also right for INT64_MIN); the
        // arc starts Ni * |step| lower when the step is negative.
        Value *S = B.CreateSExtOrTrunc(Exp.expandCodeFor(Step, nullptr, At),
                                       Int64Ty, "fams.lstep");
        Value *Neg = B.CreateICmpSLT(S, ConstantInt::get(Int64Ty, 0));
        Value *Abs = B.CreateSelect(Neg, B.CreateNeg(S), S, "fams.labs");
        Extent = AddOverflow(B.CreateBinaryIntrinsic(
            Intrinsic::umul_with_overflow, Count, Abs));
        Lo = B.CreateSub(
            Lo, B.CreateSelect(Neg, Extent, ConstantInt::get(Int64Ty, 0)),
            "fams.llo");
      }
      Len = AddOverflow(
          B.CreateBinaryIntrinsic(Intrinsic::uadd_with_overflow, Len, Extent));
    }
    Value *Flag = emitRangeMayHitWindow(B, Lo, Len);
    if (Overflow)
      Flag = B.CreateOr(Flag, Overflow);
    Flag->setName("fams.lflag");
    count(CntHoistedLoopChecks);
    for (Instruction *Anchor : M.Anchors)
      Flags[Anchor] = Flag;
  }
  for (const Merged &M : All)
    for (Instruction *A : M.Anchors) {
      auto G = llvm::find_if(Groups, [&](const StoreGroup &G) {
        return G.Members.front() == A;
      });
      unsigned N = G == Groups.end() ? 1 : G->Members.size();
      for (unsigned K = 0; K < N; ++K)
        count(CntStoresLoopGuarded);
    }
}
