// What the tests that hold ein to the oracle share: operands laid out in
// several storage orders, and the comparison of a result with the oracle's.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstddef>
#include <limits>
#include <string>
#include <vector>

#include "ein/backend/reference/naive.hpp"
#include "ein/tensor/view.hpp"

namespace ein_test {

using ein::index_t;

/// Lays an array out in `buffer` as: 0 dense row-major, 1 column-major, 2 padded
/// (a gap after every row of every axis), 3 padded with axis 0 reversed (a
/// negative stride), 4 dense with a permuted axis order, 5 padded with zero
/// strides on size-1 axes. Gaps hold -999, which a correct engine never reads.
template <std::size_t R, class T>
ein::TensorView<const T, R> lay_out(const ein::reference::Array<T>& a, int layout, std::vector<T>& buffer) {
  ein::Extents<R> extents{};
  for (std::size_t d = 0; d < R; ++d) extents[d] = a.extents[d];  // not std::copy: g++ 12 -Wnonnull for R = 0
  std::array<index_t, R> strides{};
  index_t step = 1;
  for (std::size_t i = 0; i < R; ++i) {
    // 0 row-major, 1 column-major, 2 padded, 3 padded with axis 0 reversed,
    // 4 the middle axes fastest (a permuted storage order), 5 padded with zero
    // strides on size-1 axes (as a broadcast view has).
    std::size_t d = layout == 1 ? i : R - 1 - i;
    if (layout == 4) d = (i + R / 2) % (R > 0 ? R : 1);  // (R = 0 never enters the loop; Clang warns of % 0)
    strides[d] = layout == 5 && extents[d] == 1 ? 0 : step;
    step *= std::max<index_t>(extents[d], 1) + (layout >= 2 && layout != 4 ? 1 : 0);
  }
  index_t base = 0;
  if (layout == 3 && R > 0 && extents[0] > 0) {
    base = (extents[0] - 1) * strides[0];
    strides[0] = -strides[0];
  }
  buffer.assign(static_cast<std::size_t>(step) + 1, T(-999));
  const ein::TensorView<T, R> view(buffer.data() + base, extents, strides);
  std::size_t i = 0;
  ein::detail::for_each_index(extents, [&](const std::array<index_t, R>& at) {
    index_t off = 0;
    for (std::size_t d = 0; d < R; ++d) off += at[d] * strides[d];
    view.data()[off] = a.values[i++];
  });
  return view;
}

/// How a result compares with the oracle's.
struct Comparison {
  bool agree = true;
  double worst = 0;  // largest error / tolerance
  std::string why;   // when they disagree
};

/// Agreement within rounding: an element summing p products of n factors is off
/// by less than (p + n) eps sum|product| in any summation order; we allow p + n + 4.
template <class T>
Comparison compare(const ein::reference::Array<T>& got, const ein::reference::Result<T>& want, std::size_t factors) {
  Comparison c;
  if (got.extents != want.value.extents) {
    c.agree = false;
    c.why = "ein's result has extents (";
    for (index_t e : got.extents) {  // appended piecewise: `" " + std::to_string(e)` trips g++ 12's
      c.why += ' ';                  // false -Wrestrict (GCC bug 105329)
      c.why += std::to_string(e);
    }
    c.why += " )";
    return c;
  }
  const double eps = std::numeric_limits<T>::epsilon();
  const double allowance = eps * (static_cast<double>(want.products) + static_cast<double>(factors) + 4);
  std::size_t worst_at = 0;
  for (std::size_t i = 0; i < want.value.values.size(); ++i) {
    const double error = std::fabs(static_cast<double>(got.values[i]) - static_cast<double>(want.value.values[i]));
    const double ratio = error / (allowance * static_cast<double>(want.magnitude.values[i]) + 1e-300);
    if (!(ratio <= c.worst)) {  // NaN lands here too
      c.worst = std::isnan(ratio) ? std::numeric_limits<double>::infinity() : ratio;
      worst_at = i;
    }
  }
  if (c.worst > 1) {
    c.agree = false;
    c.why = "max error " +
            std::to_string(std::fabs(static_cast<double>(got.values[worst_at]) -
                                     static_cast<double>(want.value.values[worst_at]))) +
            " at element " + std::to_string(worst_at) + " (ein " + std::to_string(got.values[worst_at]) +
            ", oracle " + std::to_string(want.value.values[worst_at]) + "), " + std::to_string(c.worst) +
            " times the tolerance";
  }
  return c;
}

}  // namespace ein_test
