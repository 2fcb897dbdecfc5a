// The error value a parse or a bind produces, the one table of its messages,
// and the exceptions thrown at run time. Layer: spec.
#pragma once

#include <algorithm>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

namespace ein {

/// What is wrong with a spec. One code, one plain-words message (see message()).
enum class ErrorCode : unsigned char {
  ok,
  empty_spec,
  bad_character,
  broken_ellipsis,
  two_ellipses,
  broken_arrow,
  two_arrows,
  too_many_operands,
  term_too_long,
  output_label_not_in_input,
  output_label_repeated,
  output_ellipsis_not_in_input,
  wrong_operand_count,
  rank_mismatch,
  rank_too_large,
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

/// The fixed part of each message. The compile-time diagnostics (diagnose.hpp)
/// repeat these words in their static_assert literals; a test keeps both in step.
constexpr std::string_view message(ErrorCode code) {
  switch (code) {
    case ErrorCode::ok: return "no error";
    case ErrorCode::empty_spec: return "the spec is empty";
    case ErrorCode::bad_character: return "is not a label (labels are the letters a-z and A-Z)";
    case ErrorCode::broken_ellipsis: return "'.' that is not part of an ellipsis '...'";
    case ErrorCode::two_ellipses: return "a term has two ellipses '...'";
    case ErrorCode::broken_arrow: return "a broken arrow: '-' must be followed by '>'";
    case ErrorCode::two_arrows: return "the spec has more than one '->'";
    case ErrorCode::too_many_operands: return "too many input terms (ein::max_operands)";
    case ErrorCode::term_too_long: return "a term has too many labels (ein::max_rank)";
    case ErrorCode::output_label_not_in_input: return "is in the output but in no input";
    case ErrorCode::output_label_repeated: return "appears more than once in the output";
    case ErrorCode::output_ellipsis_not_in_input: return "the output has an ellipsis '...' but no input has one";
    case ErrorCode::wrong_operand_count: return "the number of operands differs from the number of input terms";
    case ErrorCode::rank_mismatch: return "an operand's rank differs from its term's label count";
    case ErrorCode::rank_too_large: return "an operand's rank exceeds ein::max_rank";
  }
  return "unknown error";
}

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
  switch (error.code) {
    case ErrorCode::bad_character:
      out += "'";
      detail::append_escaped(out, error.character);
      out += '\'';
      out += at();
      out += ' ';
      break;
    case ErrorCode::output_label_not_in_input:
    case ErrorCode::output_label_repeated:
      out += "label '";
      detail::append_escaped(out, error.character);
      out += '\'';
      out += at();
      out += ' ';
      break;
    case ErrorCode::wrong_operand_count:
      out += std::string(message(error.code)) + ": " + std::to_string(error.expected) +
             " input terms, " + std::to_string(error.actual) + " operands";
      return out;
    case ErrorCode::rank_mismatch:
    case ErrorCode::rank_too_large:
      out += std::string(message(error.code)) + ": operand " + std::to_string(error.operand) +
             " has rank " + std::to_string(error.actual) + ", its term" +
             (error.position >= 0 ? at() : std::string()) + " has " + std::to_string(error.expected) +
             " labels";
      return out;
    default:
      out += std::string(message(error.code));
      if (error.position >= 0) out += at();
      return out;
  }
  out += message(error.code);
  return out;
}

}  // namespace ein
