// Turns an error value into one short compile-time diagnostic. g++ 12 has no
// computed static_assert messages, so each code has a class template named after
// the problem (the diagnostic column of EIN_SPEC_ERRORS, spec/error.hpp) whose
// arguments carry the spec and the numbers; the compiler prints them in the one
// "required from" line it shows. Layer: spec.
#pragma once
// The templates are made by a macro: as a system header, g++ prints no "in
// expansion of macro" notes for them (10 lines a diagnostic, not 24). Nothing else
// lives here, so no other warning is hidden.
#pragma GCC system_header

#include "ein/spec/error.hpp"
#include "ein/spec/fixed_string.hpp"

namespace ein::diagnostic {

template <auto...>
inline constexpr bool always_false = false;

#define EIN_DETAIL_AFTER_COMMA(...) __VA_OPT__(, __VA_ARGS__)

// One class template per row, its static_assert printing `einsum: <subject><words>`.
#define EIN_DETAIL_DIAGNOSTIC(id, name, subject, words, form, parameters, values)                                      \
  template <fixed_string Spec EIN_DETAIL_AFTER_COMMA parameters>                                                       \
  struct name {                                                                                                  \
    static_assert(always_false<Spec>, "einsum: " subject words);                                                       \
  };
EIN_SPEC_ERRORS(EIN_DETAIL_DIAGNOSTIC)
#undef EIN_DETAIL_DIAGNOSTIC

/// Instantiates exactly the template of the error E of spec S.
template <fixed_string S, Error E>
constexpr void report() {
#define EIN_DETAIL_REPORT(id, name, subject, words, form, parameters, values)                                          \
  if constexpr (E.code == ErrorCode::id) (void)ein::diagnostic::name<S EIN_DETAIL_AFTER_COMMA values>{};
  EIN_SPEC_ERRORS(EIN_DETAIL_REPORT)
#undef EIN_DETAIL_REPORT
}

#undef EIN_DETAIL_AFTER_COMMA

}  // namespace ein::diagnostic
