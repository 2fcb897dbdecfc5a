// Arithmetic on Vars with gradients: a + b, a - b, a * b, a / b, -a, and each
// with a scalar on either side. One tape node per op; its rule reads only the
// inputs' values and its own. Layer: autodiff.
//
// How two Vars line up (anything else throws ein::shape_error naming the op and
// both extents):
//   1. equal ranks: the extents must be equal; element i meets element i.
//   2. rank R >= 2 with rank 1 (either side): the rank-1 Var's extent must equal
//      the rank-R Var's last extent, and it repeats along every leading axis; a
//      bias over the rows of [N, C] is `x + b` with b of extents (C).
//   3. rank 0 with rank R >= 1 (either side): the scalar Var repeats everywhere.
#pragma once

#include <algorithm>
#include <string>
#include <type_traits>

#include "ein/autodiff/var.hpp"

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

// Each binary op: the value f(x, y) and its partials given x, y and the result z.
struct AddOp {
  static constexpr const char* name = "+";
  template <class T> static T f(T x, T y) { return x + y; }
  template <class T> static T dx(T, T, T) { return T(1); }
  template <class T> static T dy(T, T, T) { return T(1); }
};
struct SubOp {
  static constexpr const char* name = "-";
  template <class T> static T f(T x, T y) { return x - y; }
  template <class T> static T dx(T, T, T) { return T(1); }
  template <class T> static T dy(T, T, T) { return T(-1); }
};
struct MulOp {
  static constexpr const char* name = "*";
  template <class T> static T f(T x, T y) { return x * y; }
  template <class T> static T dx(T, T y, T) { return y; }
  template <class T> static T dy(T x, T, T) { return x; }
};
struct DivOp {
  static constexpr const char* name = "/";
  template <class T> static T f(T x, T y) { return x / y; }
  template <class T> static T dx(T, T y, T) { return T(1) / y; }
  template <class T> static T dy(T, T y, T z) { return -z / y; }
};

template <class Op, class T, std::size_t RA, std::size_t RB>
auto binary(const Var<T, RA>& a, const Var<T, RB>& b) {
  constexpr std::size_t R = std::max(RA, RB);
  const Lineup l = line_up(Op::name, a.extents(), b.extents());
  Tensor<T, R> value(result_extents(a.extents(), b.extents()));
  {
    const T* x = a.value().data();
    const T* y = b.value().data();
    T* z = value.data();
    l.for_each([&](index_t k, index_t i, index_t j) { z[k] = Op::f(x[i], y[j]); });
  }
  auto rule = [l](TensorNode<T, R>& self, TensorNode<T, RA>& na, TensorNode<T, RB>& nb) {
    const T* g = self.grad().data();
    const T* z = self.value().data();
    const T* x = na.value().data();
    const T* y = nb.value().data();
    if (na.requires_grad()) {
      T* gx = na.grad().data();
      l.for_each([&](index_t k, index_t i, index_t j) { gx[i] += g[k] * Op::dx(x[i], y[j], z[k]); });
    }
    if (nb.requires_grad()) {
      T* gy = nb.grad().data();
      l.for_each([&](index_t k, index_t i, index_t j) { gy[j] += g[k] * Op::dy(x[i], y[j], z[k]); });
    }
  };
  return record<T, R>(std::move(value), std::move(rule), a.node(), b.node());
}

/// An element-wise op of one Var: z = f(x), and dz/dx = d(x, z).
template <class T, std::size_t R, class F, class D>
Var<T, R> unary(const Var<T, R>& a, F f, D d) {
  Tensor<T, R> value(a.extents());
  {
    const T* x = a.value().data();
    T* z = value.data();
    for (index_t k = 0, n = value.size(); k < n; ++k) z[k] = f(x[k]);
  }
  auto rule = [d](TensorNode<T, R>& self, TensorNode<T, R>& in) {
    const T* g = self.grad().data();
    const T* z = self.value().data();
    const T* x = in.value().data();
    T* gx = in.grad().data();
    for (index_t k = 0, n = self.value().size(); k < n; ++k) gx[k] += g[k] * d(x[k], z[k]);
  };
  return record<T, R>(std::move(value), std::move(rule), a.node());
}

}  // namespace detail

/// a + b, a - b, a * b, a / b element by element; the operands line up as the
/// table at the top of this file says (equal extents, a rank-1 bias along the
/// last axis, or a rank-0 Var).
template <class T, std::size_t RA, std::size_t RB>
  requires detail::lines_up<RA, RB>
Var<T, std::max(RA, RB)> operator+(const Var<T, RA>& a, const Var<T, RB>& b) {
  return detail::binary<detail::AddOp>(a, b);
}
template <class T, std::size_t RA, std::size_t RB>
  requires detail::lines_up<RA, RB>
Var<T, std::max(RA, RB)> operator-(const Var<T, RA>& a, const Var<T, RB>& b) {
  return detail::binary<detail::SubOp>(a, b);
}
template <class T, std::size_t RA, std::size_t RB>
  requires detail::lines_up<RA, RB>
Var<T, std::max(RA, RB)> operator*(const Var<T, RA>& a, const Var<T, RB>& b) {
  return detail::binary<detail::MulOp>(a, b);
}
template <class T, std::size_t RA, std::size_t RB>
  requires detail::lines_up<RA, RB>
Var<T, std::max(RA, RB)> operator/(const Var<T, RA>& a, const Var<T, RB>& b) {
  return detail::binary<detail::DivOp>(a, b);
}

/// -a element by element.
template <class T, std::size_t R>
Var<T, R> operator-(const Var<T, R>& a) {
  return detail::unary(a, [](T x) { return -x; }, [](T, T) { return T(-1); });
}

// A scalar on either side: converted to the Var's element type (so `2 * x` and
// `x / 2.0` work on a Var<float, R>); it gets no gradient.

/// a + s, s + a.
template <class T, std::size_t R>
Var<T, R> operator+(const Var<T, R>& a, std::type_identity_t<T> s) {
  return detail::unary(a, [s](T x) { return x + s; }, [](T, T) { return T(1); });
}
template <class T, std::size_t R>
Var<T, R> operator+(std::type_identity_t<T> s, const Var<T, R>& a) {
  return a + s;
}
/// a - s, s - a.
template <class T, std::size_t R>
Var<T, R> operator-(const Var<T, R>& a, std::type_identity_t<T> s) {
  return detail::unary(a, [s](T x) { return x - s; }, [](T, T) { return T(1); });
}
template <class T, std::size_t R>
Var<T, R> operator-(std::type_identity_t<T> s, const Var<T, R>& a) {
  return detail::unary(a, [s](T x) { return s - x; }, [](T, T) { return T(-1); });
}
/// a * s, s * a.
template <class T, std::size_t R>
Var<T, R> operator*(const Var<T, R>& a, std::type_identity_t<T> s) {
  return detail::unary(a, [s](T x) { return x * s; }, [s](T, T) { return s; });
}
template <class T, std::size_t R>
Var<T, R> operator*(std::type_identity_t<T> s, const Var<T, R>& a) {
  return a * s;
}
/// a / s, s / a.
template <class T, std::size_t R>
Var<T, R> operator/(const Var<T, R>& a, std::type_identity_t<T> s) {
  return detail::unary(a, [s](T x) { return x / s; }, [s](T, T) { return T(1) / s; });
}
template <class T, std::size_t R>
Var<T, R> operator/(std::type_identity_t<T> s, const Var<T, R>& a) {
  return detail::unary(a, [s](T x) { return s / x; }, [](T x, T z) { return -z / x; });
}

}  // namespace ein
