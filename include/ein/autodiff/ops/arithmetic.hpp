// Arithmetic on Vars with gradients: a + b, a - b, a * b, a / b, -a, and each
// with a scalar on either side, each one ein::apply of a row of the element-math
// table (tensor/lineup.hpp says how two Vars line up), on any device. Layer: autodiff.
#pragma once

#include <algorithm>
#include <type_traits>
#include <utility>

#include "ein/autodiff/ops/apply.hpp"
#include "ein/math/element.hpp"

namespace ein {
namespace detail {

/// Whether v is a pending einsum held by nothing but v (a temporary), recorded
/// where ops record now: one whose value a bias or a relu may still fold into.
template <class T, std::size_t R, class D>
bool is_sole_pending(const Var<T, R, D>& v) {
  return grad_enabled() && v.node().use_count() == 1 && v.node()->pending();
}

/// Folds `bias`, a rank-1 Var along the last axis of `layer`, into layer's pending
/// einsum (autodiff/einsum_node.hpp), where layer is one held by nothing else (a
/// temporary: `einsum<"ij,lj->li">(W, X) + b`); false where it cannot.
template <class T, std::size_t RL, std::size_t RB, class D>
bool fuse_bias(const Var<T, RL, D>& layer, const Var<T, RB, D>& bias) {
  if constexpr (std::is_same_v<D, Host> && RB == 1 && RL >= 1) {
    const auto& n = layer.node();
    return is_sole_pending(layer) && static_cast<const Node*>(n.get()) != static_cast<const Node*>(bias.node().get()) &&
           bias.extent(0) == layer.extent(RL - 1) && n->fuse_bias(bias.node());
  } else {
    return false;
  }
}

}  // namespace detail

/// a + b, a - b, a * b, a / b element by element; the operands line up as the
/// table at the top of this file says (equal extents, a rank-1 bias along the
/// last axis, or a rank-0 Var). A bias added to an einsum's temporary result
/// folds into the einsum (detail::fuse_bias).
template <class T, std::size_t RA, std::size_t RB, class D>
  requires detail::lines_up<RA, RB>
Var<T, std::max(RA, RB), D> operator+(const Var<T, RA, D>& a, const Var<T, RB, D>& b) {
  return apply(math::Add{}, a, b);
}
template <class T, std::size_t RA, std::size_t RB, class D>
  requires detail::lines_up<RA, RB>
Var<T, std::max(RA, RB), D> operator+(Var<T, RA, D>&& a, const Var<T, RB, D>& b) {
  if constexpr (RA >= RB)
    if (detail::fuse_bias(a, b)) return std::move(a);
  return apply(math::Add{}, a, b);
}
template <class T, std::size_t RA, std::size_t RB, class D>
  requires detail::lines_up<RA, RB>
Var<T, std::max(RA, RB), D> operator+(const Var<T, RA, D>& a, Var<T, RB, D>&& b) {
  if constexpr (RB >= RA)
    if (detail::fuse_bias(b, a)) return std::move(b);
  return apply(math::Add{}, a, b);
}
template <class T, std::size_t RA, std::size_t RB, class D>
  requires detail::lines_up<RA, RB>
Var<T, std::max(RA, RB), D> operator+(Var<T, RA, D>&& a, Var<T, RB, D>&& b) {
  if constexpr (RA >= RB)
    if (detail::fuse_bias(a, b)) return std::move(a);
  if constexpr (RB >= RA)
    if (detail::fuse_bias(b, a)) return std::move(b);
  return apply(math::Add{}, a, b);
}
template <class T, std::size_t RA, std::size_t RB, class D>
  requires detail::lines_up<RA, RB>
Var<T, std::max(RA, RB), D> operator-(const Var<T, RA, D>& a, const Var<T, RB, D>& b) {
  return apply(math::Sub{}, a, b);
}
template <class T, std::size_t RA, std::size_t RB, class D>
  requires detail::lines_up<RA, RB>
Var<T, std::max(RA, RB), D> operator*(const Var<T, RA, D>& a, const Var<T, RB, D>& b) {
  return apply(math::Mul{}, a, b);
}
template <class T, std::size_t RA, std::size_t RB, class D>
  requires detail::lines_up<RA, RB>
Var<T, std::max(RA, RB), D> operator/(const Var<T, RA, D>& a, const Var<T, RB, D>& b) {
  return apply(math::Div{}, a, b);
}

/// -a element by element.
template <class T, std::size_t R, class D>
Var<T, R, D> operator-(const Var<T, R, D>& a) {
  return apply(math::Negate{}, a);
}

// A scalar on either side: converted to the Var's element type (so `2 * x` and
// `x / 2.0` work on a Var<float, R>); it gets no gradient.

/// a + s, s + a.
template <class T, std::size_t R, class D>
Var<T, R, D> operator+(const Var<T, R, D>& a, std::type_identity_t<T> s) {
  return apply(math::BindRight<math::Add, T>{s}, a);
}
template <class T, std::size_t R, class D>
Var<T, R, D> operator+(std::type_identity_t<T> s, const Var<T, R, D>& a) {
  return a + s;
}
/// a - s, s - a.
template <class T, std::size_t R, class D>
Var<T, R, D> operator-(const Var<T, R, D>& a, std::type_identity_t<T> s) {
  return apply(math::BindRight<math::Sub, T>{s}, a);
}
template <class T, std::size_t R, class D>
Var<T, R, D> operator-(std::type_identity_t<T> s, const Var<T, R, D>& a) {
  return apply(math::BindLeft<math::Sub, T>{s}, a);
}
/// a * s, s * a.
template <class T, std::size_t R, class D>
Var<T, R, D> operator*(const Var<T, R, D>& a, std::type_identity_t<T> s) {
  return apply(math::BindRight<math::Mul, T>{s}, a);
}
template <class T, std::size_t R, class D>
Var<T, R, D> operator*(std::type_identity_t<T> s, const Var<T, R, D>& a) {
  return a * s;
}
/// a / s, s / a.
template <class T, std::size_t R, class D>
Var<T, R, D> operator/(const Var<T, R, D>& a, std::type_identity_t<T> s) {
  return apply(math::BindRight<math::Div, T>{s}, a);
}
template <class T, std::size_t R, class D>
Var<T, R, D> operator/(std::type_identity_t<T> s, const Var<T, R, D>& a) {
  return apply(math::BindLeft<math::Div, T>{s}, a);
}

}  // namespace ein
