// Gradient check of one generated einsum case (einsum_cases.hpp): random inputs,
// the einsum on Vars, a random weighting down to a scalar, then gradcheck.
// Each einsum_grad_test_N.cpp checks one part of the table.
#pragma once

#include <random>
#include <tuple>

#include <doctest/doctest.h>

#include "einsum_cases.hpp"
#include "ein/autodiff.hpp"
#include "gradcheck.hpp"

namespace ein::test {

/// Extents from a list of numbers (ext() is rank 0).
template <class... I>
Extents<sizeof...(I)> ext(I... extents) {
  return {static_cast<index_t>(extents)...};
}

/// sum(out * w) with w random (seeded by the case), so that every element of the
/// output carries a different weight into the gradient.
template <std::size_t R>
Var<double, 0> weighted_sum(const Var<double, R>& out, unsigned seed) {
  std::mt19937 gen(seed);
  return sum(out * constant(random_tensor<double>(out.extents(), gen)));
}

// Every EIN_EINSUM_CASE_STRIDE-th case is built and checked: 1 (all 311) by default;
// tools/test's sanitizer stage (EIN_HEAVY_TESTS=OFF) builds every third, a sample
// of each kind (einsum_cases.hpp lists them by kind, none of fewer than 4), as the
// cases cost 240 s of CPU to compile and run the same tape and engine code.
#ifndef EIN_EINSUM_CASE_STRIDE
#define EIN_EINSUM_CASE_STRIDE 1
#endif

/// Case `Id`: the einsum's operand k is distinct Var Map[k]; `extents` are the
/// distinct Vars' extents.
template <fixed_string S, int Id, int... Map, std::size_t... R>
void check_einsum_case(const Extents<R>&... extents) {
  if constexpr (Id % EIN_EINSUM_CASE_STRIDE == 0) {  // (in a template: a case not sampled is not instantiated)
    std::mt19937 gen(static_cast<unsigned>(1000 + Id));
    const auto seed = static_cast<unsigned>(Id);
    const auto result = gradcheck<R...>(
        [seed](const Var<double, R>&... v) {
          const auto vars = std::tie(v...);
          return weighted_sum(einsum<S>(std::get<Map>(vars)...), seed);
        },
        random_tensor<double>(extents, gen)...);
    CHECK_MESSAGE(result.ok, "case " << Id << " \"" << std::string(S.view()) << "\"\n" << result.message);
  } else {
    ((void)extents, ...);
  }
}

}  // namespace ein::test

#define EIN_UNPAREN(...) __VA_ARGS__
#define EIN_CHECK_EINSUM_CASE(ID, SPEC, MAP, ...) \
  ::ein::test::check_einsum_case<SPEC, ID, EIN_UNPAREN MAP>(__VA_ARGS__);
