// Whole-tensor reductions of a Var to rank 0 with gradients, on any device: sum
// and mean. Sums over some axes are einsums ("ij->i"), not here. Layer: autodiff.
#pragma once

#include <limits>

#include "ein/autodiff/var.hpp"

namespace ein {
namespace detail {

/// scale * sum(v); every element's gradient grows by `scale` times the result's.
template <class T, std::size_t R, class D>
Var<T, 0, D> scaled_sum(const Var<T, R, D>& v, T scale) {
  auto rule = [scale](NodeOf<T, 0, D>& self, NodeOf<T, R, D>& in) {
    D::scaled_sum_backward(self.grad(), scale, in.grad());
  };
  return record<T, 0>(D::scaled_sum(v.value(), scale), std::move(rule), v.node());
}

}  // namespace detail

/// The sum of every element, as a rank-0 Var (0 for no elements).
template <class T, std::size_t R, class D>
Var<T, 0, D> sum(const Var<T, R, D>& v) {
  return detail::scaled_sum(v, T(1));
}

/// The mean of every element, as a rank-0 Var (NaN for no elements, like PyTorch).
template <class T, std::size_t R, class D>
Var<T, 0, D> mean(const Var<T, R, D>& v) {
  const index_t n = v.value().size();
  if (n == 0) return detail::scaled_sum(v, std::numeric_limits<T>::quiet_NaN());
  return detail::scaled_sum(v, T(1) / static_cast<T>(n));
}

}  // namespace ein
