// Losses on ein::cuda::Vars: cross_entropy (log-softmax and negative
// log-likelihood of class labels held on the device, one fused node) and
// mse_loss. Means over their elements, as include/ein/nn/loss.hpp.
// Layer: backend (cuda), nn.
#pragma once

#include <span>
#include <string>

#include "ein/backend/cuda/autodiff/buffer.hpp"
#include "ein/backend/cuda/autodiff/ops.hpp"
#include "ein/backend/cuda/autodiff/var.hpp"

namespace ein::cuda {

/// Cross-entropy of logits [N, C] against N device labels in [0, C): the mean
/// over rows of -log_softmax(logits, 1)[r, labels[r]]; the backward is
/// (softmax(logits) - onehot(labels)) / N. The labels are copied on the device
/// (the graph keeps its own). Checking labels would need a copy to the host, so
/// a label outside [0, C) is not thrown for: it makes the loss NaN (the
/// overloads taking host labels check them). Throws ein::shape_error when
/// there are not N labels; N = 0 gives NaN, like PyTorch.
template <class T>
Var<T, 0> cross_entropy(const Var<T, 2>& logits, const Labels& labels) {
  const index_t n = logits.extent(0), c = logits.extent(1);
  if (labels.size() != n)
    throw shape_error("cross_entropy: " + std::to_string(labels.size()) + " labels for logits of extents " +
                      ein::to_string(logits.extents()) + " (one label per row)");
  Context& ctx = logits.context();
  Labels classes(n, ctx);
  if (n > 0)
    EIN_CUDA_CHECK(cudaMemcpyAsync(classes.data(), labels.data(), static_cast<std::size_t>(n) * sizeof(int),
                                   cudaMemcpyDeviceToDevice, ctx.stream()));
  Tensor<T, 1> lse(Extents<1>{n}, ctx), rows(Extents<1>{n}, ctx);
  Tensor<T, 0> value(Extents<0>{}, ctx);
  kernels::cross_entropy_forward(ctx.stream(), n, c, logits.value().data(), classes.data(), lse.data(), rows.data(),
                                 value.data());
  auto rule = [classes = std::move(classes), lse = std::move(lse)](detail::DeviceNode<T, 0>& self,
                                                                  detail::DeviceNode<T, 2>& in) {
    kernels::cross_entropy_backward(self.stream(), in.value().extent(0), in.value().extent(1), in.value().data(),
                                    classes.data(), lse.data(), self.grad().data(), in.grad().data());
  };
  return detail::record<T, 0>(std::move(value), std::move(rule), logits.node());
}

/// Cross-entropy against host labels: checked as the CPU checks them
/// (std::out_of_range for a label outside [0, C)), then copied to the device.
template <class T>
Var<T, 0> cross_entropy(const Var<T, 2>& logits, std::span<const int> labels) {
  const index_t c = logits.extent(1);
  for (std::size_t r = 0; r < labels.size(); ++r)
    if (labels[r] < 0 || labels[r] >= c)
      throw std::out_of_range("cross_entropy: label " + std::to_string(labels[r]) + " of row " + std::to_string(r) +
                              " is out of range for " + std::to_string(c) + " classes (logits of extents " +
                              ein::to_string(logits.extents()) + ")");
  return cross_entropy(logits, Labels::from_host(labels, logits.context()));
}

/// Mean squared error: mean((pred - target)^2); the extents must be equal.
template <class T, std::size_t R>
Var<T, 0> mse_loss(const Var<T, R>& pred, const Var<T, R>& target) {
  if (pred.extents() != target.extents())
    throw shape_error("mse_loss: extents " + ein::to_string(pred.extents()) + " (prediction) and " +
                      ein::to_string(target.extents()) + " (target) differ");
  const auto d = pred - target;
  return mean(d * d);
}

}  // namespace ein::cuda
