// Index type, extents and row-major strides: the vocabulary of the tensor layer.
// Layer: tensor.
#pragma once

#include <array>
#include <cstddef>
#include <string>

#include "ein/spec/error.hpp"

namespace ein {

/// Signed, like Eigen::Index: strides may be negative and differences stay signed.
using index_t = std::ptrdiff_t;

template <std::size_t R>
using Extents = std::array<index_t, R>;

/// Row-major (C order) strides of dense extents, in elements.
template <std::size_t R>
constexpr std::array<index_t, R> row_major_strides(const Extents<R>& extents) {
  std::array<index_t, R> strides{};
  index_t step = 1;
  for (std::size_t d = R; d-- > 0;) {
    strides[d] = step;
    step *= extents[d];
  }
  return strides;
}

template <std::size_t R>
constexpr index_t element_count(const Extents<R>& extents) {
  index_t n = 1;
  for (index_t e : extents) n *= e;
  return n;
}

template <std::size_t R>
std::string to_string(const Extents<R>& extents) {
  std::string out = "(";
  for (std::size_t d = 0; d < R; ++d) out += (d ? ", " : "") + std::to_string(extents[d]);
  return out + ")";
}

namespace detail {
/// Calls f(index) for every multi-index of `extents` in row-major order.
template <std::size_t R, class F>
void for_each_index(const Extents<R>& extents, F&& f) {
  for (index_t e : extents)
    if (e == 0) return;
  std::array<index_t, R> at{};
  while (true) {
    f(static_cast<const std::array<index_t, R>&>(at));
    std::size_t d = R;
    while (d > 0) {
      --d;
      if (++at[d] < extents[d]) break;
      at[d] = 0;
      if (d == 0) return;
    }
    if constexpr (R == 0) return;
  }
}

template <std::size_t R>
void check_extents(const Extents<R>& extents, const char* who) {
  for (index_t e : extents)
    if (e < 0) throw shape_error(std::string(who) + ": negative extent in " + to_string(extents));
}
}  // namespace detail

}  // namespace ein
