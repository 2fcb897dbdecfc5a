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
/// which throw when it is not the expression's. Tensors accept one in =.
template <class E, std::size_t R>
concept RuntimeRankExpression = requires(const E& e, TensorView<typename E::value_type, R> dst,
                                         typename E::value_type scale, const void* p) {
  typename E::value_type;
  { e.template extents<R>() };
  e.template evaluate_into<R>(dst, scale, scale);
  { e.overlaps(p, p) } -> std::convertible_to<bool>;
};

}  // namespace ein
