// Helpers shared by the spec tests: a term's letters as a string, and an
// error compared field by field. Constexpr, so static_asserts can use them.
#pragma once

#include <string_view>

#include "ein/spec/bind.hpp"
#include "ein/spec/parse.hpp"

namespace ein::test {

/// A term's letters, in order ("..." not included).
constexpr std::string_view labels_of(const Term& term) { return {term.labels.data(), static_cast<std::size_t>(term.count)}; }

constexpr bool same_error(const Error& e, ErrorCode code, int position, char character) {
  return e.code == code && e.position == position && e.character == character;
}

/// A bound term as the names of its labels: letters, and '.' for ellipsis dimensions.
struct Names {
  char chars[max_rank + 1]{};
  int size = 0;
  constexpr bool operator==(std::string_view s) const { return std::string_view(chars, size) == s; }
};
constexpr Names names_of(const BoundSpec& spec, const BoundTerm& term) {
  Names out{};
  for (int i = 0; i < term.rank; ++i) out.chars[out.size++] = spec.label_name[term.labels[i]];
  return out;
}

/// A bound term's label ids, each as one character '0' + id, for compact comparisons.
constexpr Names ids_of(const BoundTerm& term) {
  Names out{};
  for (int i = 0; i < term.rank; ++i) out.chars[out.size++] = static_cast<char>('0' + term.labels[i]);
  return out;
}

}  // namespace ein::test
