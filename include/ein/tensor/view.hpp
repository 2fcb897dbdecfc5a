// TensorView: a rank-R window on memory someone else owns, with arbitrary
// (even negative or zero) strides in elements. Layer: tensor.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <type_traits>
#include <utility>

#include "ein/tensor/expression.hpp"
#include "ein/tensor/shape.hpp"

namespace ein {

namespace detail {
/// [first, end) of the elements a strided layout can touch ({data, data} where an axis
/// is empty: a broadcast view's element count may not fit a count).
template <class T>
std::pair<T*, T*> element_range(T* data, std::size_t rank, const index_t* extents, const index_t* strides) {
  for (std::size_t d = 0; d < rank; ++d)
    if (extents[d] == 0) return {data, data};
  index_t lo = 0, hi = 0;
  for (std::size_t d = 0; d < rank; ++d) {
    const index_t reach = (extents[d] - 1) * strides[d];
    (reach < 0 ? lo : hi) += reach;
  }
  return {data + lo, data + hi + 1};
}
}  // namespace detail

template <class T, std::size_t R>
class TensorView {
 public:
  using value_type = std::remove_const_t<T>;
  using element_type = T;
  static constexpr std::size_t rank = R;

  TensorView() = default;
  /// A view with explicit strides (in elements, per axis).
  TensorView(T* data, const Extents<R>& extents, const std::array<index_t, R>& strides)
      : data_(data), extents_(extents), strides_(strides) {
    detail::check_view_layout(extents, strides, "TensorView");
  }
  /// A dense row-major view.
  TensorView(T* data, const Extents<R>& extents) : TensorView(data, extents, row_major_strides(extents)) {}
  /// A view whose extents are known valid (a tensor's own): no check.
  struct trusted_t {};
  TensorView(T* data, const Extents<R>& extents, trusted_t)
      : data_(data), extents_(extents), strides_(unchecked_row_major_strides(extents)) {}

  /// A view on mutable data converts to a view on const data.
  template <class U>
    requires(std::is_const_v<T> && std::same_as<const U, T>)
  TensorView(const TensorView<U, R>& other)  // NOLINT: implicit like a pointer conversion
      : data_(other.data()), extents_(other.extents()), strides_(other.strides()) {}

  [[nodiscard]] T* data() const { return data_; }
  [[nodiscard]] const Extents<R>& extents() const { return extents_; }
  [[nodiscard]] const std::array<index_t, R>& strides() const { return strides_; }
  [[nodiscard]] index_t extent(std::size_t d) const { return extents_[d]; }
  [[nodiscard]] index_t stride(std::size_t d) const { return strides_[d]; }
  [[nodiscard]] index_t size() const { return element_count(extents_); }

  /// The element at a multi-index; checked as .at() is when index_checks is on
  /// (builds without NDEBUG, or EIN_CHECKS=1), unchecked otherwise.
  template <std::convertible_to<index_t>... Idx>
    requires(sizeof...(Idx) == R)
  T& operator()(Idx... idx) const {
    return data_[offset_of<detail::index_checks>(std::array<index_t, R>{static_cast<index_t>(idx)...})];
  }
  /// The element at a multi-index; throws std::out_of_range outside the extents.
  template <std::convertible_to<index_t>... Idx>
    requires(sizeof...(Idx) == R)
  T& at(Idx... idx) const {
    return data_[offset_of<true>(std::array<index_t, R>{static_cast<index_t>(idx)...})];
  }

  /// Evaluates an expression into the viewed memory; its extents must match (and a
  /// run-time spec's rank, ExpressionOfRank).
  template <class E>
    requires(!std::is_const_v<T> && ExpressionOfRank<E, R>)
  const TensorView& operator=(const E& expr) const {
    assign(expr, value_type(1), value_type(0));
    return *this;
  }
  template <class E>
    requires(!std::is_const_v<T> && ExpressionOfRank<E, R>)
  const TensorView& operator+=(const E& expr) const {
    assign(expr, value_type(1), value_type(1));
    return *this;
  }
  template <class E>
    requires(!std::is_const_v<T> && ExpressionOfRank<E, R>)
  const TensorView& operator-=(const E& expr) const {
    assign(expr, value_type(-1), value_type(1));
    return *this;
  }
  TensorView(const TensorView&) = default;
  TensorView& operator=(const TensorView&) = default;  // rebinds, like std::span

  /// `*this = alpha * expr + beta * *this`, through a temporary when expr reads this memory.
  template <class E>
    requires ExpressionOfRank<E, R>
  void assign(const E& expr, value_type alpha, value_type beta) const;

  /// [first, last) byte range the view can touch (for aliasing checks).
  [[nodiscard]] std::pair<const void*, const void*> span_bytes() const {
    return detail::element_range(data_, R, extents_.data(), strides_.data());
  }

 private:
  template <bool Checked>
  index_t offset_of(const std::array<index_t, R>& at) const {
    if constexpr (Checked) detail::check_index(at, extents_, "ein::TensorView");
    index_t offset = 0;
    for (std::size_t d = 0; d < R; ++d) offset += at[d] * strides_[d];
    return offset;
  }

  T* data_ = nullptr;
  Extents<R> extents_{};
  std::array<index_t, R> strides_{};
};

/// Whether two byte ranges [a0, a1) and [b0, b1) intersect.
inline bool ranges_overlap(const void* a0, const void* a1, const void* b0, const void* b1) {
  const auto* x0 = static_cast<const char*>(a0);
  const auto* x1 = static_cast<const char*>(a1);
  const auto* y0 = static_cast<const char*>(b0);
  const auto* y1 = static_cast<const char*>(b1);
  return x0 < y1 && y0 < x1;
}

}  // namespace ein
