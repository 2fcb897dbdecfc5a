// The per-line math of softmax, log_softmax and cross-entropy, as inline
// functions that g++ compiles for the host device and nvcc for the CUDA kernels,
// so both run the same formulas in the same order. Layer: math.
#pragma once

#include <cstdint>

#include "ein/math/element.hpp"

namespace ein::math {

/// max and log(sum(exp(x - max))) along a line.
template <class T>
struct LineStats {
  T max;
  T log_sum;
};

/// The LineStats of n elements `stride` apart. A line of -inf (or no elements)
/// would give -inf - -inf = NaN: it shifts by 0 instead (softmax is then still
/// NaN, from 0 / 0, as PyTorch's). A +inf keeps its shift: inf - inf makes the
/// whole line NaN, as PyTorch's softmax, log_softmax and cross_entropy of [inf, 0, 0].
template <class T>
EIN_HOST_DEVICE inline LineStats<T> line_stats(const T* x, std::int64_t n, std::int64_t stride) {
  const T infinity = T(1) / T(0);
  T m = -infinity;
  for (std::int64_t k = 0; k < n; ++k) {
    const T v = x[k * stride];
    m = m < v ? v : m;  // std::max(m, v): a NaN v is skipped
  }
  if (m == -infinity) m = T(0);
  T s = 0;
  for (std::int64_t k = 0; k < n; ++k) s += exp_of(x[k * stride] - m);
  return {m, log_of(s)};
}

/// softmax's dx = y (dy - dot), with dot = sum(dy * y) along the line.
template <class T>
EIN_HOST_DEVICE inline T softmax_partial(T g, T y, T dot) {
  return y * (g - dot);
}
/// log_softmax's dx = dy - exp(y) total, with total = sum(dy) along the line.
template <class T>
EIN_HOST_DEVICE inline T log_softmax_partial(T g, T y, T total) {
  return g - exp_of(y) * total;
}
/// cross_entropy's rule on one element of the logits' gradient gx: adds
/// g_mean * softmax(x)[r, k], then takes g_mean away at the label. `g_mean` is the
/// loss's gradient over the N rows, `lse` the row's max + log_sum.
template <class T>
EIN_HOST_DEVICE inline T cross_entropy_accumulate(T gx, T x, T lse, T g_mean, bool at_label) {
  gx += g_mean * exp_of(x - lse);
  if (at_label) gx -= g_mean;
  return gx;
}

}  // namespace ein::math
