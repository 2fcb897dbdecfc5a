// Test support for the autodiff tests: gradcheck (every gradient of a scalar
// function of Vars against central differences in double, with PyTorch's
// gradcheck tolerances) and seeded random tensors. The Vars are those of the
// device under test (ein::test::Var, device_under_test.hpp).
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <tuple>
#include <type_traits>
#include <utility>

#include <doctest/doctest.h>

#include "device_under_test.hpp"
#include "ein/autodiff/var.hpp"

namespace ein::test {

/// PyTorch's torch.autograd.gradcheck defaults.
struct GradcheckTolerances {
  double eps = 1e-6;
  double atol = 1e-5;
  double rtol = 1e-3;
};

struct GradcheckResult {
  bool ok = true;
  std::string message;
};

/// Checks d f / d input for every element of every input: the analytic gradient
/// (one backward from f(param(inputs)...)) against (f(x + eps) - f(x - eps)) / 2 eps,
/// passing when |analytic - numeric| <= atol + rtol |numeric| (torch.allclose).
template <std::size_t... R>
GradcheckResult gradcheck(GradcheckTolerances tol,
                          std::type_identity_t<std::function<Var<double, 0>(const Var<double, R>&...)>> f,
                          const Tensor<double, R>&... inputs) {
  GradcheckResult result;
  std::tuple<Var<double, R>...> vars{ein::test::param(inputs)...};
  {
    const Var<double, 0> loss = std::apply(f, vars);
    // A plain backward, which frees the graph as it goes (oldest node first: each is
    // still held by its consumers while it is released), so that every gradient
    // check also runs that path under the sanitizers.
    if (loss.requires_grad()) loss.backward();
  }
  int failures = 0;
  const auto check_input = [&]<std::size_t K>(std::integral_constant<std::size_t, K>) {
    auto& v = std::get<K>(vars);
    const auto analytic = v.grad();  // a copy: the evaluations below must not touch it
    auto& x = v.mutable_value();
    const auto value_at = [&](double at, index_t e) {
      x.data()[e] = at;
      no_grad guard;
      return std::apply(f, vars).value()();
    };
    for (index_t e = 0; e < x.size(); ++e) {
      const double original = x.data()[e];
      const double numeric = (value_at(original + tol.eps, e) - value_at(original - tol.eps, e)) / (2 * tol.eps);
      x.data()[e] = original;
      const double a = analytic.data()[e];
      if (std::abs(a - numeric) <= tol.atol + tol.rtol * std::abs(numeric)) continue;
      result.ok = false;
      if (++failures <= 5)
        result.message += "input " + std::to_string(K) + " " + to_string(x.extents()) + " element " +
                          std::to_string(e) + ": analytic " + std::to_string(a) + ", numeric " +
                          std::to_string(numeric) + "\n";
    }
  };
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (check_input(std::integral_constant<std::size_t, K>{}), ...);
  }(std::make_index_sequence<sizeof...(R)>{});
  if (failures > 5) result.message += "... " + std::to_string(failures - 5) + " more\n";
  return result;
}

template <std::size_t... R>
GradcheckResult gradcheck(std::type_identity_t<std::function<Var<double, 0>(const Var<double, R>&...)>> f,
                          const Tensor<double, R>&... inputs) {
  return gradcheck<R...>(GradcheckTolerances{}, std::move(f), inputs...);
}

/// A tensor of the given extents, uniform in [low, high), from `gen`.
template <class T, std::size_t R>
Tensor<T, R> random_tensor(const Extents<R>& extents, std::mt19937& gen, double low = -1.0, double high = 1.0) {
  Tensor<T, R> t(extents);
  std::uniform_real_distribution<double> dist(low, high);
  for (index_t k = 0; k < t.size(); ++k) t.data()[k] = static_cast<T>(dist(gen));
  return t;
}

/// Uniform in [low, high) with its magnitude at least `gap` (away from kinks and poles).
template <class T, std::size_t R>
Tensor<T, R> random_away_from_zero(const Extents<R>& extents, std::mt19937& gen, double gap = 0.1,
                                   double high = 1.0) {
  Tensor<T, R> t(extents);
  std::uniform_real_distribution<double> dist(gap, high);
  std::bernoulli_distribution sign(0.5);
  for (index_t k = 0; k < t.size(); ++k) t.data()[k] = static_cast<T>(sign(gen) ? dist(gen) : -dist(gen));
  return t;
}

}  // namespace ein::test

/// CHECK that gradcheck(...) passes, printing the worst elements when it does not.
#define EIN_CHECK_GRADIENTS(...)                                 \
  do {                                                           \
    const auto ein_gradcheck = ::ein::test::gradcheck(__VA_ARGS__); \
    CHECK_MESSAGE(ein_gradcheck.ok, ein_gradcheck.message);      \
  } while (0)
