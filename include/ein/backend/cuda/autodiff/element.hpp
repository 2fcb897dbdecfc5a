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

/// Rows of the table with a scalar bound: x op s (right) and s op x (left).
#define EIN_DETAIL_RIGHT(Op) math::BindRight<math::Op, T>
#define EIN_DETAIL_LEFT(Op) math::BindLeft<math::Op, T>

/// The one list of the element-math rows (math/element.hpp) that the kernels
/// compute: X(code, the row's type, the row made from a scalar s, row f's
/// scalar), for element type T. It generates the kernels' codes (UnaryOp), the
/// row a code runs (with_unary) and the code of a row (cuda/device.hpp's unary_code).
#define EIN_CUDA_UNARY_ROWS(X)                                                       \
  X(neg, math::Negate, math::Negate{}, T(0))                             /* -x */    \
  X(add, EIN_DETAIL_RIGHT(Add), EIN_DETAIL_RIGHT(Add){s}, f.s)           /* x + s */ \
  X(sub, EIN_DETAIL_RIGHT(Sub), EIN_DETAIL_RIGHT(Sub){s}, f.s)           /* x - s */ \
  X(rsub, EIN_DETAIL_LEFT(Sub), EIN_DETAIL_LEFT(Sub){s}, f.s)            /* s - x */ \
  X(mul, EIN_DETAIL_RIGHT(Mul), EIN_DETAIL_RIGHT(Mul){s}, f.s)           /* x * s */ \
  X(div, EIN_DETAIL_RIGHT(Div), EIN_DETAIL_RIGHT(Div){s}, f.s)           /* x / s */ \
  X(rdiv, EIN_DETAIL_LEFT(Div), EIN_DETAIL_LEFT(Div){s}, f.s)            /* s / x */ \
  X(exp, math::Exp, math::Exp{}, T(0))                                               \
  X(log, math::Log, math::Log{}, T(0))                                               \
  X(sqrt, math::Sqrt, math::Sqrt{}, T(0))                                            \
  X(abs, math::Abs, math::Abs{}, T(0))                                               \
  X(tanh, math::Tanh, math::Tanh{}, T(0))                                            \
  X(sigmoid, math::Sigmoid, math::Sigmoid{}, T(0))                                   \
  X(relu, math::Relu, math::Relu{}, T(0))                                            \
  X(pow, math::Pow, math::Pow{double(s)}, T(f.exponent))                 /* x^s */   \
  X(leaky_relu, math::LeakyRelu, math::LeakyRelu{double(s)}, T(f.slope)) /* slope */ \
  X(gelu, math::Gelu, math::Gelu{}, T(0))                                            \
  X(silu, math::Silu, math::Silu{}, T(0))

/// A function of one element and, for the scalar ops, a scalar s: z = f(x, s).
enum class UnaryOp : int {
#define EIN_DETAIL_UNARY_CODE(code, Row, make, scalar) code,
  EIN_CUDA_UNARY_ROWS(EIN_DETAIL_UNARY_CODE)
#undef EIN_DETAIL_UNARY_CODE
};

/// Calls f(row) with the table's row for op and scalar s.
template <class T, class F>
EIN_HOST_DEVICE inline T with_unary(UnaryOp op, T s, F f) {
  switch (op) {
#define EIN_DETAIL_UNARY_ROW(code, Row, make, scalar) \
  case UnaryOp::code: return f(make);
    EIN_CUDA_UNARY_ROWS(EIN_DETAIL_UNARY_ROW)
#undef EIN_DETAIL_UNARY_ROW
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

/// The rows of two operands the kernels compute: X(code, the row's type).
#define EIN_CUDA_BINARY_ROWS(X) X(add, math::Add) X(sub, math::Sub) X(mul, math::Mul) X(div, math::Div)

enum class BinaryOp : int {
#define EIN_DETAIL_BINARY_CODE(code, Row) code,
  EIN_CUDA_BINARY_ROWS(EIN_DETAIL_BINARY_CODE)
#undef EIN_DETAIL_BINARY_CODE
};

/// Calls f(row) with the table's row for op.
template <class T, class F>
EIN_HOST_DEVICE inline T with_binary(BinaryOp op, F f) {
  switch (op) {
#define EIN_DETAIL_BINARY_ROW(code, Row) \
  case BinaryOp::code: return f(Row{});
    EIN_CUDA_BINARY_ROWS(EIN_DETAIL_BINARY_ROW)
#undef EIN_DETAIL_BINARY_ROW
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
