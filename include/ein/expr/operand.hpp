// What einsum accepts as an operand, and how the expression holds it:
// lvalue tensors, views and Eigen objects are borrowed (read in place, strides
// and all); an rvalue of any of them is moved in (the expression owns it); any
// other lazy expression is evaluated once, at the call, into a tensor the
// expression owns. Eigen types plug in through
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

/// An lvalue operand: read in place, so it must outlive the expression (as with Eigen).
template <class T, std::size_t R>
struct BorrowedOperand {
  TensorView<const T, R> held;
  // (A reference: the fast paths ask for it several times a call.)
  [[nodiscard]] const TensorView<const T, R>& view() const { return held; }
  [[nodiscard]] bool overlaps(const void* begin, const void* end) const {
    const auto [b, e] = held.span_bytes();
    return ranges_overlap(b, e, begin, end);
  }
};

/// An rvalue operand, moved into the expression, so a stored expression never
/// dangles: `auto e = einsum<"ij->i">(Eigen::MatrixXf(M * 2));` owns the matrix, and
/// an rvalue view or map keeps what it refers to as before. Its view is taken anew at
/// each use: a moved Eigen fixed-size matrix has moved its elements too.
template <class X>
struct OwnedOperand {
  X held;
  using traits = operand_traits<X>;
  [[nodiscard]] TensorView<const typename traits::value_type, traits::rank> view() const { return traits::view(held); }
  [[nodiscard]] bool overlaps(const void* begin, const void* end) const {
    const auto [b, e] = view().span_bytes();
    return ranges_overlap(b, e, begin, end);
  }
};

/// Operand types whose copies do not keep what the original refers to (Eigen::Ref
/// of a temporary): an rvalue of one is copied into an ein::Tensor instead.
template <class X>
constexpr bool copy_keeps_elements() {
  if constexpr (requires { operand_traits<X>::copy_keeps_elements; }) return operand_traits<X>::copy_keeps_elements;
  else return true;
}

template <class X>
constexpr bool owned_operand = !ViewableOperand<X> || !std::is_lvalue_reference_v<X>;

template <class X>
using owned_type_t =
    std::conditional_t<ViewableOperand<X> && copy_keeps_elements<std::remove_cvref_t<X>>(), std::remove_cvref_t<X>,
                       Tensor<typename operand_info<X>::value_type, operand_info<X>::rank>>;

template <class X>
using holder_t = std::conditional_t<owned_operand<X>, OwnedOperand<owned_type_t<X>>,
                                    BorrowedOperand<typename operand_info<X>::value_type, operand_info<X>::rank>>;

/// A dense copy of a viewable operand.
template <class T, std::size_t R, class V>
Tensor<T, R> dense_copy(const V& v) {
  Tensor<T, R> copy(v.extents());
  index_t i = 0;
  for_each_index(v.extents(), [&](const std::array<index_t, R>& at) {
    index_t offset = 0;
    for (std::size_t d = 0; d < R; ++d) offset += at[d] * v.stride(d);
    copy.data()[i++] = v.data()[offset];
  });
  return copy;
}

template <class X>
holder_t<X> make_holder(X&& x) {
  using Info = operand_info<X>;
  using Owned = owned_type_t<X>;
  if constexpr (!ViewableOperand<X>) {
    return {Tensor<typename Info::value_type, Info::rank>(x)};
  } else if constexpr (!owned_operand<X>) {
    return {operand_traits<std::remove_cvref_t<X>>::view(x)};
  } else if constexpr (std::is_same_v<Owned, std::remove_cvref_t<X>>) {
    return {std::move(x)};
  } else {
    return {dense_copy<typename Info::value_type, Info::rank>(operand_traits<std::remove_cvref_t<X>>::view(x))};
  }
}

}  // namespace detail
}  // namespace ein
