// The one element-math table: every element-wise function ein knows, with its
// derivative, as small function objects that g++ compiles for host tensor
// expressions, Var ops and optimizers, and nvcc for the CUDA kernels (which
// instantiate these very functions). A new element-wise op is one struct here.
// Layer: math (the bottom, beside spec: plain C++, no CUDA header, no Eigen).
//
// A unary function F has `y = F{}(x)` and `F{}.derivative(x, y)`, dy/dx given x
// and y (so exp's is y itself); a binary one has `z = F{}(x, y)`, `dx(x, y, z)` and
// `dy(x, y, z)`. User-defined functions follow the same shape (ein::apply).
// Derivatives follow PyTorch where a function has a kink or a pole:
//   abs'(0) = 0, relu'(0) = 0, leaky_relu'(0) = slope, sqrt'(0) = inf, log'(0) = inf,
//   pow(x, 0)' = 0.
#pragma once

#include <math.h>

#include <cmath>
#include <concepts>
#include <type_traits>
#include <utility>

#if defined(__CUDACC__)
#define EIN_HOST_DEVICE __host__ __device__
#else
#define EIN_HOST_DEVICE
#endif

namespace ein::math {

// The C math library by element type: nvcc's device code has these names, not
// std::'s. Other types (host only) go through std::.
EIN_HOST_DEVICE inline float exp_of(float x) { return ::expf(x); }
EIN_HOST_DEVICE inline double exp_of(double x) { return ::exp(x); }
EIN_HOST_DEVICE inline float log_of(float x) { return ::logf(x); }
EIN_HOST_DEVICE inline double log_of(double x) { return ::log(x); }
EIN_HOST_DEVICE inline float sqrt_of(float x) { return ::sqrtf(x); }
EIN_HOST_DEVICE inline double sqrt_of(double x) { return ::sqrt(x); }
EIN_HOST_DEVICE inline float abs_of(float x) { return ::fabsf(x); }
EIN_HOST_DEVICE inline double abs_of(double x) { return ::fabs(x); }
EIN_HOST_DEVICE inline float tanh_of(float x) { return ::tanhf(x); }
EIN_HOST_DEVICE inline double tanh_of(double x) { return ::tanh(x); }
EIN_HOST_DEVICE inline float erf_of(float x) { return ::erff(x); }
EIN_HOST_DEVICE inline double erf_of(double x) { return ::erf(x); }
EIN_HOST_DEVICE inline float pow_of(float x, float p) { return ::powf(x, p); }
EIN_HOST_DEVICE inline double pow_of(double x, double p) { return ::pow(x, p); }
template <class T> T exp_of(T x) { return static_cast<T>(std::exp(x)); }
template <class T> T log_of(T x) { return static_cast<T>(std::log(x)); }
template <class T> T sqrt_of(T x) { return static_cast<T>(std::sqrt(x)); }
template <class T> T abs_of(T x) { return static_cast<T>(std::abs(x)); }
template <class T> T tanh_of(T x) { return static_cast<T>(std::tanh(x)); }
template <class T> T erf_of(T x) { return static_cast<T>(std::erf(x)); }
template <class T> T pow_of(T x, T p) { return static_cast<T>(std::pow(x, p)); }

// --- Functions of one element ---

struct Negate {
  template <class T> EIN_HOST_DEVICE constexpr T operator()(T x) const { return -x; }
  template <class T> EIN_HOST_DEVICE constexpr T derivative(T, T) const { return T(-1); }
};
struct Exp {
  template <class T> EIN_HOST_DEVICE T operator()(T x) const { return exp_of(x); }
  template <class T> EIN_HOST_DEVICE T derivative(T, T y) const { return y; }
};
struct Log {
  template <class T> EIN_HOST_DEVICE T operator()(T x) const { return log_of(x); }
  template <class T> EIN_HOST_DEVICE T derivative(T x, T) const { return T(1) / x; }
};
struct Sqrt {
  template <class T> EIN_HOST_DEVICE T operator()(T x) const { return sqrt_of(x); }
  template <class T> EIN_HOST_DEVICE T derivative(T, T y) const { return T(0.5) / y; }
};
/// |x|; its derivative is sign x, 0 at 0.
struct Abs {
  template <class T> EIN_HOST_DEVICE T operator()(T x) const { return abs_of(x); }
  template <class T> EIN_HOST_DEVICE T derivative(T x, T) const { return T((x > T(0)) - (x < T(0))); }
};
struct Tanh {
  template <class T> EIN_HOST_DEVICE T operator()(T x) const { return tanh_of(x); }
  template <class T> EIN_HOST_DEVICE T derivative(T, T y) const { return T(1) - y * y; }
};
struct Square {
  template <class T> EIN_HOST_DEVICE constexpr T operator()(T x) const { return x * x; }
  template <class T> EIN_HOST_DEVICE constexpr T derivative(T x, T) const { return T(2) * x; }
};
/// max(x, 0), NaN stays NaN (like PyTorch's relu).
struct Relu {
  template <class T> EIN_HOST_DEVICE constexpr T operator()(T x) const { return x < T(0) ? T(0) : x; }
  template <class T> EIN_HOST_DEVICE constexpr T derivative(T, T y) const { return T(y > T(0)); }
};
/// x where x > 0, slope * x elsewhere (PyTorch's leaky_relu, its default slope 0.01;
/// its derivative is the slope at 0, as PyTorch's).
struct LeakyRelu {
  double slope = 0.01;
  template <class T> EIN_HOST_DEVICE constexpr T operator()(T x) const { return x > T(0) ? x : T(slope) * x; }
  template <class T> EIN_HOST_DEVICE constexpr T derivative(T x, T) const { return x > T(0) ? T(1) : T(slope); }
};
/// 1 / (1 + e^-x), without overflow for large |x| (e^-x is only taken for x >= 0).
struct Sigmoid {
  template <class T> EIN_HOST_DEVICE T operator()(T x) const {
    if (x >= T(0)) return T(1) / (T(1) + exp_of(-x));
    const T e = exp_of(x);
    return e / (T(1) + e);
  }
  template <class T> EIN_HOST_DEVICE T derivative(T, T y) const { return y * (T(1) - y); }
};
/// x * sigmoid(x) (SiLU, swish); its derivative s (1 + x (1 - s)).
struct Silu {
  template <class T> EIN_HOST_DEVICE T operator()(T x) const { return x * Sigmoid{}(x); }
  template <class T> EIN_HOST_DEVICE T derivative(T x, T) const {
    const T s = Sigmoid{}(x);
    return s * (T(1) + x * (T(1) - s));
  }
};
/// x Phi(x) = x (1 + erf(x / sqrt 2)) / 2 (GELU, PyTorch's default, exact form); its
/// derivative Phi(x) + x phi(x).
struct Gelu {
  template <class T> EIN_HOST_DEVICE T operator()(T x) const {
    return T(0.5) * x * (T(1) + erf_of(x * T(0.70710678118654752440)));
  }
  template <class T> EIN_HOST_DEVICE T derivative(T x, T) const {
    const T cdf = T(0.5) * (T(1) + erf_of(x * T(0.70710678118654752440)));
    return cdf + x * T(0.39894228040143267794) * exp_of(T(-0.5) * x * x);
  }
};
/// x^exponent, one exponent for all; its derivative p x^(p-1), 0 when p = 0.
struct Pow {
  double exponent = 1;
  template <class T> EIN_HOST_DEVICE T operator()(T x) const { return pow_of(x, T(exponent)); }
  template <class T> EIN_HOST_DEVICE T derivative(T x, T) const {
    const T p = T(exponent);
    return p == T(0) ? T(0) : p * pow_of(x, p - T(1));
  }
};

// --- Functions of two elements ---

struct Add {
  static constexpr const char* name = "+";
  template <class T> EIN_HOST_DEVICE constexpr T operator()(T x, T y) const { return x + y; }
  template <class T> EIN_HOST_DEVICE constexpr T dx(T, T, T) const { return T(1); }
  template <class T> EIN_HOST_DEVICE constexpr T dy(T, T, T) const { return T(1); }
};
struct Sub {
  static constexpr const char* name = "-";
  template <class T> EIN_HOST_DEVICE constexpr T operator()(T x, T y) const { return x - y; }
  template <class T> EIN_HOST_DEVICE constexpr T dx(T, T, T) const { return T(1); }
  template <class T> EIN_HOST_DEVICE constexpr T dy(T, T, T) const { return T(-1); }
};
struct Mul {
  static constexpr const char* name = "*";
  template <class T> EIN_HOST_DEVICE constexpr T operator()(T x, T y) const { return x * y; }
  template <class T> EIN_HOST_DEVICE constexpr T dx(T, T y, T) const { return y; }
  template <class T> EIN_HOST_DEVICE constexpr T dy(T x, T, T) const { return x; }
};
struct Div {
  static constexpr const char* name = "/";
  template <class T> EIN_HOST_DEVICE constexpr T operator()(T x, T y) const { return x / y; }
  template <class T> EIN_HOST_DEVICE constexpr T dx(T, T y, T) const { return T(1) / y; }
  template <class T> EIN_HOST_DEVICE constexpr T dy(T, T y, T z) const { return -z / y; }
};
/// The larger of x and y; x when either is NaN, exactly like std::max(x, y).
struct Max {
  static constexpr const char* name = "max";
  template <class T> EIN_HOST_DEVICE constexpr T operator()(T x, T y) const { return x < y ? y : x; }
};
/// The smaller of x and y; x when either is NaN, exactly like std::min(x, y).
struct Min {
  static constexpr const char* name = "min";
  template <class T> EIN_HOST_DEVICE constexpr T operator()(T x, T y) const { return y < x ? y : x; }
};

/// A binary function with its right operand fixed: x + s, x / s, ... as a unary one.
template <class F, class S>
struct BindRight {
  S s;
  template <class T> EIN_HOST_DEVICE constexpr T operator()(T x) const { return F{}(x, T(s)); }
  template <class T> EIN_HOST_DEVICE constexpr T derivative(T x, T y) const { return F{}.dx(x, T(s), y); }
};
/// A binary function with its left operand fixed: s - x, s / x, ... as a unary one.
template <class F, class S>
struct BindLeft {
  S s;
  template <class T> EIN_HOST_DEVICE constexpr T operator()(T x) const { return F{}(T(s), x); }
  template <class T> EIN_HOST_DEVICE constexpr T derivative(T x, T y) const { return F{}.dy(T(s), x, y); }
};

/// Whether F is one of this table's rows (or one bound to a scalar): a pure function
/// of its arguments, so the host may call it from several threads at once on a long
/// tensor (backend/host_device.hpp). A user's function is called from one thread.
template <class F>
inline constexpr bool is_table_row =
    std::is_same_v<F, Negate> || std::is_same_v<F, Exp> || std::is_same_v<F, Log> || std::is_same_v<F, Sqrt> ||
    std::is_same_v<F, Abs> || std::is_same_v<F, Tanh> || std::is_same_v<F, Square> || std::is_same_v<F, Relu> ||
    std::is_same_v<F, LeakyRelu> || std::is_same_v<F, Sigmoid> || std::is_same_v<F, Silu> || std::is_same_v<F, Gelu> ||
    std::is_same_v<F, Pow> || std::is_same_v<F, Add> || std::is_same_v<F, Sub> || std::is_same_v<F, Mul> ||
    std::is_same_v<F, Div> || std::is_same_v<F, Max> || std::is_same_v<F, Min>;
template <class F, class S>
inline constexpr bool is_table_row<BindRight<F, S>> = is_table_row<F>;
template <class F, class S>
inline constexpr bool is_table_row<BindLeft<F, S>> = is_table_row<F>;

/// What errors call a function: its `name` member if it has one, else "apply".
template <class F>
constexpr const char* name_of() {
  if constexpr (requires { F::name; }) return F::name;
  else return "apply";
}

/// A function of one element of type T with its derivative (the shape of the table's rows).
template <class F, class T>
concept UnaryFunction = requires(const F& f, T x) {
  { f(x) } -> std::convertible_to<T>;
  { f.derivative(x, x) } -> std::convertible_to<T>;
};
/// A function of two elements of type T with its two partial derivatives.
template <class F, class T>
concept BinaryFunction = requires(const F& f, T x) {
  { f(x, x) } -> std::convertible_to<T>;
  { f.dx(x, x, x) } -> std::convertible_to<T>;
  { f.dy(x, x, x) } -> std::convertible_to<T>;
};

/// A function and its derivative as two callables, f(x) and df(x, y) with y = f(x):
/// the table's shape, for ein::apply.
template <class F, class D>
struct WithDerivative {
  F f;
  D df;
  template <class T> constexpr T operator()(T x) const { return static_cast<T>(f(x)); }
  template <class T> constexpr T derivative(T x, T y) const { return static_cast<T>(df(x, y)); }
};

}  // namespace ein::math

namespace ein {

/// `ein::apply(ein::with_derivative([](auto x) { return x * x * x; },
///                                  [](auto x, auto) { return 3 * x * x; }), v)`:
/// a function of one element given with its derivative (of x and the value y).
template <class F, class D>
constexpr math::WithDerivative<F, D> with_derivative(F f, D df) {
  return {std::move(f), std::move(df)};
}

}  // namespace ein
