// Helpers shared by the element-wise tests: filled tensors, a hand-loop oracle,
// and a closeness check.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <cstddef>
#include <random>

#include "ein/expr/elementwise.hpp"

namespace ein_test {

using ein::index_t;

/// Values in [lo, hi), reproducible per seed.
template <class T, std::size_t R>
ein::Tensor<T, R> random_tensor(const ein::Extents<R>& extents, unsigned seed, double lo = -2.0, double hi = 2.0) {
  ein::Tensor<T, R> t(extents);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(lo, hi);
  for (index_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<T>(dist(gen));
  return t;
}

/// out(i...) = f(i...) at every multi-index: the oracle, a plain loop.
template <class T, std::size_t R, class F>
ein::Tensor<T, R> hand_loop(const ein::Extents<R>& extents, F f) {
  ein::Tensor<T, R> out(extents);
  ein::detail::for_each_index(extents, [&](const std::array<index_t, R>& at) {
    index_t offset = 0;
    for (std::size_t d = 0; d < R; ++d) offset = offset * extents[d] + at[d];
    out.data()[offset] = f(at);
  });
  return out;
}

/// Element at a multi-index of a view (any strides).
template <class T, std::size_t R>
T at(const ein::TensorView<T, R>& v, const std::array<index_t, R>& idx) {
  index_t offset = 0;
  for (std::size_t d = 0; d < R; ++d) offset += idx[d] * v.stride(d);
  return v.data()[offset];
}
template <class T, std::size_t R>
T at(const ein::Tensor<T, R>& t, const std::array<index_t, R>& idx) {
  return at(t.view(), idx);
}

template <class T>
double tolerance() {
  return sizeof(T) == 4 ? 1e-5 : 1e-12;
}

template <class T, std::size_t R>
void check_close(const ein::Tensor<T, R>& actual, const ein::Tensor<T, R>& expected) {
  REQUIRE(actual.extents() == expected.extents());
  for (index_t i = 0; i < actual.size(); ++i) {
    const T a = actual.data()[i], e = expected.data()[i];
    if (std::isnan(e)) {
      CHECK(std::isnan(a));
    } else {
      INFO("element " << i << ": " << a << " vs " << e);
      CHECK(a == doctest::Approx(e).epsilon(tolerance<T>()));
    }
  }
}

}  // namespace ein_test
