// Arithmetic on Vars with gradients: a + b, a - b, a * b, a / b, -a, and each
// with a scalar on either side, each one ein::apply of a row of the element-math
// table (tensor/lineup.hpp says how two Vars line up), on any device. Layer: autodiff.
#pragma once

#include <algorithm>
#include <type_traits>

#include "ein/autodiff/ops/apply.hpp"
#include "ein/math/element.hpp"

namespace ein {

/// a + b, a - b, a * b, a / b element by element; the operands line up as the
/// table at the top of this file says (equal extents, a rank-1 bias along the
/// last axis, or a rank-0 Var).
template <class T, std::size_t RA, std::size_t RB, class D>
  requires detail::lines_up<RA, RB>
Var<T, std::max(RA, RB), D> operator+(const Var<T, RA, D>& a, const Var<T, RB, D>& b) {
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
