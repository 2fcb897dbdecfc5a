// softmax and log_softmax of a Var along one axis, with gradients, on any device.
// Both shift by the maximum along the axis first (math/softmax.hpp), so logits of
// ±1e4 give finite values and gradients. A line holding +inf or NaN is NaN
// throughout, as in PyTorch. Layer: nn.
#pragma once

#include "ein/autodiff/var.hpp"
#include "ein/tensor/axis_split.hpp"

namespace ein {
namespace detail {

template <class T, std::size_t R, class D>
Var<T, R, D> softmax_of(const char* who, bool log, const Var<T, R, D>& v, int dim) {
  const AxisSplit s = split_at_axis(who, v.extents(), dim);
  auto rule = [s, log](NodeOf<T, R, D>& self, NodeOf<T, R, D>& in) {
    D::softmax_backward(log, s, self.grad(), self.value(), in.grad());
  };
  return record<T, R>(D::softmax(log, s, v.value()), std::move(rule), v.node());
}

}  // namespace detail

/// softmax along axis `dim` (0 <= dim < R; negative counts from the end):
/// y = exp(x - max) / sum(exp(x - max)) over each line along that axis.
/// Backward: dx = y * (dy - sum(dy * y)) along the line.
template <class T, std::size_t R, class D>
  requires(R >= 1)
Var<T, R, D> softmax(const Var<T, R, D>& v, int dim) {
  return detail::softmax_of("softmax", false, v, dim);
}

/// log_softmax along axis `dim` (0 <= dim < R; negative counts from the end):
/// y = x - max - log(sum(exp(x - max))) over each line along that axis.
/// Backward: dx = dy - exp(y) * sum(dy) along the line.
template <class T, std::size_t R, class D>
  requires(R >= 1)
Var<T, R, D> log_softmax(const Var<T, R, D>& v, int dim) {
  return detail::softmax_of("log_softmax", true, v, dim);
}

}  // namespace ein
