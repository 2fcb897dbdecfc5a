// LabelSet: a constexpr set of label ids (at most ein::max_labels). Layer: plan.
#pragma once

#include <bit>
#include <cstdint>

#include "ein/spec/limits.hpp"

namespace ein {

struct LabelSet {
  static_assert(max_labels <= 128, "LabelSet holds 128 labels");
  std::uint64_t bits[2]{};

  constexpr void add(int label) { bits[label >> 6] |= std::uint64_t{1} << (label & 63); }
  constexpr void remove(int label) { bits[label >> 6] &= ~(std::uint64_t{1} << (label & 63)); }
  [[nodiscard]] constexpr bool has(int label) const { return (bits[label >> 6] >> (label & 63)) & 1U; }
  [[nodiscard]] constexpr bool empty() const { return (bits[0] | bits[1]) == 0; }
  [[nodiscard]] constexpr int count() const { return std::popcount(bits[0]) + std::popcount(bits[1]); }

  friend constexpr LabelSet operator|(LabelSet a, LabelSet b) { return {{a.bits[0] | b.bits[0], a.bits[1] | b.bits[1]}}; }
  friend constexpr LabelSet operator&(LabelSet a, LabelSet b) { return {{a.bits[0] & b.bits[0], a.bits[1] & b.bits[1]}}; }
  friend constexpr LabelSet operator-(LabelSet a, LabelSet b) { return {{a.bits[0] & ~b.bits[0], a.bits[1] & ~b.bits[1]}}; }
  friend constexpr bool operator==(LabelSet a, LabelSet b) = default;

  /// Calls f(label) for each member in increasing order.
  template <class F>
  constexpr void for_each(F&& f) const {
    for (int word = 0; word < 2; ++word)
      for (std::uint64_t w = bits[word]; w != 0; w &= w - 1) f(word * 64 + std::countr_zero(w));
  }
};

}  // namespace ein
