// The per-element math of the device autodiff ops, nn ops and optimizers, as
// inline functions that nvcc compiles for the device and g++ for the host, so
// that CPU tests check the very formulas the kernels run. The element-wise
// functions are the CPU's own (math/element.hpp), the optimizers' rules too
// (math/update.hpp), softmax's and cross-entropy's too (math/softmax.hpp). Plain C++:
// no CUDA header, no Eigen. Layer: backend (cuda), autodiff.
#pragma once

#include <cstdint>

#include "ein/math/element.hpp"
#include "ein/math/softmax.hpp"
#include "ein/math/update.hpp"

namespace ein::cuda::element {

using math::abs_of;
using math::exp_of;
using math::log_of;
using math::pow_of;
using math::sqrt_of;
using math::tanh_of;

// --- Element-wise functions of one Var (autodiff/ops/arithmetic.hpp, functions.hpp) ---

/// A function of one element and, for the scalar ops, a scalar s: z = f(x, s).
/// Each is a row of the element-math table (math/element.hpp), as on the CPU.
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
  pow,         // x^s
  leaky_relu,  // slope s
  gelu,
  silu,
};

/// Calls f(row) with the table's row for op and scalar s.
template <class T, class F>
EIN_HOST_DEVICE inline T with_unary(UnaryOp op, T s, F f) {
  switch (op) {
    case UnaryOp::neg: return f(math::Negate{});
    case UnaryOp::add: return f(math::BindRight<math::Add, T>{s});
    case UnaryOp::sub: return f(math::BindRight<math::Sub, T>{s});
    case UnaryOp::rsub: return f(math::BindLeft<math::Sub, T>{s});
    case UnaryOp::mul: return f(math::BindRight<math::Mul, T>{s});
    case UnaryOp::div: return f(math::BindRight<math::Div, T>{s});
    case UnaryOp::rdiv: return f(math::BindLeft<math::Div, T>{s});
    case UnaryOp::exp: return f(math::Exp{});
    case UnaryOp::log: return f(math::Log{});
    case UnaryOp::sqrt: return f(math::Sqrt{});
    case UnaryOp::abs: return f(math::Abs{});
    case UnaryOp::tanh: return f(math::Tanh{});
    case UnaryOp::sigmoid: return f(math::Sigmoid{});
    case UnaryOp::relu: return f(math::Relu{});
    case UnaryOp::pow: return f(math::Pow{double(s)});
    case UnaryOp::leaky_relu: return f(math::LeakyRelu{double(s)});
    case UnaryOp::gelu: return f(math::Gelu{});
    case UnaryOp::silu: return f(math::Silu{});
  }
  return T(0);
}

/// z = f(x).
template <class T>
EIN_HOST_DEVICE inline T unary_value(UnaryOp op, T x, T s) {
  return with_unary(op, s, [x](auto row) { return row(x); });
}
/// dz/dx given x and z = f(x).
template <class T>
EIN_HOST_DEVICE inline T unary_partial(UnaryOp op, T x, T z, T s) {
  return with_unary(op, s, [x, z](auto row) { return row.derivative(x, z); });
}

// --- Binary ops on two Vars (autodiff/ops/arithmetic.hpp) ---

enum class BinaryOp : int { add, sub, mul, div };

/// Calls f(row) with the table's row for op.
template <class T, class F>
EIN_HOST_DEVICE inline T with_binary(BinaryOp op, F f) {
  switch (op) {
    case BinaryOp::add: return f(math::Add{});
    case BinaryOp::sub: return f(math::Sub{});
    case BinaryOp::mul: return f(math::Mul{});
    case BinaryOp::div: return f(math::Div{});
  }
  return T(0);
}
template <class T>
EIN_HOST_DEVICE inline T binary_value(BinaryOp op, T x, T y) {
  return with_binary<T>(op, [x, y](auto row) { return row(x, y); });
}
/// dz/dx of z = x op y.
template <class T>
EIN_HOST_DEVICE inline T binary_dx(BinaryOp op, T x, T y, T z) {
  return with_binary<T>(op, [x, y, z](auto row) { return row.dx(x, y, z); });
}
/// dz/dy of z = x op y.
template <class T>
EIN_HOST_DEVICE inline T binary_dy(BinaryOp op, T x, T y, T z) {
  return with_binary<T>(op, [x, y, z](auto row) { return row.dy(x, y, z); });
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

using math::cross_entropy_accumulate;
using math::line_stats;
using math::LineStats;
using math::log_softmax_partial;
using math::softmax_partial;

// --- Optimizers: the rules of math/update.hpp, which ein::optim's host loops run too ---

using math::AdamArgs;
using math::adam_update;
using math::lerp;
using math::SgdArgs;
using math::sgd_update;

}  // namespace ein::cuda::element
