// The gradient step of one einsum operand on any Backend of the lowering (the
// host's, a device's): the derived gradient spec (spec/derive.hpp) run by
// execute_on with beta = 1, straight into the operand's gradient. Reads no
// element on the host. Layer: autodiff.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "ein/expr/execute.hpp"
#include "ein/spec/derive.hpp"

namespace ein::detail {

/// Accumulates the gradient of operand k of `forward` into `grad_k`.
/// `values` are every operand's value (Strided, forward labels); `seed` the output's gradient.
template <class T, class Backend>
void accumulate_gradient_on(Backend& be, const BoundSpec& forward, const BoundSpec& gradient, std::string_view text,
                            int k, const Strided<const T>* values, const Strided<const T>& seed,
                            const Strided<T>& grad_k) {
  std::array<Strided<const T>, max_operands> ops{};
  // Term 0: the output's gradient, plus each label of operand k that nothing else supplies at its full
  // extent, as a broadcast (stride 0) axis: labels summed within operand k (known at compile time, in
  // gradient.inputs[0]) and labels that every other operand has at extent 1 (known only now).
  Strided<const T> g = seed;
  const Strided<const T>& xk = values[k];
  for (std::size_t d = 0; d < ix(xk.rank); ++d) {
    const int label = xk.labels[d];
    if (g.axis_of(label) >= 0 || xk.extents[d] == 1) continue;
    bool supplied = false;
    for (int j = 0; j < forward.num_inputs && !supplied; ++j) {
      if (j == k) continue;
      const int axis = values[j].axis_of(label);
      supplied = axis >= 0 && values[j].extents[ix(axis)] != 1;
    }
    if (supplied) continue;
    if (g.rank == max_rank) throw shape_error(error_prefix(text) + "gradient needs too many axes");
    g.labels[ix(g.rank)] = static_cast<unsigned char>(label);
    g.extents[ix(g.rank)] = xk.extents[d];
    g.strides[ix(g.rank++)] = 0;
  }
  ops[0] = g;
  int n = 1;
  for (int j = 0; j < forward.num_inputs; ++j)
    if (j != k) ops[ix(n++)] = values[j];
  execute_on<T>(be, gradient, text, ops.data(), n, grad_k, T(1), T(1));
}

}  // namespace ein::detail
