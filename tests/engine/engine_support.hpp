// Helpers for engine tests: random tensors and a comparison with the reference.
#pragma once

#include <doctest/doctest.h>

#include <cmath>
#include <random>
#include <string>

#include <ein/backend/reference/naive.hpp>
#include <ein/ein.hpp>

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

/// Checks that `actual` equals the reference einsum of `operands` within a tolerance scaled by the magnitude.
template <class T, class Actual, class... Ops>
void check_against_reference(std::string_view spec, const Actual& actual, const Ops&... operands) {
  const auto ref = reference::einsum_with_magnitude<T>(spec, {reference::to_array(operands)...});
  const auto got = reference::to_array(actual);
  REQUIRE(got.extents == ref.value.extents);
  for (std::size_t i = 0; i < got.values.size(); ++i) {
    const double err = std::abs(double(got.values[i]) - double(ref.value.values[i]));
    const double scale = 1.0 + double(ref.magnitude.values[i]);
    INFO("spec " << spec << " element " << i << " got " << got.values[i] << " want " << ref.value.values[i]);
    REQUIRE(err <= tolerance<T>() * scale);
  }
}

/// What `call` throws (its what()), or "(no exception)".
inline std::string message_of(const auto& call) {
  try {
    call();
  } catch (const std::exception& e) {
    return e.what();
  }
  return "(no exception)";
}

}  // namespace ein::test
