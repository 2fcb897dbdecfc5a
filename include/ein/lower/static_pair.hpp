// The fast path of a two-operand spec, decided at compile time: when neither
// term repeats a label and every label is a batch, M, N or K label (nothing
// summed within one operand), the groups and their axis orders are fixed by
// the spec alone. At run time only the extents (equal, no broadcasting) and
// the strides (each group collapses, each matrix has a unit stride) are
// checked; anything else takes the general path.
//   "ij,jk->ik":       M {i}, N {k}, K {j}
//   "bhqd,bhkd->bhqk": batch {b,h}, M {q}, N {k}, K {d}
// Layer: lower.
#pragma once

#include <array>
#include <cstdint>

#include "ein/spec/bind.hpp"

namespace ein {

/// Axis positions of each group in A, B and the output, in one common label order.
struct StaticPair {
  bool fast = false;
  struct Group {
    std::array<unsigned char, max_rank> a{}, b{}, c{};  // axis of each label in A, B, C (unused where absent)
    int count = 0;
  };
  Group batch, m, n, k;
  // For each output axis, where its extent comes from: operand (0 = A, 1 = B) and axis.
  std::array<unsigned char, max_rank> out_operand{}, out_axis{};
  // Pairs of axes (in A, in B) that carry the same label: their extents must agree.
  std::array<unsigned char, max_rank> shared_a{}, shared_b{};
  int num_shared = 0;
};

/// The fast-path description of a bound two-operand spec (fast == false when it does not qualify).
constexpr StaticPair static_pair(const BoundSpec& spec) {
  StaticPair p;
  if (spec.error.failed() || spec.num_inputs != 2) return p;
  const BoundTerm& a = spec.inputs[0];
  const BoundTerm& b = spec.inputs[1];
  const BoundTerm& c = spec.output;
  if (detail::has_repeats(a) || detail::has_repeats(b)) return p;
  // Walk A's labels in order (M and K and batch take A's order), then B's N labels in B's order.
  for (std::size_t d = 0; d < detail::ix(a.rank); ++d) {
    const int l = a.labels[d];
    const int ib = detail::axis_in(b, l), ic = detail::axis_in(c, l);
    StaticPair::Group* g = nullptr;
    if (ib >= 0 && ic >= 0) g = &p.batch;
    else if (ib >= 0) g = &p.k;
    else if (ic >= 0) g = &p.m;
    else return p;  // summed within A
    g->a[detail::ix(g->count)] = static_cast<unsigned char>(d);
    g->b[detail::ix(g->count)] = static_cast<unsigned char>(ib < 0 ? 0 : ib);
    g->c[detail::ix(g->count++)] = static_cast<unsigned char>(ic < 0 ? 0 : ic);
    if (ib >= 0) {
      p.shared_a[detail::ix(p.num_shared)] = static_cast<unsigned char>(d);
      p.shared_b[detail::ix(p.num_shared++)] = static_cast<unsigned char>(ib);
    }
  }
  for (std::size_t d = 0; d < detail::ix(b.rank); ++d) {
    const int l = b.labels[d];
    if (detail::axis_in(a, l) >= 0) continue;
    const int ic = detail::axis_in(c, l);
    if (ic < 0) return p;  // summed within B
    p.n.b[detail::ix(p.n.count)] = static_cast<unsigned char>(d);
    p.n.c[detail::ix(p.n.count++)] = static_cast<unsigned char>(ic);
  }
  if (p.k.count == 0) return p;  // no contraction: the loop backend's job
  for (std::size_t d = 0; d < detail::ix(c.rank); ++d) {
    const int ia = detail::axis_in(a, c.labels[d]);
    p.out_operand[d] = ia >= 0 ? 0 : 1;
    p.out_axis[d] = static_cast<unsigned char>(ia >= 0 ? ia : detail::axis_in(b, c.labels[d]));
  }
  p.fast = true;
  return p;
}

/// Operand k's gradient einsum `gradient` of `forward` (spec/derive.hpp) as a fast
/// path, for both spellings of a spec: it qualifies where `forward` has two
/// operands, the seed has no broadcast axes (its rank is the output's) and operand k
/// no diagonal (the gradient's rank is operand k's); else fast == false.
constexpr StaticPair gradient_pair(const BoundSpec& forward, const BoundSpec& gradient, int k) {
  StaticPair p = static_pair(gradient);
  p.fast = p.fast && forward.num_inputs == 2 && gradient.inputs[0].rank == forward.output.rank &&
           gradient.output.rank == forward.inputs[detail::ix(k)].rank;
  return p;
}

/// For the tests, one per fast path: the calls it took on this thread, and a switch
/// that sends every call to the general path instead, so that random cases reach
/// both and the two can be compared.
struct PathProbe {
  bool off = false;
  std::uint64_t taken = 0;
};

/// Whether a pair is a GEMM's: K labels (fast), and M and N labels. The product path
/// (lower/static_product.hpp) leaves such a pair to the pair path: it would decline
/// its reuse, and its code, one per spec, is then not compiled (35 same-rank
/// compile-time specs: 1.7 s more to compile, g++ 12 -O2).
constexpr bool gemm_shaped(const StaticPair& p) { return p.fast && p.m.count > 0 && p.n.count > 0; }

}  // namespace ein
