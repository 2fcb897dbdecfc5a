// How the two operands of an element-wise op on Vars line up, on every device
// (anything else throws ein::shape_error naming the op and both extents):
//   1. equal ranks: the extents must be equal; element i meets element i.
//   2. rank R >= 2 with rank 1 (either side): the rank-1 operand's extent must
//      equal the other's last extent, and it repeats along every leading axis; a
//      bias over the rows of [N, C] is `x + b` with b of extents (C).
//   3. rank 0 with rank R >= 1 (either side): the scalar repeats everywhere.
// A repeated operand's gradient is the sum over the elements it met. Layer: tensor.
#pragma once

#include <algorithm>
#include <string>

#include "ein/tensor/shape.hpp"

namespace ein::detail {

/// Which rank pairs a binary op on Vars accepts (cases 1-3 above).
template <std::size_t RA, std::size_t RB>
inline constexpr bool lines_up = RA == RB || RA == 0 || RB == 0 || (RA == 1 && RB >= 2) || (RB == 1 && RA >= 2);

/// Two operands walked together: `outer` rows of `inner` elements of the result;
/// each operand advances by its own steps (0 where it repeats).
struct Lineup {
  index_t outer = 1, inner = 0;
  index_t a_outer = 0, a_inner = 1, b_outer = 0, b_inner = 1;

  /// Elements of the result.
  [[nodiscard]] index_t size() const { return outer * inner; }
  /// f(result index, a index, b index) for every element of the result.
  template <class F>
  void for_each(F&& f) const {
    for_each_in(0, size(), f);
  }
  /// The same for the result indices [begin, end) only (a thread's share).
  template <class F>
  void for_each_in(index_t begin, index_t end, F&& f) const {
    if (begin >= end) return;
    for (index_t o = begin / inner, i = begin % inner, k = begin; k < end; ++o, i = 0)
      for (const index_t stop = std::min(end, (o + 1) * inner); k < stop; ++k, ++i)
        f(k, o * a_outer + i * a_inner, o * b_outer + i * b_inner);
  }
};

template <std::size_t RA, std::size_t RB>
Lineup line_up(const char* op, const Extents<RA>& a, const Extents<RB>& b) {
  Lineup l;
  const auto fail = [&](const std::string& why) {
    throw shape_error(std::string("Var '") + op + "': extents " + to_string(a) + " and " + to_string(b) + " " + why);
  };
  if constexpr (RA == RB) {
    if (a != b) fail("differ");
    l.inner = element_count(a);
  } else if constexpr (RA == 0 || RB == 0) {
    l.inner = std::max(element_count(a), element_count(b));
    if constexpr (RA == 0) l.a_inner = 0;
    else l.b_inner = 0;
  } else {
    // A rank-1 operand against the last axis of the other.
    const index_t last = RA == 1 ? b[RB - 1] : a[RA - 1];
    const index_t bias = RA == 1 ? a[0] : b[0];
    if (bias != last)
      fail("do not line up: a rank-1 operand must have the other's last extent (" + std::to_string(last) + ")");
    l.inner = last;
    l.outer = last == 0 ? 0 : std::max(element_count(a), element_count(b)) / last;
    if constexpr (RA == 1) l.b_outer = last;
    else l.a_outer = last;
  }
  return l;
}

/// The result's extents: the higher-rank operand's (a's when ranks are equal).
template <std::size_t RA, std::size_t RB>
auto result_extents(const Extents<RA>& a, const Extents<RB>& b) {
  if constexpr (RA >= RB) return a;
  else return b;
}

}  // namespace ein::detail
