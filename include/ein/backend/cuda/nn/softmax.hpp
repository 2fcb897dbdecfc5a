// softmax and log_softmax of an ein::cuda::Var along one axis, with gradients:
// the rules of include/ein/nn/softmax.hpp (shift by the line's maximum first),
// one device thread per line. Layer: backend (cuda), nn.
#pragma once

#include "ein/backend/cuda/autodiff/var.hpp"
#include "ein/nn/softmax.hpp"

namespace ein::cuda {
namespace detail {

template <class T, std::size_t R>
Var<T, R> softmax_of(const char* who, bool log, const Var<T, R>& v, int dim) {
  const ein::detail::AxisSplit s = ein::detail::split_at_axis(who, v.extents(), dim);
  Context& ctx = v.context();
  Tensor<T, R> value(v.extents(), ctx);
  kernels::softmax_forward(ctx.stream(), log, s.outer, s.n, s.inner, v.value().data(), value.data());
  auto rule = [s, log](DeviceNode<T, R>& self, DeviceNode<T, R>& in) {
    kernels::softmax_backward(self.stream(), log, s.outer, s.n, s.inner, self.grad().data(), self.value().data(),
                              in.grad().data());
  };
  return record<T, R>(std::move(value), std::move(rule), v.node());
}

}  // namespace detail

/// softmax along axis `dim` (negative counts from the end): exp(x - max) / sum(exp(x - max)).
/// Backward: dx = y * (dy - sum(dy * y)) along the line.
template <class T, std::size_t R>
  requires(R >= 1)
Var<T, R> softmax(const Var<T, R>& v, int dim) {
  return detail::softmax_of("softmax", false, v, dim);
}

/// log_softmax along axis `dim`: x - max - log(sum(exp(x - max))).
/// Backward: dx = dy - exp(y) * sum(dy) along the line.
template <class T, std::size_t R>
  requires(R >= 1)
Var<T, R> log_softmax(const Var<T, R>& v, int dim) {
  return detail::softmax_of("log_softmax", true, v, dim);
}

}  // namespace ein::cuda
