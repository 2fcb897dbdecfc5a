// Binds a parsed spec to the operands' ranks: expands each "..." into labels of
// its own (aligned from the right, as NumPy broadcasts) and numbers every label
// compactly. The result is what the planner works on. Layer: spec.
#pragma once

#include <array>

#include "ein/spec/parse.hpp"

namespace ein {

/// A term bound to a rank: one label id per axis.
struct BoundTerm {
  std::array<unsigned char, max_rank> labels{};
  int rank = 0;
};

/// A spec bound to operand ranks. Labels are numbered 0..num_labels-1; an
/// ellipsis dimension is a label whose name is '.' (see ellipsis_dim).
struct BoundSpec {
  std::array<BoundTerm, max_operands> inputs{};
  int num_inputs = 0;
  BoundTerm output{};
  int num_labels = 0;
  std::array<char, max_labels> label_name{};        // the letter, or '.' for an ellipsis dimension
  std::array<signed char, max_labels> ellipsis_dim{};  // which ellipsis dimension (from the left), or -1
  Error error{};

  [[nodiscard]] constexpr bool in_output(int label) const {
    for (std::size_t i = 0; i < detail::ix(output.rank); ++i)
      if (output.labels[i] == label) return true;
    return false;
  }
};

namespace detail {

/// The axis of `label` in term t (-1: t lacks it).
constexpr int axis_in(const BoundTerm& t, int label) {
  for (int d = 0; d < t.rank; ++d)
    if (t.labels[ix(d)] == label) return d;
  return -1;
}
/// Whether term t repeats a label (a diagonal, "ii").
constexpr bool has_repeats(const BoundTerm& t) {
  for (std::size_t d = 0; d < ix(t.rank); ++d)
    for (std::size_t e = 0; e < d; ++e)
      if (t.labels[d] == t.labels[e]) return true;
  return false;
}

constexpr BoundSpec bind_failure(Error error) {
  BoundSpec bound{};
  bound.error = error;
  return bound;
}

// Lays out one term's axes: letters before the ellipsis, its dimensions, letters after.
constexpr Error lay_out(const Term& term, int ellipsis_rank, int broadcast_rank, const int (&letter_id)[128],
                        int first_ellipsis_id, BoundTerm& out) {
  const int rank = term.count + (term.has_ellipsis() ? ellipsis_rank : 0);
  if (rank > max_rank) return Error{ErrorCode::term_too_long, term.position, 0};
  out.rank = 0;
  for (int i = 0; i <= term.count; ++i) {
    if (i == term.ellipsis_at)
      for (int d = broadcast_rank - ellipsis_rank; d < broadcast_rank; ++d)
        out.labels[ix(out.rank++)] = static_cast<unsigned char>(first_ellipsis_id + d);
    if (i < term.count)
      out.labels[ix(out.rank++)] = static_cast<unsigned char>(letter_id[static_cast<unsigned char>(term.labels[ix(i)])]);
  }
  return Error{};
}

}  // namespace detail

/// Binds `spec` to operands of the given ranks. Never throws: failures land in `error`.
constexpr BoundSpec bind(const ParsedSpec& spec, const int* ranks, int num_operands) {
  // "" of one scalar is the identity (NumPy and PyTorch); of anything else, an error.
  if (spec.error.code == ErrorCode::empty_spec && num_operands == 1 && ranks[0] == 0) {
    BoundSpec identity{};
    identity.num_inputs = 1;
    return identity;
  }
  if (spec.error.failed()) return detail::bind_failure(spec.error);
  if (num_operands != spec.num_inputs)
    return detail::bind_failure(Error{ErrorCode::wrong_operand_count, -1, 0, -1, spec.num_inputs, num_operands});
  int ellipsis_rank[max_operands]{};
  int broadcast_rank = 0;
  for (int k = 0; k < num_operands; ++k) {
    const Term& term = spec.inputs[detail::ix(k)];
    if (ranks[k] > max_rank)
      return detail::bind_failure(Error{ErrorCode::rank_too_large, term.position, 0, k, term.count, ranks[k]});
    const bool fits = term.has_ellipsis() ? ranks[k] >= term.count : ranks[k] == term.count;
    if (!fits) return detail::bind_failure(Error{ErrorCode::rank_mismatch, term.position, 0, k, term.count, ranks[k]});
    ellipsis_rank[k] = term.has_ellipsis() ? ranks[k] - term.count : 0;
    if (ellipsis_rank[k] > broadcast_rank) broadcast_rank = ellipsis_rank[k];
  }

  BoundSpec bound{};
  bound.num_inputs = num_operands;
  int letter_id[128]{};
  for (int& id : letter_id) id = -1;
  for (int k = 0; k < num_operands; ++k) {
    const Term& term = spec.inputs[detail::ix(k)];
    for (std::size_t i = 0; i < detail::ix(term.count); ++i) {
      const auto c = static_cast<unsigned char>(term.labels[i]);
      if (letter_id[c] >= 0) continue;
      letter_id[c] = bound.num_labels;
      bound.label_name[detail::ix(bound.num_labels)] = term.labels[i];
      bound.ellipsis_dim[detail::ix(bound.num_labels++)] = -1;
    }
  }
  const int first_ellipsis_id = bound.num_labels;
  for (int d = 0; d < broadcast_rank; ++d) {
    bound.label_name[detail::ix(bound.num_labels)] = '.';
    bound.ellipsis_dim[detail::ix(bound.num_labels++)] = static_cast<signed char>(d);
  }
  for (int k = 0; k < num_operands; ++k) {
    const Error e = detail::lay_out(spec.inputs[detail::ix(k)], ellipsis_rank[k], broadcast_rank, letter_id,
                                    first_ellipsis_id, bound.inputs[detail::ix(k)]);
    if (e.failed()) return detail::bind_failure(e);
  }
  // An explicit output without "..." sums the ellipsis dimensions (PyTorch's rule).
  const Error e = detail::lay_out(spec.output, broadcast_rank, broadcast_rank, letter_id, first_ellipsis_id,
                                  bound.output);
  if (e.failed()) return detail::bind_failure(e);
  return bound;
}

/// Parses and binds in one call.
constexpr BoundSpec bind(std::string_view text, const int* ranks, int num_operands) {
  return bind(parse(text), ranks, num_operands);
}

}  // namespace ein
