// The element-wise operations: one small function object per operation, applied
// to one or two values of the element type. Layer: expr (element-wise).
#pragma once

#include <cmath>

namespace ein::detail {

// `name` is what a shape_error quotes: `elementwise '+': extents (3, 4) and (4, 3) differ`.
// max/min return `a` when either is NaN, exactly like std::max(a, b) / std::min(a, b).

struct Add {
  static constexpr const char* name = "+";
  template <class T>
  constexpr T operator()(T a, T b) const { return a + b; }
};
struct Sub {
  static constexpr const char* name = "-";
  template <class T>
  constexpr T operator()(T a, T b) const { return a - b; }
};
struct Mul {
  static constexpr const char* name = "*";
  template <class T>
  constexpr T operator()(T a, T b) const { return a * b; }
};
struct Div {
  static constexpr const char* name = "/";
  template <class T>
  constexpr T operator()(T a, T b) const { return a / b; }
};
struct Max {
  static constexpr const char* name = "max";
  template <class T>
  constexpr T operator()(T a, T b) const { return a < b ? b : a; }
};
struct Min {
  static constexpr const char* name = "min";
  template <class T>
  constexpr T operator()(T a, T b) const { return b < a ? b : a; }
};

struct Negate {
  template <class T>
  constexpr T operator()(T a) const { return -a; }
};
struct Exp {
  template <class T>
  T operator()(T a) const { return std::exp(a); }
};
struct Log {
  template <class T>
  T operator()(T a) const { return std::log(a); }
};
struct Tanh {
  template <class T>
  T operator()(T a) const { return std::tanh(a); }
};
struct Sqrt {
  template <class T>
  T operator()(T a) const { return std::sqrt(a); }
};
struct Abs {
  template <class T>
  T operator()(T a) const { return std::abs(a); }
};
struct Square {
  template <class T>
  constexpr T operator()(T a) const { return a * a; }
};
/// max(a, 0), NaN stays NaN (like PyTorch's relu).
struct Relu {
  template <class T>
  constexpr T operator()(T a) const { return a < T(0) ? T(0) : a; }
};
/// 1 / (1 + e^-a): 0 for very negative a (e^-a overflows to inf), 1 for very positive a.
struct Sigmoid {
  template <class T>
  T operator()(T a) const { return T(1) / (T(1) + std::exp(-a)); }
};
/// a^exponent with one exponent for every element.
template <class T>
struct Pow {
  T exponent;
  T operator()(T a) const { return std::pow(a, exponent); }
};

}  // namespace ein::detail
