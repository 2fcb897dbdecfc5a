// The per-element math of the device autodiff ops, nn ops and optimizers, as
// inline functions that nvcc compiles for the device and g++ for the host, so
// that CPU tests check the very formulas the kernels run. Each one repeats the
// CPU rule it mirrors (include/ein/autodiff/ops/*, nn/*, optim/*). Plain C++:
// no CUDA header, no Eigen. Layer: backend (cuda), autodiff.
#pragma once

#include <math.h>

#include <cstdint>

#if defined(__CUDACC__)
#define EIN_HOST_DEVICE __host__ __device__
#else
#define EIN_HOST_DEVICE
#endif

namespace ein::cuda::element {

// Overloads by element type over the C math library, which both nvcc's device
// code and the host provide under these names (std:: is host-only in device code).
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
EIN_HOST_DEVICE inline float pow_of(float x, float p) { return ::powf(x, p); }
EIN_HOST_DEVICE inline double pow_of(double x, double p) { return ::pow(x, p); }
template <class T>
EIN_HOST_DEVICE inline bool is_nan(T x) {
  return x != x;
}
template <class T>
EIN_HOST_DEVICE inline bool is_finite(T x) {
  return x == x && x - x == T(0);  // inf - inf is NaN
}
template <class T>
EIN_HOST_DEVICE inline T infinity() {
  return T(1) / T(0);
}

// --- Element-wise functions of one Var (autodiff/ops/arithmetic.hpp, functions.hpp) ---

/// A function of one element and, for the scalar ops, a scalar s: z = f(x, s).
enum class UnaryOp : int {
  neg,   // -x
  add,   // x + s
  sub,   // x - s
  rsub,  // s - x
  mul,   // x * s
  div,   // x / s
  rdiv,  // s / x
  exp,
  log,
  sqrt,
  abs,
  tanh,
  sigmoid,
  relu,
  pow,  // x^s
};

/// z = f(x), as the CPU's lambda of the same op.
template <class T>
EIN_HOST_DEVICE inline T unary_value(UnaryOp op, T x, T s) {
  switch (op) {
    case UnaryOp::neg: return -x;
    case UnaryOp::add: return x + s;
    case UnaryOp::sub: return x - s;
    case UnaryOp::rsub: return s - x;
    case UnaryOp::mul: return x * s;
    case UnaryOp::div: return x / s;
    case UnaryOp::rdiv: return s / x;
    case UnaryOp::exp: return exp_of(x);
    case UnaryOp::log: return log_of(x);
    case UnaryOp::sqrt: return sqrt_of(x);
    case UnaryOp::abs: return abs_of(x);
    case UnaryOp::tanh: return tanh_of(x);
    case UnaryOp::sigmoid: {
      // Without overflow for large |x|.
      if (x >= T(0)) return T(1) / (T(1) + exp_of(-x));
      const T e = exp_of(x);
      return e / (T(1) + e);
    }
    case UnaryOp::relu: return x < T(0) ? T(0) : x;  // NaN stays NaN
    case UnaryOp::pow: return pow_of(x, s);
  }
  return x;
}

/// dz/dx given x and z = f(x); PyTorch's values at kinks and poles:
/// abs'(0) = 0, relu'(0) = 0, sqrt'(0) = inf, log'(0) = inf, pow(x, 0)' = 0.
template <class T>
EIN_HOST_DEVICE inline T unary_partial(UnaryOp op, T x, T z, T s) {
  switch (op) {
    case UnaryOp::neg: return T(-1);
    case UnaryOp::add: return T(1);
    case UnaryOp::sub: return T(1);
    case UnaryOp::rsub: return T(-1);
    case UnaryOp::mul: return s;
    case UnaryOp::div: return T(1) / s;
    case UnaryOp::rdiv: return -z / x;
    case UnaryOp::exp: return z;
    case UnaryOp::log: return T(1) / x;
    case UnaryOp::sqrt: return T(0.5) / z;
    case UnaryOp::abs: return T((x > T(0)) - (x < T(0)));
    case UnaryOp::tanh: return T(1) - z * z;
    case UnaryOp::sigmoid: return z * (T(1) - z);
    case UnaryOp::relu: return T(z > T(0));
    case UnaryOp::pow: return s == T(0) ? T(0) : s * pow_of(x, s - T(1));
  }
  return T(0);
}

// --- Binary ops on two Vars (autodiff/ops/arithmetic.hpp) ---

enum class BinaryOp : int { add, sub, mul, div };

template <class T>
EIN_HOST_DEVICE inline T binary_value(BinaryOp op, T x, T y) {
  switch (op) {
    case BinaryOp::add: return x + y;
    case BinaryOp::sub: return x - y;
    case BinaryOp::mul: return x * y;
    case BinaryOp::div: return x / y;
  }
  return x;
}
/// dz/dx of z = x op y.
template <class T>
EIN_HOST_DEVICE inline T binary_dx(BinaryOp op, T, T y, T) {
  switch (op) {
    case BinaryOp::add:
    case BinaryOp::sub: return T(1);
    case BinaryOp::mul: return y;
    case BinaryOp::div: return T(1) / y;
  }
  return T(0);
}
/// dz/dy of z = x op y.
template <class T>
EIN_HOST_DEVICE inline T binary_dy(BinaryOp op, T x, T y, T z) {
  switch (op) {
    case BinaryOp::add: return T(1);
    case BinaryOp::sub: return T(-1);
    case BinaryOp::mul: return x;
    case BinaryOp::div: return -z / y;
  }
  return T(0);
}

/// How two operands line up (the CPU's detail::Lineup, as plain data): the
/// result is `outer` rows of `inner` elements; element k = o * inner + i reads
/// a at o * a_outer + i * a_inner and b at o * b_outer + i * b_inner (a step of
/// 0 where that operand repeats: a bias along the rows, or a rank-0 operand).
struct Lineup {
  std::int64_t outer = 1, inner = 0;
  std::int64_t a_outer = 0, a_inner = 1, b_outer = 0, b_inner = 1;
};

/// How an operand's gradient gathers from the result's elements.
enum class Gather : int {
  each,     // one result element per operand element: the index map is one to one
  columns,  // a rank-1 operand repeated along the rows: a sum over the rows per column
  all,      // a rank-0 operand: a sum over every element
};
EIN_HOST_DEVICE inline Gather gather_of(std::int64_t outer_step, std::int64_t inner_step, std::int64_t outer) {
  if (inner_step == 0) return Gather::all;
  if (outer_step == 0 && outer > 1) return Gather::columns;
  return Gather::each;
}

// --- softmax, log_softmax, cross_entropy (nn/softmax.hpp, nn/loss.hpp) ---

/// max and log(sum(exp(x - max))) along a line of n elements `stride` apart, as
/// the CPU's line_stats: a line of -inf (or no elements) shifts by 0, not by -inf;
/// a +inf shifts by +inf, so that the whole line is NaN (PyTorch's softmax of [inf, 0, 0]).
template <class T>
struct LineStats {
  T max;
  T log_sum;
};
template <class T>
EIN_HOST_DEVICE inline LineStats<T> line_stats(const T* x, std::int64_t n, std::int64_t stride) {
  T m = -infinity<T>();
  for (std::int64_t k = 0; k < n; ++k) {
    const T v = x[k * stride];
    m = m < v ? v : m;  // std::max(m, v), which skips a NaN v
  }
  if (m == -infinity<T>()) m = T(0);  // +inf stays: the line is NaN throughout, as the CPU's
  T s = 0;
  for (std::int64_t k = 0; k < n; ++k) s += exp_of(x[k * stride] - m);
  return {m, log_of(s)};
}

/// softmax's dx = y (dy - dot) with dot = sum(dy * y) along the line.
template <class T>
EIN_HOST_DEVICE inline T softmax_partial(T g, T y, T dot) {
  return y * (g - dot);
}
/// log_softmax's dx = dy - exp(y) total, with total = sum(dy) along the line.
template <class T>
EIN_HOST_DEVICE inline T log_softmax_partial(T g, T y, T total) {
  return g - exp_of(y) * total;
}
/// cross_entropy's rule on one element of the logits' gradient gx: adds g/N *
/// softmax(x)[r, k], then takes g/N away at the label, in the CPU's order.
/// `g_mean` is the loss's gradient over N, `lse` the row's max + log_sum.
template <class T>
EIN_HOST_DEVICE inline T cross_entropy_accumulate(T gx, T x, T lse, T g_mean, bool at_label) {
  gx += g_mean * exp_of(x - lse);
  if (at_label) gx -= g_mean;
  return gx;
}

// --- Optimizers (optim/sgd.hpp, optim/adam.hpp) ---

/// One SGD step's scalars, in the parameter's element type (the CPU casts them so too).
template <class T>
struct SgdArgs {
  T lr, weight_decay, momentum, damp;  // damp = 1 - dampening
  bool nesterov, maximize;
  bool started;  // the momentum buffer holds a value (not the first step)
};
/// Updates p (and the momentum buffer b, when momentum != 0) from gradient g, as
/// ein::optim::SGD: g += wd p; b = started ? mu b + damp g : g; g = nesterov ? g + mu b : b; p -= lr g.
template <class T>
EIN_HOST_DEVICE inline void sgd_update(T& p, T grad, T* b, const SgdArgs<T>& a) {
  T g = a.maximize ? -grad : grad;
  if (a.weight_decay != T(0)) g += a.weight_decay * p;
  if (b != nullptr) {
    *b = a.started ? a.momentum * *b + a.damp * g : g;
    g = a.nesterov ? g + a.momentum * *b : *b;
  }
  p -= a.lr * g;
}

/// One Adam step's scalars: step_size = lr / (1 - beta1^t) and
/// correction2_sqrt = sqrt(1 - beta2^t), computed in double on the host and cast.
template <class T>
struct AdamArgs {
  T step_size, correction2_sqrt, weight_decay, eps;
  T w1, b2, w2;  // 1 - beta1, beta2, 1 - beta2
  bool maximize;
};
/// PyTorch's lerp: start + w (end - start) for w < 1/2, end - (end - start)(1 - w) otherwise.
template <class T>
EIN_HOST_DEVICE inline T lerp(T start, T end, T w) {
  return w < T(0.5) ? start + w * (end - start) : end - (end - start) * (T(1) - w);
}
/// Updates p and the moments m, v (and v_max under AMSGrad, when not null), as ein::optim::Adam.
template <class T>
EIN_HOST_DEVICE inline void adam_update(T& p, T grad, T& m, T& v, T* v_max, const AdamArgs<T>& a) {
  T g = a.maximize ? -grad : grad;
  if (a.weight_decay != T(0)) g += a.weight_decay * p;
  m = lerp(m, g, a.w1);
  v = v * a.b2 + a.w2 * g * g;
  T second = v;
  if (v_max != nullptr) second = *v_max = (*v_max < v ? v : *v_max);
  p -= a.step_size * (m / (sqrt_of(second) / a.correction2_sqrt + a.eps));
}

}  // namespace ein::cuda::element
