// The error value a parse or a bind produces, the one table of its messages,
// and the exceptions thrown at run time. Layer: spec.
#pragma once

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ein {

// The one list of spec errors. Each row generates the ErrorCode, the message both
// entry points print, the layout of the run-time message and the compile-time
// diagnostic (diagnose.hpp), so that a new rule is one row:
//   X(code, diagnostic, subject, words, form, (template parameters), (their values))
// code: the ErrorCode. diagnostic: the class template a compile-time failure names
// (its template arguments, printed by the compiler, carry the spec and the numbers).
// words: the message; the run-time one quotes the label or character before them
// (form), the compile-time one puts `subject` there. form: what the run-time message
// adds (describe): plain (the position), character or label (quoted, with its
// position), counts (terms and operands), operand (its rank and its term's labels).
// The template parameters follow the spec's; their values are fields of Error E.
#define EIN_SPEC_ERRORS(X)                                                                                             \
  X(empty_spec, empty_spec, "", "the spec is empty", plain, (), ())                                                    \
  X(bad_character, character_is_not_a_label, "a character ", "is not a label (labels are the letters a-z and A-Z)",   \
    character, (int Position, char Character), (E.position, E.character))                                              \
  X(broken_ellipsis, broken_ellipsis, "", "'.' that is not part of an ellipsis '...'", plain, (int Position),          \
    (E.position))                                                                                                      \
  X(two_ellipses, two_ellipses_in_one_term, "", "a term has two ellipses '...'", plain, (int Position), (E.position))  \
  X(broken_arrow, broken_arrow, "", "a broken arrow: '-' must be followed by '>'", plain, (int Position),              \
    (E.position))                                                                                                      \
  X(two_arrows, two_arrows, "", "the spec has more than one '->'", plain, (int Position), (E.position))                \
  X(too_many_operands, too_many_operands, "", "too many input terms (ein::max_operands)", plain, (int Position),      \
    (E.position))                                                                                                      \
  X(term_too_long, term_too_long, "", "a term has too many labels (ein::max_rank)", plain, (int Position),            \
    (E.position))                                                                                                      \
  X(output_label_not_in_input, output_label_in_no_input, "a label ", "is in the output but in no input", label,       \
    (int Position, char Label), (E.position, E.character))                                                             \
  X(output_label_repeated, output_label_repeated, "a label ", "appears more than once in the output", label,          \
    (int Position, char Label), (E.position, E.character))                                                             \
  X(output_ellipsis_not_in_input, output_ellipsis_in_no_input, "",                                                     \
    "the output has an ellipsis '...' but no input has one", plain, (int Position), (E.position))                      \
  X(wrong_operand_count, wrong_number_of_operands, "",                                                                 \
    "the number of operands differs from the number of input terms", counts, (int InputTerms, int Operands),          \
    (E.expected, E.actual))                                                                                            \
  X(rank_mismatch, operand_rank_differs_from_term, "", "an operand's rank differs from its term's label count",        \
    operand, (int Operand, int OperandRank, int TermLabels), (E.operand, E.actual, E.expected))                        \
  X(rank_too_large, operand_rank_too_large, "", "an operand's rank exceeds ein::max_rank", operand,                    \
    (int Operand, int OperandRank), (E.operand, E.actual))

/// What is wrong with a spec (EIN_SPEC_ERRORS). One code, one plain-words message (see message()).
enum class ErrorCode : unsigned char {
  ok,
#define EIN_DETAIL_ERROR_CODE(code, ...) code,
  EIN_SPEC_ERRORS(EIN_DETAIL_ERROR_CODE)
#undef EIN_DETAIL_ERROR_CODE
};

/// An error as a value: the code, where in the spec, and the numbers the message quotes.
struct Error {
  ErrorCode code = ErrorCode::ok;
  int position = -1;  // character index in the spec, -1 when it concerns no one character
  char character = 0;
  int operand = -1;   // which operand, for the operand errors
  int expected = 0;   // wrong_operand_count: terms; rank_mismatch: labels in the term
  int actual = 0;     // wrong_operand_count: operands; rank_mismatch: the operand's rank

  [[nodiscard]] constexpr bool failed() const { return code != ErrorCode::ok; }
};

/// The words of each message (EIN_SPEC_ERRORS); the compile-time diagnostics print the same.
constexpr std::string_view message(ErrorCode code) {
  switch (code) {
    case ErrorCode::ok: return "no error";
#define EIN_DETAIL_ERROR_WORDS(code, diagnostic, subject, words, ...) \
  case ErrorCode::code: return words;
    EIN_SPEC_ERRORS(EIN_DETAIL_ERROR_WORDS)
#undef EIN_DETAIL_ERROR_WORDS
  }
  return "unknown error";
}

namespace detail {
/// What the run-time message quotes besides the words (the form column of EIN_SPEC_ERRORS).
enum class MessageForm : unsigned char { plain, character, label, counts, operand };

constexpr MessageForm message_form(ErrorCode code) {
  switch (code) {
#define EIN_DETAIL_ERROR_FORM(code, diagnostic, subject, words, form, ...) \
  case ErrorCode::code: return MessageForm::form;
    EIN_SPEC_ERRORS(EIN_DETAIL_ERROR_FORM)
#undef EIN_DETAIL_ERROR_FORM
    case ErrorCode::ok: break;
  }
  return MessageForm::plain;
}
}  // namespace detail

/// Thrown at run time for a spec that fails to parse or bind (the run-time entry point).
class spec_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

/// Thrown at run time when extents do not fit the spec or each other.
class shape_error : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

namespace detail {
/// A byte as it is quoted in a message: printable ASCII as itself, `"` and `\` behind
/// a backslash, anything else (NUL, control, non-ASCII) as `\xNN`.
inline void append_escaped(std::string& out, char c) {
  const auto u = static_cast<unsigned char>(c);
  if (u == '"' || u == '\\') {
    out += '\\';
    out += c;
  } else if (u >= 0x20 && u < 0x7f) {
    out += c;
  } else {
    constexpr char hex[] = "0123456789abcdef";
    out += "\\x";
    out += hex[u >> 4];
    out += hex[u & 15];
  }
}
}  // namespace detail

/// Longest spec quoted whole in a message; a longer one is cut around `position`.
inline constexpr std::size_t max_quoted_spec = 120;

/// `einsum "spec": `, the prefix of every run-time message about a spec. The spec
/// is escaped (a NUL never cuts the message, no lone invalid UTF-8 byte) and, past
/// max_quoted_spec bytes, cut to a window that keeps `position` (when >= 0) in view.
[[gnu::cold]] inline std::string error_prefix(std::string_view spec, int position = -1) {
  std::size_t begin = 0, end = spec.size();
  if (spec.size() > max_quoted_spec) {
    const std::size_t pos = position < 0 ? 0 : static_cast<std::size_t>(position);
    begin = pos < max_quoted_spec * 2 / 3 ? 0 : std::min(pos - max_quoted_spec / 2, spec.size() - max_quoted_spec);
    end = begin + max_quoted_spec;
  }
  std::string out = "einsum \"";
  if (begin > 0) out += "...";
  for (std::size_t i = begin; i < end; ++i) detail::append_escaped(out, spec[i]);
  if (end < spec.size()) out += "...";
  out += "\": ";
  if (begin > 0 || end < spec.size()) {  // (appended piece by piece: g++ 12 warns -Wrestrict on "(" + s, bug 105329)
    out += '(';
    out += std::to_string(spec.size());
    out += " bytes, cut) ";
  }
  return out;
}

/// The full message for an error: `einsum "ij,jk->iq": label 'q' (position 8) is in the output but in no input`.
[[gnu::cold]] inline std::string describe(const Error& error, std::string_view spec) {
  std::string out = error_prefix(spec, error.position);
  // (built by appending: g++ 12 warns -Wrestrict on `"'" + string`, GCC bug 105329)
  const auto at = [&] {
    std::string where = " (position ";
    where += std::to_string(error.position);
    where += ')';
    return where;
  };
  switch (detail::message_form(error.code)) {
    case detail::MessageForm::character:
      out += "'";
      detail::append_escaped(out, error.character);
      out += '\'';
      out += at();
      out += ' ';
      break;
    case detail::MessageForm::label:
      out += "label '";
      detail::append_escaped(out, error.character);
      out += '\'';
      out += at();
      out += ' ';
      break;
    case detail::MessageForm::counts:
      out += std::string(message(error.code)) + ": " + std::to_string(error.expected) +
             " input terms, " + std::to_string(error.actual) + " operands";
      return out;
    case detail::MessageForm::operand:
      out += std::string(message(error.code)) + ": operand " + std::to_string(error.operand) +
             " has rank " + std::to_string(error.actual) + ", its term" +
             (error.position >= 0 ? at() : std::string()) + " has " + std::to_string(error.expected) +
             " labels";
      return out;
    case detail::MessageForm::plain:
      out += std::string(message(error.code));
      if (error.position >= 0) out += at();
      return out;
  }
  out += message(error.code);
  return out;
}

}  // namespace ein
