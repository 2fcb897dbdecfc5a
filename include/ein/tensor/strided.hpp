// Strided: a rank-erased, labelled strided view, the form in which the engine
// passes operands between its steps and backends. Layer: tensor.
#pragma once

#include <array>

#include "ein/spec/limits.hpp"
#include "ein/tensor/shape.hpp"

namespace ein::detail {

template <class T>
struct Strided {
  T* data = nullptr;
  int rank = 0;
  std::array<unsigned char, max_rank> labels{};
  std::array<index_t, max_rank> extents{};
  std::array<index_t, max_rank> strides{};

  /// The axis holding `label`, or -1.
  [[nodiscard]] int axis_of(int label) const {
    for (int d = 0; d < rank; ++d)
      if (labels[ix(d)] == label) return d;
    return -1;
  }
  /// Stride of `label`, 0 when the operand does not carry it (it broadcasts).
  [[nodiscard]] index_t stride_of(int label) const {
    const int d = axis_of(label);
    return d < 0 ? 0 : strides[ix(d)];
  }
  /// The element count; -1 when it does not fit index_t (a broadcast view can be that large).
  [[nodiscard]] index_t size() const { return product_or_overflow(extents.data(), static_cast<std::size_t>(rank)); }
};

/// A dense row-major layout whose axes are `labels` in this order, each its label's
/// extent (label_extent[label]); no memory (data null): each backend's temporaries
/// place it, `size` elements.
template <class T>
Strided<T> dense_layout(const unsigned char* labels, int rank, const index_t* label_extent, index_t& size) {
  Strided<T> s;
  s.rank = rank;
  size = 1;
  for (std::size_t d = ix(rank); d-- > 0;) {
    s.labels[d] = labels[d];
    s.extents[d] = label_extent[labels[d]];
    s.strides[d] = size;
    size *= s.extents[d];
  }
  return s;
}

}  // namespace ein::detail
