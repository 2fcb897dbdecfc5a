// Fixed capacities of a parsed spec. They bound plain arrays so that a parsed
// spec is a constexpr value with no allocation. Layer: spec.
#pragma once

namespace ein {

/// Most operands one einsum takes.
inline constexpr int max_operands = 16;
/// Most axes one operand (or the output) may have, ellipsis dimensions included.
inline constexpr int max_rank = 16;
/// Most characters (labels plus ellipsis) one term may hold.
inline constexpr int max_term_chars = 24;
/// Letters a-z and A-Z, plus one label per ellipsis dimension.
inline constexpr int max_labels = 52 + max_rank;

}  // namespace ein
