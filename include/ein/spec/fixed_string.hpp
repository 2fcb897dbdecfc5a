// fixed_string: a string literal usable as a template argument, so that
// ein::einsum<"ij,jk->ik"> carries its spec in the type. Layer: spec.
#pragma once

#include <cstddef>
#include <string_view>

namespace ein {

/// A string literal held by value; a structural type, so it can be a template argument.
template <std::size_t N>
struct fixed_string {
  char chars[N]{};

  constexpr fixed_string(const char (&text)[N]) {  // NOLINT: implicit on purpose
    for (std::size_t i = 0; i < N; ++i) chars[i] = text[i];
  }

  [[nodiscard]] constexpr std::string_view view() const { return {chars, N - 1}; }
  [[nodiscard]] static constexpr std::size_t size() { return N - 1; }
};

}  // namespace ein
