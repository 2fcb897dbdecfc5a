// Element-wise functions of Vars with gradients, all through ein::apply: the
// built-ins (exp, log, sqrt, abs, tanh, sigmoid, relu, leaky_relu, gelu, silu,
// pow) are rows of the element-math table (math/element.hpp), exactly as a user's
// own function is. Layer: autodiff.
#pragma once

#include <type_traits>
#include <utility>

#include "ein/autodiff/ops/arithmetic.hpp"
#include "ein/math/element.hpp"

namespace ein {

/// e^v element by element; d/dx = e^x.
template <class T, std::size_t R, class D>
Var<T, R, D> exp(const Var<T, R, D>& v) {
  return apply(math::Exp{}, v);
}
/// ln v element by element; d/dx = 1 / x.
template <class T, std::size_t R, class D>
Var<T, R, D> log(const Var<T, R, D>& v) {
  return apply(math::Log{}, v);
}
/// sqrt v element by element; d/dx = 1 / (2 sqrt x).
template <class T, std::size_t R, class D>
Var<T, R, D> sqrt(const Var<T, R, D>& v) {
  return apply(math::Sqrt{}, v);
}
/// |v| element by element; d/dx = sign x (0 at 0).
template <class T, std::size_t R, class D>
Var<T, R, D> abs(const Var<T, R, D>& v) {
  return apply(math::Abs{}, v);
}
/// tanh v element by element; d/dx = 1 - tanh² x.
template <class T, std::size_t R, class D>
Var<T, R, D> tanh(const Var<T, R, D>& v) {
  return apply(math::Tanh{}, v);
}
/// 1 / (1 + e^-v) element by element, without overflow for large |v|; d/dx = s (1 - s).
template <class T, std::size_t R, class D>
Var<T, R, D> sigmoid(const Var<T, R, D>& v) {
  return apply(math::Sigmoid{}, v);
}
/// max(v, 0) element by element (NaN stays NaN); d/dx = 1 where x > 0, else 0.
/// Of an einsum's temporary result (with its bias or not), it folds into the
/// einsum (autodiff/einsum_node.hpp): `relu(einsum<"ij,lj->li">(W, X) + b)`.
template <class T, std::size_t R, class D>
Var<T, R, D> relu(const Var<T, R, D>& v) {
  return apply(math::Relu{}, v);
}
template <class T, std::size_t R, class D>
Var<T, R, D> relu(Var<T, R, D>&& v) {
  if constexpr (std::is_same_v<D, Host>)
    if (detail::is_sole_pending(v) && v.node()->fuse_relu()) return std::move(v);
  return apply(math::Relu{}, v);
}
/// v where v >= 0, slope * v below (PyTorch's default slope 0.01); d/dx = 1 or slope.
template <class T, std::size_t R, class D>
Var<T, R, D> leaky_relu(const Var<T, R, D>& v, double slope = 0.01) {
  return apply(math::LeakyRelu{slope}, v);
}
/// v Phi(v), the exact GELU (PyTorch's default); d/dx = Phi(x) + x phi(x).
template <class T, std::size_t R, class D>
Var<T, R, D> gelu(const Var<T, R, D>& v) {
  return apply(math::Gelu{}, v);
}
/// v sigmoid(v) (SiLU, swish); d/dx = s (1 + x (1 - s)).
template <class T, std::size_t R, class D>
Var<T, R, D> silu(const Var<T, R, D>& v) {
  return apply(math::Silu{}, v);
}
/// v^p element by element, one exponent for all; d/dx = p x^(p-1) (0 when p = 0).
template <class T, std::size_t R, class D>
Var<T, R, D> pow(const Var<T, R, D>& v, std::type_identity_t<T> p) {
  return apply(math::Pow{static_cast<double>(p)}, v);
}

}  // namespace ein
