// Whole-tensor reductions of a Var to rank 0 with gradients: sum and mean.
// Sums over some axes are einsums ("ij->i"), not here. Layer: autodiff.
#pragma once

#include <limits>
#include <type_traits>

#include "ein/autodiff/var.hpp"

namespace ein {
namespace detail {

/// float sums accumulate in double; wider types in themselves.
template <class T>
using accumulator_t = std::conditional_t<std::is_same_v<T, float>, double, T>;

template <class T, std::size_t R>
T sum_of(const Tensor<T, R>& t) {
  accumulator_t<T> s{};
  const T* x = t.data();
  for (index_t k = 0, n = t.size(); k < n; ++k) s += x[k];
  return static_cast<T>(s);
}

/// Every element's gradient grows by `scale` times the result's.
template <class T, std::size_t R>
Var<T, 0> scaled_sum(const Var<T, R>& v, T scale) {
  Tensor<T, 0> value;
  value() = sum_of(v.value()) * scale;
  auto rule = [scale](TensorNode<T, 0>& self, TensorNode<T, R>& in) {
    const T g = self.grad()() * scale;
    T* gx = in.grad().data();
    for (index_t k = 0, n = in.value().size(); k < n; ++k) gx[k] += g;
  };
  return record<T, 0>(std::move(value), std::move(rule), v.node());
}

}  // namespace detail

/// The sum of every element, as a rank-0 Var (0 for no elements).
template <class T, std::size_t R>
Var<T, 0> sum(const Var<T, R>& v) {
  return detail::scaled_sum(v, T(1));
}

/// The mean of every element, as a rank-0 Var (NaN for no elements, like PyTorch).
template <class T, std::size_t R>
Var<T, 0> mean(const Var<T, R>& v) {
  const index_t n = v.value().size();
  if (n == 0) return detail::scaled_sum(v, std::numeric_limits<T>::quiet_NaN());
  return detail::scaled_sum(v, T(1) / static_cast<T>(n));
}

}  // namespace ein
