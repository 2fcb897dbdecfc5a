// Turns an error value into one short compile-time diagnostic. g++ 12 has no
// computed static_assert messages, so each code has a class template named after
// the problem whose arguments carry the spec, the position and the character; the
// compiler prints them in the one "required from" line it shows. Layer: spec.
#pragma once

#include "ein/spec/error.hpp"
#include "ein/spec/fixed_string.hpp"

namespace ein::diagnostic {

template <auto...>
inline constexpr bool always_false = false;

// Each message repeats the words of ein::message(code); tests/spec keeps them in step.
template <fixed_string Spec>
struct empty_spec { static_assert(always_false<Spec>, "einsum: the spec is empty"); };
template <fixed_string Spec, int Position, char Character>
struct character_is_not_a_label {
  static_assert(always_false<Spec, Position, Character>, "einsum: a character is not a label (labels are the letters a-z and A-Z)");
};
template <fixed_string Spec, int Position>
struct broken_ellipsis {
  static_assert(always_false<Spec, Position>, "einsum: '.' that is not part of an ellipsis '...'");
};
template <fixed_string Spec, int Position>
struct two_ellipses_in_one_term {
  static_assert(always_false<Spec, Position>, "einsum: a term has two ellipses '...'");
};
template <fixed_string Spec, int Position>
struct broken_arrow {
  static_assert(always_false<Spec, Position>, "einsum: a broken arrow: '-' must be followed by '>'");
};
template <fixed_string Spec, int Position>
struct two_arrows {
  static_assert(always_false<Spec, Position>, "einsum: the spec has more than one '->'");
};
template <fixed_string Spec, int Position>
struct too_many_operands {
  static_assert(always_false<Spec, Position>, "einsum: too many input terms (ein::max_operands)");
};
template <fixed_string Spec, int Position>
struct term_too_long {
  static_assert(always_false<Spec, Position>, "einsum: a term has too many labels (ein::max_rank)");
};
template <fixed_string Spec, int Position, char Label>
struct output_label_in_no_input {
  static_assert(always_false<Spec, Position, Label>, "einsum: a label is in the output but in no input");
};
template <fixed_string Spec, int Position, char Label>
struct output_label_repeated {
  static_assert(always_false<Spec, Position, Label>, "einsum: a label appears more than once in the output");
};
template <fixed_string Spec, int Position>
struct output_ellipsis_in_no_input {
  static_assert(always_false<Spec, Position>, "einsum: the output has an ellipsis '...' but no input has one");
};
template <fixed_string Spec, int InputTerms, int Operands>
struct wrong_number_of_operands {
  static_assert(always_false<Spec, InputTerms, Operands>,
                "einsum: the number of operands differs from the number of input terms");
};
template <fixed_string Spec, int Operand, int OperandRank, int TermLabels>
struct operand_rank_differs_from_term {
  static_assert(always_false<Spec, Operand, OperandRank, TermLabels>,
                "einsum: an operand's rank differs from its term's label count");
};
template <fixed_string Spec, int Operand, int OperandRank>
struct operand_rank_too_large {
  static_assert(always_false<Spec, Operand, OperandRank>, "einsum: an operand's rank exceeds ein::max_rank");
};

/// Instantiates exactly one of the templates above for the error E of spec S.
template <fixed_string S, Error E>
constexpr void report() {
  using enum ErrorCode;
  if constexpr (E.code == empty_spec) (void)diagnostic::empty_spec<S>{};
  else if constexpr (E.code == bad_character) (void)character_is_not_a_label<S, E.position, E.character>{};
  else if constexpr (E.code == broken_ellipsis) (void)diagnostic::broken_ellipsis<S, E.position>{};
  else if constexpr (E.code == two_ellipses) (void)two_ellipses_in_one_term<S, E.position>{};
  else if constexpr (E.code == broken_arrow) (void)diagnostic::broken_arrow<S, E.position>{};
  else if constexpr (E.code == two_arrows) (void)diagnostic::two_arrows<S, E.position>{};
  else if constexpr (E.code == too_many_operands) (void)diagnostic::too_many_operands<S, E.position>{};
  else if constexpr (E.code == term_too_long) (void)diagnostic::term_too_long<S, E.position>{};
  else if constexpr (E.code == output_label_not_in_input) (void)output_label_in_no_input<S, E.position, E.character>{};
  else if constexpr (E.code == output_label_repeated) (void)diagnostic::output_label_repeated<S, E.position, E.character>{};
  else if constexpr (E.code == output_ellipsis_not_in_input) (void)output_ellipsis_in_no_input<S, E.position>{};
  else if constexpr (E.code == wrong_operand_count) (void)wrong_number_of_operands<S, E.expected, E.actual>{};
  else if constexpr (E.code == rank_mismatch) (void)operand_rank_differs_from_term<S, E.operand, E.actual, E.expected>{};
  else if constexpr (E.code == rank_too_large) (void)operand_rank_too_large<S, E.operand, E.actual>{};
}

}  // namespace ein::diagnostic
