// Losses on Vars, each one fused node with its gradient: cross_entropy (log-softmax
// and negative log-likelihood of integer class labels) and mse_loss. Both are
// means over their elements, as PyTorch's reduction='mean'. Layer: nn.
#pragma once

#include <cmath>
#include <cstdint>
#include <initializer_list>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ein/autodiff/ops/reduce.hpp"
#include "ein/autodiff/var.hpp"
#include "ein/nn/softmax.hpp"

namespace ein {
namespace detail {

template <class T, class Label>
Var<T, 0> cross_entropy_of(const Var<T, 2>& logits, std::span<const Label> labels) {
  const index_t n = logits.extent(0), c = logits.extent(1);
  if (static_cast<index_t>(labels.size()) != n)
    throw shape_error("cross_entropy: " + std::to_string(labels.size()) + " labels for logits of extents " +
                      to_string(logits.extents()) + " (one label per row)");
  std::vector<index_t> classes(labels.size());
  for (std::size_t r = 0; r < labels.size(); ++r) {
    if (labels[r] < 0 || static_cast<index_t>(labels[r]) >= c)
      throw std::out_of_range("cross_entropy: label " + std::to_string(labels[r]) + " of row " + std::to_string(r) +
                              " is out of range for " + std::to_string(c) + " classes (logits of extents " +
                              to_string(logits.extents()) + ")");
    classes[r] = static_cast<index_t>(labels[r]);
  }
  // Per row: log(sum(exp(x))) = max + log_sum, kept for the backward (n values).
  std::vector<T> lse(static_cast<std::size_t>(n));
  const T* x = logits.value().data();
  accumulator_t<T> total = 0;
  for (index_t r = 0; r < n; ++r) {
    const auto st = line_stats(x + r * c, c, 1);
    const auto ur = static_cast<std::size_t>(r);
    lse[ur] = st.max + st.log_sum;
    total += lse[ur] - x[r * c + classes[ur]];
  }
  Tensor<T, 0> value;
  value() = static_cast<T>(total / static_cast<accumulator_t<T>>(n));
  // d/dx[r, k] = (softmax(x)[r, k] - [k == label r]) / N
  auto rule = [classes = std::move(classes), lse = std::move(lse)](TensorNode<T, 0>& self, TensorNode<T, 2>& in) {
    const index_t rows = in.value().extent(0), cols = in.value().extent(1);
    const T g = self.grad()() / static_cast<T>(rows);
    const T* xv = in.value().data();  // (not `x`: -Wshadow, the enclosing function has one)
    T* gx = in.grad().data();
    for (index_t r = 0; r < rows; ++r) {
      const auto ur = static_cast<std::size_t>(r);
      for (index_t k = 0; k < cols; ++k) gx[r * cols + k] += g * std::exp(xv[r * cols + k] - lse[ur]);
      gx[r * cols + classes[ur]] -= g;
    }
  };
  return record<T, 0>(std::move(value), std::move(rule), logits.node());
}

}  // namespace detail

/// Cross-entropy of rank-2 logits [N, C] against N class labels in [0, C): the
/// mean over rows of -log_softmax(logits, 1)[r, labels[r]], fused: the backward
/// is (softmax(logits) - onehot(labels)) / N. Labels come as a span of int or
/// int64 (a std::vector converts), a Tensor<int, 1> or a braced list.
/// Throws ein::shape_error when there are not N labels and std::out_of_range
/// when a label is outside [0, C). N = 0 gives NaN, like PyTorch.
template <class T>
Var<T, 0> cross_entropy(const Var<T, 2>& logits, std::span<const int> labels) {
  return detail::cross_entropy_of(logits, labels);
}
template <class T>
Var<T, 0> cross_entropy(const Var<T, 2>& logits, std::span<const std::int64_t> labels) {
  return detail::cross_entropy_of(logits, labels);
}
template <class T>
Var<T, 0> cross_entropy(const Var<T, 2>& logits, const Tensor<int, 1>& labels) {
  return detail::cross_entropy_of(logits, std::span<const int>(labels.data(), static_cast<std::size_t>(labels.size())));
}
template <class T>
Var<T, 0> cross_entropy(const Var<T, 2>& logits, std::initializer_list<int> labels) {
  return detail::cross_entropy_of(logits, std::span<const int>(labels.begin(), labels.size()));
}

/// Mean squared error: mean((pred - target)^2) over every element; the extents
/// must be equal (else ein::shape_error). Both sides get gradients if they need them.
template <class T, std::size_t R>
Var<T, 0> mse_loss(const Var<T, R>& pred, const Var<T, R>& target) {
  if (pred.extents() != target.extents())
    throw shape_error("mse_loss: extents " + to_string(pred.extents()) + " (prediction) and " +
                      to_string(target.extents()) + " (target) differ");
  const index_t n = pred.value().size();
  const T* p = pred.value().data();
  const T* t = target.value().data();
  detail::accumulator_t<T> total = 0;
  for (index_t k = 0; k < n; ++k) total += (p[k] - t[k]) * (p[k] - t[k]);
  Tensor<T, 0> value;
  value() = static_cast<T>(total / static_cast<detail::accumulator_t<T>>(n));
  // d/dpred = 2 (pred - target) / n = -d/dtarget
  auto rule = [](detail::TensorNode<T, 0>& self, detail::TensorNode<T, R>& np, detail::TensorNode<T, R>& nt) {
    const index_t count = np.value().size();
    const T g = T(2) * self.grad()() / static_cast<T>(count);
    const T* pv = np.value().data();  // (not `p`, `t`: -Wshadow, the enclosing function has them)
    const T* tv = nt.value().data();
    if (np.requires_grad()) {
      T* gp = np.grad().data();
      for (index_t k = 0; k < count; ++k) gp[k] += g * (pv[k] - tv[k]);
    }
    if (nt.requires_grad()) {
      T* gt = nt.grad().data();
      for (index_t k = 0; k < count; ++k) gt[k] -= g * (pv[k] - tv[k]);
    }
  };
  return detail::record<T, 0>(std::move(value), std::move(rule), pred.node(), target.node());
}
/// mse_loss against a tensor target (copied into a constant on the tape).
template <class T, std::size_t R>
Var<T, 0> mse_loss(const Var<T, R>& pred, const Tensor<T, R>& target) {
  return mse_loss(pred, constant(target));
}

}  // namespace ein
