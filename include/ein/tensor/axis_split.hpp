// AxisSplit: a row-major tensor seen as [outer, n, inner] around one axis, the
// shape softmax and log_softmax work along on every device. Layer: tensor.
#pragma once

#include <string>

#include "ein/tensor/shape.hpp"

namespace ein::detail {

/// Element (o, k, i) sits at (o * n + k) * inner + i.
struct AxisSplit {
  index_t outer = 1, n = 1, inner = 1;

  /// f(first, stride): once per line along the axis, its first element and step.
  template <class F>
  void for_each_line(F&& f) const {
    for (index_t o = 0; o < outer; ++o)
      for (index_t i = 0; i < inner; ++i) f(o * n * inner + i, inner);
  }
};

/// Checks `dim` (negative counts from the end, like PyTorch) and splits there.
template <std::size_t R>
AxisSplit split_at_axis(const char* who, const Extents<R>& extents, int dim) {
  const int rank = static_cast<int>(R);
  if (dim < -rank || dim >= rank)
    throw shape_error(std::string(who) + ": dim " + std::to_string(dim) + " is out of range for extents " +
                      to_string(extents));
  const auto axis = static_cast<std::size_t>(dim < 0 ? dim + rank : dim);
  AxisSplit s;
  for (std::size_t d = 0; d < R; ++d) {
    if (d < axis) s.outer *= extents[d];
    else if (d == axis) s.n = extents[d];
    else s.inner *= extents[d];
  }
  return s;
}

}  // namespace ein::detail
