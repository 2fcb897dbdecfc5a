// ein::cross_entropy of CUDA logits against labels already on the device: not checked
// (a label outside [0, C) makes the loss NaN: checking would need a copy to the
// host), copied on the device so the graph keeps its own. Host labels go through
// ein::cross_entropy, checked, on every device. Layer: backend (cuda), nn.
#pragma once

#include <string>

#include "ein/backend/cuda/autodiff/buffer.hpp"
#include "ein/backend/cuda/autodiff/var.hpp"
#include "ein/nn/loss.hpp"

namespace ein {

/// Cross-entropy of logits [N, C] against N device labels in [0, C): the mean over
/// rows of -log_softmax(logits, 1)[r, labels[r]]; the backward is
/// (softmax(logits) - onehot(labels)) / N. Throws ein::shape_error when there are
/// not N labels; N = 0 gives NaN, like PyTorch.
template <class T>
cuda::Var<T, 0> cross_entropy(const cuda::Var<T, 2>& logits, const cuda::Labels& labels) {
  detail::check_label_count("cross_entropy", "logits", static_cast<std::size_t>(labels.size()), logits.extents());
  cuda::Context& ctx = logits.context();
  const index_t n = labels.size();
  cuda::Labels classes(n, ctx);
  if (n > 0)
    EIN_CUDA_CHECK(cudaMemcpyAsync(classes.data(), labels.data(), static_cast<std::size_t>(n) * sizeof(int),
                                   cudaMemcpyDeviceToDevice, ctx.stream()));
  return detail::cross_entropy_with(logits, std::move(classes));
}

namespace cuda {
using ein::cross_entropy;  // (the spelling ein::cuda::cross_entropy, as before)
}

}  // namespace ein
