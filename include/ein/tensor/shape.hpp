// Index type, extents and row-major strides: the vocabulary of the tensor layer.
// Layer: tensor.
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>

#include "ein/spec/error.hpp"

namespace ein {

/// Signed, like Eigen::Index: strides may be negative and differences stay signed.
using index_t = std::ptrdiff_t;

template <std::size_t R>
using Extents = std::array<index_t, R>;

template <std::size_t R>
std::string to_string(const Extents<R>& extents);

namespace detail {
/// `a * b`, or -1 when the product does not fit index_t (a, b >= 0).
constexpr index_t product_or_overflow(index_t a, index_t b) {
  index_t out = 0;
  return __builtin_mul_overflow(a, b, &out) ? index_t(-1) : out;
}
/// The product of extents, or -1 when it does not fit index_t. An empty shape
/// (some extent 0) has 0 elements, however large the others.
constexpr index_t product_or_overflow(const index_t* extents, std::size_t count) {
  index_t n = 1;
  bool overflow = false;
  for (std::size_t d = 0; d < count; ++d) {
    if (extents[d] == 0) return 0;
    if (!overflow) {
      n = product_or_overflow(n, extents[d]);
      overflow = n < 0;
    }
  }
  return overflow ? index_t(-1) : n;
}
}  // namespace detail

/// The number of elements of `extents`. Throws shape_error when it does not fit
/// index_t: never a wrapped or negative count for a non-empty shape.
template <std::size_t R>
[[noreturn, gnu::cold, gnu::noinline]] void throw_count_overflow(const Extents<R>& extents) {
  throw shape_error("ein: the element count of extents " + to_string(extents) + " overflows a 64-bit index");
}
template <std::size_t R>
constexpr index_t element_count(const Extents<R>& extents) {
  const index_t n = detail::product_or_overflow(extents.data(), R);
  if (n < 0) throw_count_overflow(extents);
  return n;
}

/// Row-major (C order) strides of dense extents, in elements. An axis whose stride
/// would overflow only exists in an empty shape; its stride is 0 (never used).
template <std::size_t R>
constexpr std::array<index_t, R> row_major_strides(const Extents<R>& extents) {
  std::array<index_t, R> strides{};
  index_t step = 1;
  for (std::size_t d = R; d-- > 0;) {
    strides[d] = step;
    step = step < 0 ? step : detail::product_or_overflow(step, extents[d]);
  }
  for (index_t& s : strides) s = s < 0 ? 0 : s;
  if (step < 0) (void)element_count(extents);  // throws unless some extent is 0
  return strides;
}

/// The same for extents whose element count is known to fit (a tensor's: its
/// constructor checked it), without the overflow checks: no partial product can
/// exceed a count that fits, unless some extent is 0 (then row_major_strides).
template <std::size_t R>
constexpr std::array<index_t, R> unchecked_row_major_strides(const Extents<R>& extents) {
  for (std::size_t d = 0; d < R; ++d)
    if (extents[d] == 0) return row_major_strides(extents);
  std::array<index_t, R> strides{};
  index_t step = 1;
  for (std::size_t d = R; d-- > 0;) {
    strides[d] = step;
    step *= extents[d];
  }
  return strides;
}

/// The bytes of `count` elements of T. Throws shape_error, naming `extents`, when
/// they do not fit a signed 64-bit size (what operator new and pointer differences need).
template <std::size_t R>
[[noreturn, gnu::cold, gnu::noinline]] void throw_byte_overflow(const Extents<R>& extents, std::size_t element_bytes) {
  throw shape_error("ein: the byte count of extents " + to_string(extents) + " (" + std::to_string(element_bytes) +
                    " bytes an element) overflows a 64-bit size");
}
template <class T, std::size_t R>
index_t byte_count(const Extents<R>& extents) {
  const index_t bytes = detail::product_or_overflow(element_count(extents), static_cast<index_t>(sizeof(T)));
  if (bytes < 0) throw_byte_overflow(extents, sizeof(T));
  return bytes;
}

template <std::size_t R>
[[gnu::cold]] std::string to_string(const Extents<R>& extents) {
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

/// Whether operator() checks its indices: in builds without NDEBUG, or with
/// EIN_CHECKS=1 (EIN_CHECKS=0 turns the checks off in any build). .at() always checks.
#ifndef EIN_CHECKS
#ifdef NDEBUG
#define EIN_CHECKS 0
#else
#define EIN_CHECKS 1
#endif
#endif
inline constexpr bool index_checks = EIN_CHECKS != 0;

/// Throws std::out_of_range unless 0 <= at[d] < extents[d] on every axis.
template <std::size_t R>
void check_index(const std::array<index_t, R>& at, const Extents<R>& extents, const char* who) {
  for (std::size_t d = 0; d < R; ++d)
    if (at[d] < 0 || at[d] >= extents[d])
      throw std::out_of_range(std::string(who) + ": index " + to_string(at) + " is out of range for extents " +
                              to_string(extents));
}

template <std::size_t R>
void check_extents(const Extents<R>& extents, const char* who) {
  for (index_t e : extents)
    if (e < 0) throw shape_error(std::string(who) + ": negative extent in " + to_string(extents));
}

/// A view's extents and strides: no negative extent, and the furthest elements it
/// can reach lie within a 64-bit offset of its origin. Its element count may exceed
/// index_t (zero strides broadcast); what needs the count checks it (element_count).
template <std::size_t R>
void check_view_layout(const Extents<R>& extents, const std::array<index_t, R>& strides, const char* who) {
  check_extents(extents, who);
  if (product_or_overflow(extents.data(), R) == 0) return;
  index_t lo = 0, hi = 0;
  for (std::size_t d = 0; d < R; ++d) {
    const index_t s = strides[d];
    const index_t reach =
        s == std::numeric_limits<index_t>::min() ? index_t(-1) : product_or_overflow(extents[d] - 1, s < 0 ? -s : s);
    index_t& side = s < 0 ? lo : hi;
    if (reach < 0 || __builtin_add_overflow(side, reach, &side))
      throw shape_error(std::string(who) + ": extents " + to_string(extents) + " with strides " + to_string(strides) +
                      " reach beyond a 64-bit offset");
  }
}

/// Throws shape_error unless there is one class label per row of `rows` (logits,
/// images): "who: 2 labels for logits of extents (3, 4) (one label per row)".
inline void check_label_count(const char* who, const char* rows_name, std::size_t labels, const Extents<2>& rows) {
  if (static_cast<index_t>(labels) != rows[0])
    throw shape_error(std::string(who) + ": " + std::to_string(labels) + " labels for " + rows_name + " of extents " +
                      to_string(rows) + " (one label per row)");
}
}  // namespace detail

}  // namespace ein
