// TensorView: a rank-R window on memory someone else owns, with arbitrary
// (even negative or zero) strides in elements. Layer: tensor.
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <type_traits>

#include "ein/tensor/expression.hpp"
#include "ein/tensor/shape.hpp"

namespace ein {

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
    detail::check_extents(extents, "TensorView");
  }
  /// A dense row-major view.
  TensorView(T* data, const Extents<R>& extents) : TensorView(data, extents, row_major_strides(extents)) {}
  /// A view whose extents are known valid (a tensor's own): no check.
  struct trusted_t {};
  TensorView(T* data, const Extents<R>& extents, trusted_t)
      : data_(data), extents_(extents), strides_(row_major_strides(extents)) {}

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

  template <std::convertible_to<index_t>... Idx>
    requires(sizeof...(Idx) == R)
  T& operator()(Idx... idx) const {
    const std::array<index_t, R> at{static_cast<index_t>(idx)...};
    index_t offset = 0;
    for (std::size_t d = 0; d < R; ++d) offset += at[d] * strides_[d];
    return data_[offset];
  }

  /// Evaluates an expression into the viewed memory; its extents must match.
  template <Expression E>
    requires(!std::is_const_v<T> && E::rank == R)
  const TensorView& operator=(const E& expr) const {
    assign(expr, value_type(1), value_type(0));
    return *this;
  }
  template <Expression E>
    requires(!std::is_const_v<T> && E::rank == R)
  const TensorView& operator+=(const E& expr) const {
    assign(expr, value_type(1), value_type(1));
    return *this;
  }
  template <Expression E>
    requires(!std::is_const_v<T> && E::rank == R)
  const TensorView& operator-=(const E& expr) const {
    assign(expr, value_type(-1), value_type(1));
    return *this;
  }
  TensorView(const TensorView&) = default;
  TensorView& operator=(const TensorView&) = default;  // rebinds, like std::span

  /// `*this = alpha * expr + beta * *this`, through a temporary when expr reads this memory.
  template <Expression E>
  void assign(const E& expr, value_type alpha, value_type beta) const;

  /// [first, last) byte range the view can touch (for aliasing checks).
  [[nodiscard]] std::pair<const void*, const void*> span_bytes() const {
    if (size() == 0) return {data_, data_};
    index_t lo = 0, hi = 0;
    for (std::size_t d = 0; d < R; ++d) {
      const index_t reach = (extents_[d] - 1) * strides_[d];
      (reach < 0 ? lo : hi) += reach;
    }
    return {data_ + lo, data_ + hi + 1};
  }

 private:
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
