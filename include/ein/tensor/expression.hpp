// The contract between tensors and lazy expressions: anything that can write
// itself into a strided destination. Tensors and views accept any such
// expression in =, += and -=. Layer: tensor.
#pragma once

#include <concepts>
#include <cstddef>

namespace ein {

template <class T, std::size_t R>
class TensorView;

/// A lazy expression yields extents and writes `dst = alpha * expr + beta * dst`.
/// `overlaps(begin, end)` tells whether it reads memory in [begin, end), so that
/// assignment can detect aliasing and evaluate into a temporary first.
template <class E>
concept Expression = requires(const E& e, TensorView<typename E::value_type, E::rank> dst,
                              typename E::value_type scale, const void* p) {
  typename E::value_type;
  { E::rank } -> std::convertible_to<std::size_t>;
  { e.extents() };
  e.evaluate_into(dst, scale, scale);
  { e.overlaps(p, p) } -> std::convertible_to<bool>;
};

/// A lazy expression whose rank is known only at run time (ein::einsum("spec", ...)):
/// the same members, with the rank as a template argument of extents and evaluate_into,
/// which throw when it is not the expression's. Tensors accept one in =, += and -=.
template <class E, std::size_t R>
concept RuntimeRankExpression = requires(const E& e, TensorView<typename E::value_type, R> dst,
                                         typename E::value_type scale, const void* p) {
  typename E::value_type;
  { e.template extents<R>() };
  e.template evaluate_into<R>(dst, scale, scale);
  { e.overlaps(p, p) } -> std::convertible_to<bool>;
};

/// An expression of rank R: known at compile time (Expression) or checked when it
/// runs (RuntimeRankExpression). Tensors and views accept either in +=, -=.
template <class E, std::size_t R>
concept ExpressionOfRank = (Expression<E> && E::rank == R) || RuntimeRankExpression<E, R>;

namespace detail {
/// The extents of an expression of rank R (a run-time rank checked: ein::spec_error).
template <std::size_t R, class E>
auto extents_of(const E& e) {
  if constexpr (Expression<E>) return e.extents();
  else return e.template extents<R>();
}
}  // namespace detail

/// Whether a lazy expression of another device (expr/device_einsum.hpp) may give a
/// rank-R result: its rank is R, or (a spec given at run time) it is checked when it runs.
template <class E, std::size_t R>
concept DeviceExpressionOfRank = requires { requires E::rank == R; } || !requires { E::rank; };

}  // namespace ein
