// What einsum accepts as an operand, and how the expression holds it:
// tensors and views are borrowed (read in place, strides and all); a
// temporary tensor is moved in; any other lazy expression is evaluated once,
// at the call, into a tensor the expression owns. Eigen types plug in through
// operand_traits in backend/eigen/interop.hpp. Layer: expr.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "ein/tensor/expression.hpp"
#include "ein/tensor/tensor.hpp"
#include "ein/tensor/view.hpp"

namespace ein {

/// Specialise for a type to make it an einsum operand read in place:
/// `value_type`, `rank` and `static TensorView<const value_type, rank> view(const X&)`.
template <class X>
struct operand_traits;

template <class T, std::size_t R>
struct operand_traits<Tensor<T, R>> {
  using value_type = T;
  static constexpr std::size_t rank = R;
  static TensorView<const T, R> view(const Tensor<T, R>& x) { return x.view(); }
};

template <class T, std::size_t R>
struct operand_traits<TensorView<T, R>> {
  using value_type = std::remove_const_t<T>;
  static constexpr std::size_t rank = R;
  static TensorView<const value_type, R> view(const TensorView<T, R>& x) { return x; }
};

/// Something einsum reads in place.
template <class X>
concept ViewableOperand = requires { operand_traits<std::remove_cvref_t<X>>::rank; };

/// Anything einsum accepts: a viewable operand or a lazy expression.
template <class X>
concept EinsumOperand = ViewableOperand<X> || Expression<std::remove_cvref_t<X>>;

namespace detail {

template <class X, bool = ViewableOperand<X>>
struct operand_info {
  using traits = operand_traits<std::remove_cvref_t<X>>;
  using value_type = typename traits::value_type;
  static constexpr std::size_t rank = traits::rank;
};
template <class X>
struct operand_info<X, false> {
  using value_type = typename std::remove_cvref_t<X>::value_type;
  static constexpr std::size_t rank = std::remove_cvref_t<X>::rank;
};

template <class T, std::size_t R>
struct BorrowedOperand {
  TensorView<const T, R> held;
  [[nodiscard]] TensorView<const T, R> view() const { return held; }
  [[nodiscard]] bool overlaps(const void* begin, const void* end) const {
    const auto [b, e] = held.span_bytes();
    return ranges_overlap(b, e, begin, end);
  }
};

template <class T, std::size_t R>
struct OwnedOperand {
  Tensor<T, R> held;
  [[nodiscard]] TensorView<const T, R> view() const { return held.view(); }
  [[nodiscard]] bool overlaps(const void*, const void*) const { return false; }
};

template <class X>
constexpr bool owned_operand = !ViewableOperand<X> ||
                               (!std::is_lvalue_reference_v<X> && requires { typename std::remove_cvref_t<X>::value_type; } &&
                                std::is_same_v<std::remove_cvref_t<X>, Tensor<typename operand_info<X>::value_type,
                                                                                operand_info<X>::rank>>);

template <class X>
using holder_t = std::conditional_t<owned_operand<X>,
                                    OwnedOperand<typename operand_info<X>::value_type, operand_info<X>::rank>,
                                    BorrowedOperand<typename operand_info<X>::value_type, operand_info<X>::rank>>;

template <class X>
holder_t<X> make_holder(X&& x) {
  using Info = operand_info<X>;
  if constexpr (!ViewableOperand<X>) {
    return {Tensor<typename Info::value_type, Info::rank>(x)};
  } else if constexpr (owned_operand<X>) {
    return {std::move(x)};
  } else {
    return {operand_traits<std::remove_cvref_t<X>>::view(x)};
  }
}

}  // namespace detail
}  // namespace ein
