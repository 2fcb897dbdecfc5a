// Helpers for the lowering, expression and interop tests: random tensors and a
// comparison with the reference.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>

#include <ein/backend/reference/naive.hpp>
#include <ein/ein.hpp>

#include "message_of.hpp"

namespace ein::test {

template <class T, std::size_t R>
Tensor<T, R> random_tensor(const Extents<R>& extents, unsigned seed) {
  Tensor<T, R> t(extents);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (index_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<T>(dist(gen));
  return t;
}

template <class T>
constexpr double tolerance() {
  return std::is_same_v<T, float> ? 2e-4 : 1e-11;
}

/// The reference einsum of `operands`, with each element's magnitude (the tolerance's scale).
template <class T, class... Ops>
reference::Result<T> reference_of(std::string_view spec, const Ops&... operands) {
  return reference::einsum_with_magnitude<T>(spec, {reference::to_array(operands)...});
}

/// Checks that `actual` equals `ref` within a tolerance scaled by the magnitude. One
/// assertion for the whole tensor, naming the first element out of tolerance: an
/// assertion per element made a 4 MiB check take minutes under the sanitizers.
template <class T, class Actual>
void check_against(const reference::Result<T>& ref, std::string_view spec, const Actual& actual) {
  const auto got = reference::to_array(actual);
  REQUIRE(got.extents == ref.value.extents);
  const T* const g = got.values.data();
  const T* const want = ref.value.values.data();
  const T* const magnitude = ref.magnitude.values.data();
  const std::size_t n = got.values.size();
  std::size_t bad = n;
  for (std::size_t i = 0; i < n && bad == n; ++i)
    if (!(std::abs(double(g[i]) - double(want[i])) <= tolerance<T>() * (1.0 + double(magnitude[i])))) bad = i;
  if (bad < n) FAIL("spec " << spec << " element " << bad << " got " << g[bad] << " want " << want[bad]);
}

/// Checks that `actual` equals the reference einsum of `operands` within a tolerance scaled by the magnitude.
template <class T, class Actual, class... Ops>
void check_against_reference(std::string_view spec, const Actual& actual, const Ops&... operands) {
  check_against<T>(reference_of<T>(spec, operands...), spec, actual);
}

}  // namespace ein::test
