// Element-wise functions of one Var with gradients: exp, log, sqrt, abs, tanh,
// sigmoid, relu, pow(v, scalar). Each rule uses the input's value and the
// node's own, nothing saved. Layer: autodiff.
//
// Derivatives follow PyTorch where a function has a kink or a pole:
//   abs'(0) = 0, relu'(0) = 0, sqrt'(0) = inf, log'(0) = inf, pow(x, 0)' = 0.
#pragma once

#include <cmath>

#include "ein/autodiff/ops/arithmetic.hpp"

namespace ein {

/// e^v element by element; d/dx = e^x (the result itself).
template <class T, std::size_t R>
Var<T, R> exp(const Var<T, R>& v) {
  return detail::unary(v, [](T x) { return std::exp(x); }, [](T, T z) { return z; });
}

/// ln v element by element; d/dx = 1 / x.
template <class T, std::size_t R>
Var<T, R> log(const Var<T, R>& v) {
  return detail::unary(v, [](T x) { return std::log(x); }, [](T x, T) { return T(1) / x; });
}

/// sqrt v element by element; d/dx = 1 / (2 sqrt x).
template <class T, std::size_t R>
Var<T, R> sqrt(const Var<T, R>& v) {
  return detail::unary(v, [](T x) { return std::sqrt(x); }, [](T, T z) { return T(0.5) / z; });
}

/// |v| element by element; d/dx = sign x (0 at 0).
template <class T, std::size_t R>
Var<T, R> abs(const Var<T, R>& v) {
  return detail::unary(v, [](T x) { return std::abs(x); }, [](T x, T) { return T((x > T(0)) - (x < T(0))); });
}

/// tanh v element by element; d/dx = 1 - tanh² x.
template <class T, std::size_t R>
Var<T, R> tanh(const Var<T, R>& v) {
  return detail::unary(v, [](T x) { return std::tanh(x); }, [](T, T z) { return T(1) - z * z; });
}

/// 1 / (1 + e^-v) element by element, without overflow for large |v|;
/// d/dx = s (1 - s).
template <class T, std::size_t R>
Var<T, R> sigmoid(const Var<T, R>& v) {
  return detail::unary(
      v,
      [](T x) {
        if (x >= T(0)) return T(1) / (T(1) + std::exp(-x));
        const T e = std::exp(x);
        return e / (T(1) + e);
      },
      [](T, T z) { return z * (T(1) - z); });
}

/// max(v, 0) element by element (NaN stays NaN); d/dx = 1 where x > 0, else 0.
template <class T, std::size_t R>
Var<T, R> relu(const Var<T, R>& v) {
  return detail::unary(v, [](T x) { return x < T(0) ? T(0) : x; }, [](T, T z) { return T(z > T(0)); });
}

/// v^p element by element, one exponent for all; d/dx = p x^(p-1) (0 when p = 0).
template <class T, std::size_t R>
Var<T, R> pow(const Var<T, R>& v, std::type_identity_t<T> p) {
  return detail::unary(
      v, [p](T x) { return std::pow(x, p); },
      [p](T x, T) { return p == T(0) ? T(0) : p * std::pow(x, p - T(1)); });
}

}  // namespace ein
