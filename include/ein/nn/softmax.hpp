// softmax and log_softmax of a Var along one axis, with gradients. Both shift
// by the maximum along the axis first, so logits of ±1e4 give finite values and
// gradients. A line holding +inf or NaN is NaN throughout, as in PyTorch.
// Layer: nn.
#pragma once

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>

#include "ein/autodiff/var.hpp"

namespace ein {
namespace detail {

/// A tensor seen as [outer, n, inner] around one axis: element (o, k, i) sits at
/// (o * n + k) * inner + i.
struct AxisSplit {
  index_t outer = 1, n = 1, inner = 1;

  /// f(first, stride): once per line along the axis, its first element and step.
  template <class F>
  void for_each_line(F&& f) const {
    for (index_t o = 0; o < outer; ++o)
      for (index_t i = 0; i < inner; ++i) f(o * n * inner + i, inner);
  }
};

/// Checks `dim` (negative counts from the end, like PyTorch) and splits there.
template <std::size_t R>
AxisSplit split_at_axis(const char* who, const Extents<R>& extents, int dim) {
  const int rank = static_cast<int>(R);
  if (dim < -rank || dim >= rank)
    throw shape_error(std::string(who) + ": dim " + std::to_string(dim) + " is out of range for extents " +
                      to_string(extents));
  const auto axis = static_cast<std::size_t>(dim < 0 ? dim + rank : dim);
  AxisSplit s;
  for (std::size_t d = 0; d < R; ++d) {
    if (d < axis) s.outer *= extents[d];
    else if (d == axis) s.n = extents[d];
    else s.inner *= extents[d];
  }
  return s;
}

/// max and log(sum(exp(x - max))) along one line.
template <class T>
struct LineStats {
  T max;
  T log_sum;
};
template <class T>
LineStats<T> line_stats(const T* x, index_t n, index_t stride) {
  T m = -std::numeric_limits<T>::infinity();
  for (index_t k = 0; k < n; ++k) m = std::max(m, x[k * stride]);
  // A line of -inf (or no elements) would give -inf - -inf = NaN: shift by 0
  // instead (softmax is then still NaN, from 0 / 0, as PyTorch's). A +inf keeps
  // its shift: inf - inf makes the whole line NaN, as PyTorch's softmax,
  // log_softmax and cross_entropy of [inf, 0, 0] (a shift by 0 gave [nan, 0, 0]).
  if (m == -std::numeric_limits<T>::infinity()) m = T(0);
  T s = 0;
  for (index_t k = 0; k < n; ++k) s += std::exp(x[k * stride] - m);
  return {m, std::log(s)};
}

}  // namespace detail

/// softmax along axis `dim` (0 <= dim < R; negative counts from the end):
/// y = exp(x - max) / sum(exp(x - max)) over each line along that axis.
/// Backward: dx = y * (dy - sum(dy * y)) along the line.
template <class T, std::size_t R>
  requires(R >= 1)
Var<T, R> softmax(const Var<T, R>& v, int dim) {
  const detail::AxisSplit s = detail::split_at_axis("softmax", v.extents(), dim);
  Tensor<T, R> value(v.extents());
  const T* x = v.value().data();
  T* y = value.data();
  s.for_each_line([&](index_t first, index_t stride) {
    const auto st = detail::line_stats(x + first, s.n, stride);
    for (index_t k = 0; k < s.n; ++k) {
      const index_t at = first + k * stride;
      y[at] = std::exp(x[at] - st.max - st.log_sum);
    }
  });
  auto rule = [s](detail::TensorNode<T, R>& self, detail::TensorNode<T, R>& in) {
    const T* g = self.grad().data();
    const T* yv = self.value().data();  // (not `y`: -Wshadow, the enclosing function has one)
    T* gx = in.grad().data();
    s.for_each_line([&](index_t first, index_t stride) {
      T dot = 0;
      for (index_t k = 0; k < s.n; ++k) dot += g[first + k * stride] * yv[first + k * stride];
      for (index_t k = 0; k < s.n; ++k) {
        const index_t at = first + k * stride;
        gx[at] += yv[at] * (g[at] - dot);
      }
    });
  };
  return detail::record<T, R>(std::move(value), std::move(rule), v.node());
}

/// log_softmax along axis `dim` (0 <= dim < R; negative counts from the end):
/// y = x - max - log(sum(exp(x - max))) over each line along that axis.
/// Backward: dx = dy - exp(y) * sum(dy) along the line.
template <class T, std::size_t R>
  requires(R >= 1)
Var<T, R> log_softmax(const Var<T, R>& v, int dim) {
  const detail::AxisSplit s = detail::split_at_axis("log_softmax", v.extents(), dim);
  Tensor<T, R> value(v.extents());
  const T* x = v.value().data();
  T* y = value.data();
  s.for_each_line([&](index_t first, index_t stride) {
    const auto st = detail::line_stats(x + first, s.n, stride);
    for (index_t k = 0; k < s.n; ++k) {
      const index_t at = first + k * stride;
      y[at] = x[at] - st.max - st.log_sum;
    }
  });
  auto rule = [s](detail::TensorNode<T, R>& self, detail::TensorNode<T, R>& in) {
    const T* g = self.grad().data();
    const T* yv = self.value().data();  // (not `y`: -Wshadow)
    T* gx = in.grad().data();
    s.for_each_line([&](index_t first, index_t stride) {
      T total = 0;
      for (index_t k = 0; k < s.n; ++k) total += g[first + k * stride];
      for (index_t k = 0; k < s.n; ++k) {
        const index_t at = first + k * stride;
        gx[at] += g[at] - std::exp(yv[at]) * total;
      }
    });
  };
  return detail::record<T, R>(std::move(value), std::move(rule), v.node());
}

}  // namespace ein
