// Classifies one pairwise step into label groups, the vocabulary of the GEMM
// lowering. For a step over A and B whose result must keep the labels `keep`:
//   batch      in A and B, kept            "bij,bjk->bik": {b}
//   free left  (M) in A only, kept          {i}
//   free right (N) in B only, kept          {k}
//   contracted (K) in A and B, not kept     {j}
//   summed in A / summed in B: in one operand only, not kept ("ij,k->k": {i}, {j}... )
// Diagonals (a label repeated within one term) are merged into one strided
// axis before classification, so they never reach this level. Layer: plan.
#pragma once

#include "ein/plan/label_set.hpp"

namespace ein {

/// The kind of work a step lowers to (see backend/ for each).
enum class StepKind : unsigned char {
  gemm,          // K non-empty, no batch labels
  batched_gemm,  // K non-empty, batch labels looped
  loop,          // a loop nest over both operands (no K, or K where the cost model prefers it: dots, GEMVs)
  single,        // one operand: reductions, diagonals, permutations, copies
  fused,         // every operand in one loop nest, no intermediates (N-ary Hadamard and broadcast products)
};

constexpr const char* to_string(StepKind kind) {
  switch (kind) {
    case StepKind::gemm: return "GEMM";
    case StepKind::batched_gemm: return "batched GEMM";
    case StepKind::loop: return "loop";
    case StepKind::single: return "unary loop";
    case StepKind::fused: return "fused loop";
  }
  return "?";
}

struct LabelGroups {
  LabelSet batch, m, n, k, summed_a, summed_b;

  [[nodiscard]] constexpr LabelSet result() const { return batch | m | n; }
  /// The GEMM kind when K is non-empty (what a step is lowered to when the cost model is not asked).
  [[nodiscard]] constexpr StepKind kind() const {
    if (k.empty()) return StepKind::loop;
    return batch.empty() ? StepKind::gemm : StepKind::batched_gemm;
  }
};

/// Splits the labels of a pairwise step into groups.
constexpr LabelGroups classify(LabelSet a, LabelSet b, LabelSet keep) {
  LabelGroups g;
  const LabelSet both = a & b;
  g.batch = both & keep;
  g.k = both - keep;
  g.m = (a - b) & keep;
  g.n = (b - a) & keep;
  g.summed_a = (a - b) - keep;
  g.summed_b = (b - a) - keep;
  return g;
}

}  // namespace ein
