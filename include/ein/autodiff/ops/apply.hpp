// ein::apply on Vars: a function of one or two elements (the element-math
// table's shape, math/element.hpp) applied element by element and recorded on the
// tape, its gradient from the function's own derivative. Every element-wise Var op
// of ein is one call of it; a user's own function is another. Layer: autodiff.
//
// How two Vars line up (anything else throws ein::shape_error naming the op and
// both extents):
//   1. equal ranks: the extents must be equal; element i meets element i.
//   2. rank R >= 2 with rank 1 (either side): the rank-1 Var's extent must equal
//      the rank-R Var's last extent, and it repeats along every leading axis; a
//      bias over the rows of [N, C] is `x + b` with b of extents (C).
//   3. rank 0 with rank R >= 1 (either side): the scalar Var repeats everywhere.
// A repeated operand's gradient is the sum over the elements it met.
#pragma once

#include <algorithm>
#include <string>
#include <type_traits>

#include "ein/autodiff/var.hpp"
#include "ein/math/element.hpp"

namespace ein {
namespace detail {

/// Which rank pairs a binary op on Vars accepts (cases 1-3 above).
template <std::size_t RA, std::size_t RB>
inline constexpr bool lines_up = RA == RB || RA == 0 || RB == 0 || (RA == 1 && RB >= 2) || (RB == 1 && RA >= 2);

/// Two operands walked together: `outer` rows of `inner` elements of the result;
/// each operand advances by its own steps (0 where it repeats).
struct Lineup {
  index_t outer = 1, inner = 0;
  index_t a_outer = 0, a_inner = 1, b_outer = 0, b_inner = 1;

  /// f(result index, a index, b index) for every element of the result.
  template <class F>
  void for_each(F&& f) const {
    for (index_t o = 0; o < outer; ++o)
      for (index_t i = 0; i < inner; ++i) f(o * inner + i, o * a_outer + i * a_inner, o * b_outer + i * b_inner);
  }
};

template <std::size_t RA, std::size_t RB>
Lineup line_up(const char* op, const Extents<RA>& a, const Extents<RB>& b) {
  Lineup l;
  const auto fail = [&](const std::string& why) {
    throw shape_error(std::string("Var '") + op + "': extents " + to_string(a) + " and " + to_string(b) + " " + why);
  };
  if constexpr (RA == RB) {
    if (a != b) fail("differ");
    l.inner = element_count(a);
  } else if constexpr (RA == 0 || RB == 0) {
    l.inner = std::max(element_count(a), element_count(b));
    if constexpr (RA == 0) l.a_inner = 0;
    else l.b_inner = 0;
  } else {
    // A rank-1 Var against the last axis of the other.
    const index_t last = RA == 1 ? b[RB - 1] : a[RA - 1];
    const index_t bias = RA == 1 ? a[0] : b[0];
    if (bias != last)
      fail("do not line up: a rank-1 operand must have the other's last extent (" + std::to_string(last) + ")");
    l.inner = last;
    l.outer = last == 0 ? 0 : std::max(element_count(a), element_count(b)) / last;
    if constexpr (RA == 1) l.b_outer = last;
    else l.a_outer = last;
  }
  return l;
}

/// The result's extents: the higher-rank operand's (a's when ranks are equal).
template <std::size_t RA, std::size_t RB>
auto result_extents(const Extents<RA>& a, const Extents<RB>& b) {
  if constexpr (RA >= RB) return a;
  else return b;
}

template <class T, std::size_t R, class F>
Var<T, R> apply_unary(F f, const Var<T, R>& a) {
  Tensor<T, R> value(a.extents(), for_writing);
  {
    const T* x = a.value().data();
    T* z = value.data();
    for (index_t k = 0, n = value.size(); k < n; ++k) z[k] = static_cast<T>(f(x[k]));
  }
  auto rule = [f](TensorNode<T, R>& self, TensorNode<T, R>& in) {
    const T* g = self.grad().data();
    const T* z = self.value().data();
    const T* x = in.value().data();
    T* gx = in.grad().data();
    for (index_t k = 0, n = self.value().size(); k < n; ++k) gx[k] += g[k] * static_cast<T>(f.derivative(x[k], z[k]));
  };
  return record<T, R>(std::move(value), std::move(rule), a.node());
}

template <class T, std::size_t RA, std::size_t RB, class F>
auto apply_binary(F f, const Var<T, RA>& a, const Var<T, RB>& b) {
  constexpr std::size_t R = std::max(RA, RB);
  const Lineup l = line_up(math::name_of<F>(), a.extents(), b.extents());
  Tensor<T, R> value(result_extents(a.extents(), b.extents()), for_writing);
  {
    const T* x = a.value().data();
    const T* y = b.value().data();
    T* z = value.data();
    l.for_each([&](index_t k, index_t i, index_t j) { z[k] = static_cast<T>(f(x[i], y[j])); });
  }
  auto rule = [f, l](TensorNode<T, R>& self, TensorNode<T, RA>& na, TensorNode<T, RB>& nb) {
    const T* g = self.grad().data();
    const T* z = self.value().data();
    const T* x = na.value().data();
    const T* y = nb.value().data();
    if (na.requires_grad()) {
      T* gx = na.grad().data();
      l.for_each([&](index_t k, index_t i, index_t j) { gx[i] += g[k] * static_cast<T>(f.dx(x[i], y[j], z[k])); });
    }
    if (nb.requires_grad()) {
      T* gy = nb.grad().data();
      l.for_each([&](index_t k, index_t i, index_t j) { gy[j] += g[k] * static_cast<T>(f.dy(x[i], y[j], z[k])); });
    }
  };
  return record<T, R>(std::move(value), std::move(rule), a.node(), b.node());
}

}  // namespace detail

/// f applied to every element of v and recorded: y = f(x); backward adds
/// g * f.derivative(x, y) to v's gradient (when v needs one). f: a row of
/// math/element.hpp, a struct of the same shape, or ein::with_derivative(f, df).
template <class F, class T, std::size_t R>
  requires math::UnaryFunction<F, T>
Var<T, R> apply(F f, const Var<T, R>& v) {
  return detail::apply_unary(f, v);
}

/// f applied to the elements of a and b, lined up as the table at the top of this
/// file says: z = f(x, y); backward adds g * f.dx(x, y, z) to a's gradient and
/// g * f.dy(x, y, z) to b's (each only when it needs one), summed where an
/// operand repeats.
template <class F, class T, std::size_t RA, std::size_t RB>
  requires math::BinaryFunction<F, T> && detail::lines_up<RA, RB>
Var<T, std::max(RA, RB)> apply(F f, const Var<T, RA>& a, const Var<T, RB>& b) {
  return detail::apply_binary(f, a, b);
}

}  // namespace ein
