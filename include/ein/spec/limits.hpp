// Fixed capacities of a parsed spec. They bound plain arrays so that a parsed
// spec is a constexpr value with no allocation. Layer: spec.
#pragma once

#include <cstddef>

namespace ein {

/// Most operands one einsum takes.
inline constexpr int max_operands = 16;
/// Most axes one operand (or the output) may have, ellipsis dimensions included.
inline constexpr int max_rank = 16;
/// Letters a-z and A-Z, plus one label per ellipsis dimension.
inline constexpr int max_labels = 52 + max_rank;

namespace detail {

/// An axis, label id, operand or step number as the std::size_t that indexes an
/// array. ein counts these in int (as the limits above), and arrays take size_t:
/// the conversion, free, is spelled out here once, so that user code built with
/// -Wsign-conversion sees none implicit. `i` is never negative where it is used.
[[nodiscard]] constexpr std::size_t ix(int i) noexcept { return static_cast<std::size_t>(i); }

}  // namespace detail
}  // namespace ein
