// The gradient of an einsum is an einsum: for operand k, the output's gradient
// contracted with every other operand, producing operand k's labels. Derived
// from the bound forward spec at compile time. Layer: spec.
//   "ij,jk->ik", k = 0:  "ik,jk->ij"      k = 1: "ik,ij->jk"
//   "ii->", k = 0: the output gradient broadcast along i ("i" with stride 0),
//        written onto the diagonal of the operand's gradient.
// A label of operand k in no other term and not in the output (summed within
// operand k) joins the gradient's first term as a broadcast axis; a label
// repeated in operand k appears once and is written onto the diagonal.
#pragma once

#include "ein/spec/bind.hpp"

namespace ein {

/// The spec of the gradient of operand k: term 0 is the output's gradient (its
/// labels, then the broadcast ones), terms 1.. are the other operands in order,
/// and the output is operand k's distinct labels in their first order.
constexpr BoundSpec derive_gradient(const BoundSpec& forward, int k) {
  BoundSpec g = forward;
  g.num_inputs = forward.num_inputs;
  BoundTerm seed = forward.output;
  const BoundTerm& term = forward.inputs[detail::ix(k)];
  const auto in_term = [](const BoundTerm& t, int label) {
    for (std::size_t d = 0; d < detail::ix(t.rank); ++d)
      if (t.labels[d] == label) return true;
    return false;
  };
  BoundTerm distinct{};
  for (std::size_t d = 0; d < detail::ix(term.rank); ++d) {
    const int label = term.labels[d];
    if (in_term(distinct, label)) continue;
    distinct.labels[detail::ix(distinct.rank++)] = static_cast<unsigned char>(label);
    bool elsewhere = in_term(forward.output, label);
    for (int j = 0; j < forward.num_inputs && !elsewhere; ++j)
      elsewhere = j != k && in_term(forward.inputs[detail::ix(j)], label);
    if (elsewhere) continue;
    if (seed.rank == max_rank) {
      g.error = Error{ErrorCode::term_too_long, -1, 0};
      return g;
    }
    seed.labels[detail::ix(seed.rank++)] = static_cast<unsigned char>(label);
  }
  g.inputs[0] = seed;
  int next = 1;
  for (int j = 0; j < forward.num_inputs; ++j)
    if (j != k) g.inputs[detail::ix(next++)] = forward.inputs[detail::ix(j)];
  g.output = distinct;
  return g;
}

}  // namespace ein
