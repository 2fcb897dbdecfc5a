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

#include <concepts>
#include <utility>

#include "ein/expr/elementwise/nodes.hpp"
#include "ein/math/element.hpp"

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
EIN_ELEMENTWISE_BINARY(operator+, math::Add)
EIN_ELEMENTWISE_BINARY(operator-, math::Sub)
EIN_ELEMENTWISE_BINARY(operator*, math::Mul)
EIN_ELEMENTWISE_BINARY(operator/, math::Div)
/// The larger / smaller of a and b at each index (`ein::max(x, 0.f)`); NaN as std::max.
EIN_ELEMENTWISE_BINARY(max, math::Max)
EIN_ELEMENTWISE_BINARY(min, math::Min)

#undef EIN_ELEMENTWISE_BINARY

#define EIN_ELEMENTWISE_UNARY(NAME, OP)                                   \
  template <ElementwiseOperand A>                                         \
  [[nodiscard]] auto NAME(A&& a) {                                        \
    return detail::make_unary(OP{}, detail::as_node(std::forward<A>(a))); \
  }

/// -a element by element.
EIN_ELEMENTWISE_UNARY(operator-, math::Negate)
/// e^a, ln a, tanh a, sqrt a, |a|, a * a element by element (std:: functions).
EIN_ELEMENTWISE_UNARY(exp, math::Exp)
EIN_ELEMENTWISE_UNARY(log, math::Log)
EIN_ELEMENTWISE_UNARY(tanh, math::Tanh)
EIN_ELEMENTWISE_UNARY(sqrt, math::Sqrt)
EIN_ELEMENTWISE_UNARY(abs, math::Abs)
EIN_ELEMENTWISE_UNARY(square, math::Square)
/// max(a, 0) element by element; NaN stays NaN.
EIN_ELEMENTWISE_UNARY(relu, math::Relu)
/// 1 / (1 + e^-a) element by element, without overflow for large |a|.
EIN_ELEMENTWISE_UNARY(sigmoid, math::Sigmoid)
/// a Phi(a), the exact GELU; a sigmoid(a), the SiLU.
EIN_ELEMENTWISE_UNARY(gelu, math::Gelu)
EIN_ELEMENTWISE_UNARY(silu, math::Silu)

#undef EIN_ELEMENTWISE_UNARY

/// a^exponent element by element (std::pow), one exponent for all.
template <ElementwiseOperand A>
[[nodiscard]] auto pow(A&& a, detail::scalar_t<A> exponent) {
  return detail::make_unary(math::Pow{static_cast<double>(exponent)}, detail::as_node(std::forward<A>(a)));
}
/// a where a >= 0, slope * a below (PyTorch's default slope 0.01).
template <ElementwiseOperand A>
[[nodiscard]] auto leaky_relu(A&& a, double slope = 0.01) {
  return detail::make_unary(math::LeakyRelu{slope}, detail::as_node(std::forward<A>(a)));
}

/// f applied element by element, fused into the expression like the built-ins
/// (`Tensor<float, 2> y = ein::apply(f, A + B);`): f is any function of one
/// element (math/element.hpp's rows, a struct of their shape, ein::with_derivative,
/// a plain lambda); on Vars the same call also records f's derivative.
template <class F, ElementwiseOperand A>
  requires std::invocable<const F&, detail::scalar_t<A>>
[[nodiscard]] auto apply(F f, A&& a) {
  return detail::make_unary(std::move(f), detail::as_node(std::forward<A>(a)));
}
/// f applied to the elements of a and b at each index (equal extents, no broadcasting).
template <class F, ElementwiseOperand A, ElementwiseOperand B>
  requires std::invocable<const F&, detail::scalar_t<A>, detail::scalar_t<A>>
[[nodiscard]] auto apply(F f, A&& a, B&& b) {
  return detail::make_binary(std::move(f), detail::as_node(std::forward<A>(a)), detail::as_node(std::forward<B>(b)));
}

}  // namespace ein
