// Losses on Vars of any device, each with its gradient: cross_entropy (log-softmax
// and negative log-likelihood of integer class labels, one fused node) and
// mse_loss. Both are means over their elements, as PyTorch's reduction='mean'.
// Layer: nn.
#pragma once

#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ein/autodiff/ops/arithmetic.hpp"
#include "ein/autodiff/ops/reduce.hpp"
#include "ein/autodiff/var.hpp"

namespace ein {
namespace detail {

/// Cross-entropy against labels already on the logits' device (checked, or
/// trusted where checking would need a copy back: a CUDA device's labels).
template <class T, class D>
Var<T, 0, D> cross_entropy_with(const Var<T, 2, D>& logits, typename D::labels classes) {
  Tensor<T, 1, D> lse;  // each row's log-sum-exp, for the backward
  auto value = D::cross_entropy(logits.value(), classes, lse);
  // d/dx[r, k] = (softmax(x)[r, k] - [k == label r]) / N
  auto rule = [classes = std::move(classes), lse = std::move(lse)](NodeOf<T, 0, D>& self, NodeOf<T, 2, D>& in) {
    D::cross_entropy_backward(in.value(), classes, lse, self.grad(), in.grad());
  };
  return record<T, 0>(std::move(value), std::move(rule), logits.node());
}

template <class T, class D, class Label>
Var<T, 0, D> cross_entropy_of(const Var<T, 2, D>& logits, std::span<const Label> labels) {
  check_label_count("cross_entropy", "logits", labels.size(), logits.extents());
  const index_t c = logits.extent(1);
  detail::pooled_vector<index_t> classes(labels.size());
  for (std::size_t r = 0; r < labels.size(); ++r) {
    if (labels[r] < 0 || static_cast<index_t>(labels[r]) >= c)
      throw std::out_of_range("cross_entropy: label " + std::to_string(labels[r]) + " of row " + std::to_string(r) +
                              " is out of range for " + std::to_string(c) + " classes (logits of extents " +
                              to_string(logits.extents()) + ")");
    classes[r] = static_cast<index_t>(labels[r]);
  }
  return cross_entropy_with(logits, D::labels_from_host(std::move(classes), logits.value()));
}

}  // namespace detail

/// Cross-entropy of rank-2 logits [N, C] against N class labels in [0, C): the
/// mean over rows of -log_softmax(logits, 1)[r, labels[r]], fused: the backward
/// is (softmax(logits) - onehot(labels)) / N. Labels come from the host as a span
/// of int or int64 (a std::vector converts), a Tensor<int, 1> or a braced list,
/// whatever the logits' device. Throws ein::shape_error when there are not N
/// labels and std::out_of_range when a label is outside [0, C). N = 0 gives NaN,
/// like PyTorch.
template <class T, class D>
Var<T, 0, D> cross_entropy(const Var<T, 2, D>& logits, std::span<const int> labels) {
  return detail::cross_entropy_of(logits, labels);
}
template <class T, class D>
Var<T, 0, D> cross_entropy(const Var<T, 2, D>& logits, std::span<const std::int64_t> labels) {
  return detail::cross_entropy_of(logits, labels);
}
template <class T, class D>
Var<T, 0, D> cross_entropy(const Var<T, 2, D>& logits, const Tensor<int, 1>& labels) {
  return detail::cross_entropy_of(logits, std::span<const int>(labels.data(), static_cast<std::size_t>(labels.size())));
}
template <class T, class D>
Var<T, 0, D> cross_entropy(const Var<T, 2, D>& logits, std::initializer_list<int> labels) {
  return detail::cross_entropy_of(logits, std::span<const int>(labels.begin(), labels.size()));
}

/// Mean squared error: mean((pred - target)^2) over every element; the extents
/// must be equal (else ein::shape_error). Both sides get gradients if they need them.
template <class T, std::size_t R, class D>
Var<T, 0, D> mse_loss(const Var<T, R, D>& pred, const Var<T, R, D>& target) {
  if (pred.extents() != target.extents())
    throw shape_error("mse_loss: extents " + to_string(pred.extents()) + " (prediction) and " +
                      to_string(target.extents()) + " (target) differ");
  const auto d = pred - target;
  return mean(d * d);
}
/// mse_loss against a host tensor target (copied to the prediction's device, a
/// constant on the tape).
template <class T, std::size_t R, class D>
Var<T, 0, D> mse_loss(const Var<T, R, D>& pred, const Tensor<T, R>& target) {
  return mse_loss(pred, constant(D::from_host(target)));
}
/// mse_loss against a tensor target already on the prediction's (other) device.
template <class T, std::size_t R, class D>
  requires(!std::is_same_v<D, Host>)
Var<T, 0, D> mse_loss(const Var<T, R, D>& pred, const Tensor<T, R, D>& target) {
  if constexpr (std::is_copy_constructible_v<Tensor<T, R, D>>) return mse_loss(pred, constant(target));
  else return mse_loss(pred, constant(target.clone()));
}

}  // namespace ein
