// The gradient of one einsum operand on any Backend of the lowering: the
// derived gradient spec (spec/derive.hpp) run by ein::detail::execute_on with
// beta = 1, straight into the operand's gradient. The same steps as the CPU's
// ein::detail::accumulate_gradient, which runs on HostBackend only; this one
// reads no element on the host, so it runs on DeviceBackend. No CUDA here.
// Layer: backend (cuda), autodiff.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "ein/expr/execute.hpp"
#include "ein/spec/derive.hpp"

namespace ein::cuda::detail {

/// grad_k += the gradient of operand k of `forward` (spec `gradient` =
/// derive_gradient(forward, k)) on `be`. `values` are every operand (Strided,
/// forward labels), `seed` the output's gradient (output labels).
template <class T, class Backend>
void accumulate_gradient_on(Backend& be, const BoundSpec& forward, const BoundSpec& gradient, std::string_view text,
                            int k, const ein::detail::Strided<const T>* values,
                            const ein::detail::Strided<const T>& seed, const ein::detail::Strided<T>& grad_k) {
  std::array<ein::detail::Strided<const T>, max_operands> ops{};
  // Term 0: the output's gradient, plus each label of operand k that nothing else
  // supplies at its full extent, as a broadcast (stride 0) axis: labels summed
  // within operand k, and labels every other operand has at extent 1.
  ein::detail::Strided<const T> g = seed;
  const ein::detail::Strided<const T>& xk = values[k];
  for (int d = 0; d < xk.rank; ++d) {
    const int label = xk.labels[d];
    if (g.axis_of(label) >= 0 || xk.extents[d] == 1) continue;
    bool supplied = false;
    for (int j = 0; j < forward.num_inputs && !supplied; ++j) {
      if (j == k) continue;
      const int axis = values[j].axis_of(label);
      supplied = axis >= 0 && values[j].extents[axis] != 1;
    }
    if (supplied) continue;
    if (g.rank == max_rank) throw shape_error("einsum \"" + std::string(text) + "\": gradient needs too many axes");
    g.labels[g.rank] = static_cast<unsigned char>(label);
    g.extents[g.rank] = xk.extents[d];
    g.strides[g.rank++] = 0;
  }
  ops[0] = g;
  int n = 1;
  for (int j = 0; j < forward.num_inputs; ++j)
    if (j != k) ops[n++] = values[j];
  ein::detail::execute_on<T>(be, gradient, text, ops.data(), n, grad_k, T(1), T(1));
}

/// A dense row-major array (device or host memory) labelled with a term.
template <class T, std::size_t R>
ein::detail::Strided<T> labelled_dense(T* data, const Extents<R>& extents, const BoundTerm& term) {
  ein::detail::Strided<T> s;
  s.data = data;
  s.rank = static_cast<int>(R);
  const auto strides = row_major_strides(extents);
  for (std::size_t d = 0; d < R; ++d) {
    s.labels[d] = term.labels[d];
    s.extents[d] = extents[d];
    s.strides[d] = strides[d];
  }
  return s;
}

}  // namespace ein::cuda::detail
