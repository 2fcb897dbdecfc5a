// The one spec parser: constexpr, so the same code checks a literal spec at
// compile time and a std::string_view spec at run time. Layer: spec.
//
// Grammar (NumPy/PyTorch):  spec   := inputs [ "->" output ]
//                           inputs := term { "," term }
//                           term   := { label | "..." }   (one "..." at most)
// Labels are a-z and A-Z; whitespace is ignored anywhere. Without "->" the
// output is implicit: the ellipsis dimensions, then every label that occurs
// exactly once, sorted by character code.
#pragma once

#include <array>
#include <string_view>

#include "ein/spec/error.hpp"
#include "ein/spec/limits.hpp"

namespace ein {

/// One term of a parsed spec: its letters, where its ellipsis stands, and where
/// each letter sits in the text (for messages).
struct Term {
  std::array<char, max_rank> labels{};
  std::array<int, max_rank> positions{};
  int count = 0;         // letters, the ellipsis not counted
  int ellipsis_at = -1;  // index into labels before which "..." stands; -1 when absent
  int position = 0;      // where the term starts in the text

  [[nodiscard]] constexpr bool has_ellipsis() const { return ellipsis_at >= 0; }
  [[nodiscard]] constexpr int occurrences(char label) const {
    int n = 0;
    for (std::size_t i = 0; i < detail::ix(count); ++i) n += labels[i] == label;
    return n;
  }
};

/// A spec as parsed text: terms of letters, not yet bound to operand ranks.
struct ParsedSpec {
  std::array<Term, max_operands> inputs{};
  int num_inputs = 0;
  Term output{};
  bool explicit_output = false;
  Error error{};
};

constexpr bool is_label(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_space(char c) { return c == ' ' || c == '\t' || c == '\n' || c == '\r'; }

namespace detail {

constexpr ParsedSpec parse_failure(ErrorCode code, int position, char character) {
  ParsedSpec spec{};
  spec.error = Error{code, position, character};
  return spec;
}

// The implicit output: ellipsis first, then the labels that occur exactly once, by character code.
constexpr Term implicit_output(ParsedSpec& spec) {
  Term out{};
  bool any_ellipsis = false;
  int occurrences[128]{};
  for (int t = 0; t < spec.num_inputs; ++t) {
    const Term& term = spec.inputs[ix(t)];
    any_ellipsis = any_ellipsis || term.has_ellipsis();
    for (std::size_t i = 0; i < ix(term.count); ++i) ++occurrences[static_cast<unsigned char>(term.labels[i])];
  }
  if (any_ellipsis) out.ellipsis_at = 0;
  for (int c = 0; c < 128; ++c) {
    if (occurrences[c] != 1) continue;
    if (out.count == max_rank) {
      spec.error = Error{ErrorCode::term_too_long, -1, 0};
      return out;
    }
    {
      out.positions[ix(out.count)] = -1;
      out.labels[ix(out.count++)] = static_cast<char>(c);
    }
  }
  return out;
}

constexpr Error check_output(const ParsedSpec& spec) {
  const Term& out = spec.output;
  bool any_ellipsis = false;
  for (int t = 0; t < spec.num_inputs; ++t) any_ellipsis = any_ellipsis || spec.inputs[ix(t)].has_ellipsis();
  if (out.has_ellipsis() && !any_ellipsis)
    return Error{ErrorCode::output_ellipsis_not_in_input, out.position, '.'};
  for (std::size_t i = 0; i < ix(out.count); ++i) {
    const char label = out.labels[i];
    for (std::size_t j = 0; j < i; ++j)
      if (out.labels[j] == label) return Error{ErrorCode::output_label_repeated, out.positions[i], label};
    bool found = false;
    for (int t = 0; t < spec.num_inputs && !found; ++t) found = spec.inputs[ix(t)].occurrences(label) > 0;
    if (!found) return Error{ErrorCode::output_label_not_in_input, out.positions[i], label};
  }
  return Error{};
}

}  // namespace detail

/// Parses a spec. Never throws: a failure is reported in the result's `error`.
constexpr ParsedSpec parse(std::string_view text) {
  ParsedSpec spec{};
  spec.num_inputs = 1;
  Term* term = &spec.inputs[0];
  bool seen_anything = false;
  for (int pos = 0; pos < static_cast<int>(text.size()); ++pos) {
    const char c = text[detail::ix(pos)];
    if (is_space(c)) continue;
    if (!seen_anything) term->position = pos;
    seen_anything = true;
    if (is_label(c)) {
      if (term->count == max_rank) return detail::parse_failure(ErrorCode::term_too_long, pos, c);
      term->positions[detail::ix(term->count)] = pos;
      term->labels[detail::ix(term->count++)] = c;
    } else if (c == '.') {
      const bool whole =
          pos + 2 < static_cast<int>(text.size()) && text[detail::ix(pos + 1)] == '.' && text[detail::ix(pos + 2)] == '.';
      if (!whole) return detail::parse_failure(ErrorCode::broken_ellipsis, pos, c);
      if (term->has_ellipsis()) return detail::parse_failure(ErrorCode::two_ellipses, pos, c);
      term->ellipsis_at = term->count;
      pos += 2;
    } else if (c == ',') {
      if (spec.explicit_output) return detail::parse_failure(ErrorCode::bad_character, pos, c);
      if (spec.num_inputs == max_operands) return detail::parse_failure(ErrorCode::too_many_operands, pos, c);
      term = &spec.inputs[detail::ix(spec.num_inputs++)];
      term->position = pos + 1;
    } else if (c == '-' || c == '>') {
      if (c == '>' || pos + 1 >= static_cast<int>(text.size()) || text[detail::ix(pos + 1)] != '>')
        return detail::parse_failure(ErrorCode::broken_arrow, pos, c);
      if (spec.explicit_output) return detail::parse_failure(ErrorCode::two_arrows, pos, c);
      spec.explicit_output = true;
      term = &spec.output;
      term->position = pos + 2;
      ++pos;
    } else {
      return detail::parse_failure(ErrorCode::bad_character, pos, c);
    }
  }
  if (!seen_anything) return detail::parse_failure(ErrorCode::empty_spec, -1, 0);
  if (spec.explicit_output) {
    spec.error = detail::check_output(spec);
  } else {
    spec.output = detail::implicit_output(spec);
  }
  return spec;
}

}  // namespace ein
