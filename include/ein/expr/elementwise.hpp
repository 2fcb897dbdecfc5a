// Element-wise arithmetic and functions on tensors, views and expressions, fused
// into one pass with no temporaries: `Tensor<float, 2> C = relu(A + 2.f * B);`.
// Layer: expr (element-wise).
//
// - Operands: Tensor, TensorView, any Expression (an einsum is evaluated once into a
//   temporary when the enclosing expression is evaluated), and scalars of the
//   operand's value_type on either side.
// - Shapes must be equal; there is no broadcasting. A mismatch throws ein::shape_error
//   when the expression is evaluated: `elementwise '+': extents (3, 4) and (4, 3) differ`.
// - Expressions hold lvalue tensors and views by reference (they must outlive the
//   expression) and rvalue tensors by value.
// - These names live in namespace ein: inside it, call std::exp, std::max, ... on
//   scalars explicitly, since ein::exp hides ::exp for unqualified calls.
#pragma once

#include <utility>

#include "ein/expr/elementwise/nodes.hpp"
#include "ein/expr/elementwise/ops.hpp"

namespace ein {

// Each binary operation comes in three forms: operand-operand, operand-scalar and
// scalar-operand. The scalar is converted to the operand's value_type.
#define EIN_ELEMENTWISE_BINARY(NAME, OP)                                                       \
  template <ElementwiseOperand A, ElementwiseOperand B>                                       \
  [[nodiscard]] auto NAME(A&& a, B&& b) {                                                     \
    return detail::make_binary(OP{}, detail::as_node(std::forward<A>(a)),                     \
                               detail::as_node(std::forward<B>(b)));                          \
  }                                                                                           \
  template <ElementwiseOperand A>                                                             \
  [[nodiscard]] auto NAME(A&& a, detail::scalar_t<A> s) {                                     \
    return detail::make_binary(OP{}, detail::as_node(std::forward<A>(a)), detail::Constant(s)); \
  }                                                                                           \
  template <ElementwiseOperand B>                                                             \
  [[nodiscard]] auto NAME(detail::scalar_t<B> s, B&& b) {                                     \
    return detail::make_binary(OP{}, detail::Constant(s), detail::as_node(std::forward<B>(b))); \
  }

/// a + b, a - b, a * b, a / b element by element; either side may be a scalar.
EIN_ELEMENTWISE_BINARY(operator+, detail::Add)
EIN_ELEMENTWISE_BINARY(operator-, detail::Sub)
EIN_ELEMENTWISE_BINARY(operator*, detail::Mul)
EIN_ELEMENTWISE_BINARY(operator/, detail::Div)
/// The larger / smaller of a and b at each index (`ein::max(x, 0.f)`); NaN as std::max.
EIN_ELEMENTWISE_BINARY(max, detail::Max)
EIN_ELEMENTWISE_BINARY(min, detail::Min)

#undef EIN_ELEMENTWISE_BINARY

#define EIN_ELEMENTWISE_UNARY(NAME, OP)                                   \
  template <ElementwiseOperand A>                                         \
  [[nodiscard]] auto NAME(A&& a) {                                        \
    return detail::make_unary(OP{}, detail::as_node(std::forward<A>(a))); \
  }

/// -a element by element.
EIN_ELEMENTWISE_UNARY(operator-, detail::Negate)
/// e^a, ln a, tanh a, sqrt a, |a|, a * a element by element (std:: functions).
EIN_ELEMENTWISE_UNARY(exp, detail::Exp)
EIN_ELEMENTWISE_UNARY(log, detail::Log)
EIN_ELEMENTWISE_UNARY(tanh, detail::Tanh)
EIN_ELEMENTWISE_UNARY(sqrt, detail::Sqrt)
EIN_ELEMENTWISE_UNARY(abs, detail::Abs)
EIN_ELEMENTWISE_UNARY(square, detail::Square)
/// max(a, 0) element by element; NaN stays NaN.
EIN_ELEMENTWISE_UNARY(relu, detail::Relu)
/// 1 / (1 + e^-a) element by element.
EIN_ELEMENTWISE_UNARY(sigmoid, detail::Sigmoid)

#undef EIN_ELEMENTWISE_UNARY

/// a^exponent element by element (std::pow), one exponent for all.
template <ElementwiseOperand A>
[[nodiscard]] auto pow(A&& a, detail::scalar_t<A> exponent) {
  return detail::make_unary(detail::Pow<detail::scalar_t<A>>{exponent}, detail::as_node(std::forward<A>(a)));
}

}  // namespace ein
