// Tests of the error messages (spec/error.hpp): ein::describe's full text for
// every code. The compile-time diagnostics print the same words (both come from
// EIN_SPEC_ERRORS); tests/compile_fail checks what the compiler prints.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "ein/spec/bind.hpp"

namespace {

using ein::ErrorCode;

std::string describe_parse(std::string_view spec) { return ein::describe(ein::parse(spec).error, spec); }

std::string describe_bind(std::string_view spec, std::vector<int> ranks) {
  return ein::describe(ein::bind(spec, ranks.data(), static_cast<int>(ranks.size())).error, spec);
}

// Every code but ok, with its name, from the list itself (spec/error.hpp).
struct NamedCode {
  ErrorCode code;
  std::string_view name;
};
constexpr NamedCode all_codes[] = {
#define EIN_TEST_NAMED_CODE(id, ...) {ErrorCode::id, #id},
    EIN_SPEC_ERRORS(EIN_TEST_NAMED_CODE)
#undef EIN_TEST_NAMED_CODE
};

// The codes run 1, 2, ... in the list's order; the one after the last has no message.
static_assert(static_cast<int>(ErrorCode::rank_too_large) == static_cast<int>(std::size(all_codes)));
static_assert(ein::message(static_cast<ErrorCode>(std::size(all_codes) + 1)) == "unknown error");

}  // namespace

TEST_CASE("describe: the full message of every code") {
  // The house form: einsum "<spec>": <what>, naming the label, position or operand.
  CHECK(describe_parse("ij,jk->iq") == R"(einsum "ij,jk->iq": label 'q' (position 8) is in the output but in no input)");
  CHECK(describe_parse("ij,jk->ii") ==
        R"(einsum "ij,jk->ii": label 'i' (position 8) appears more than once in the output)");
  CHECK(describe_parse("i1j") == R"(einsum "i1j": '1' (position 1) is not a label (labels are the letters a-z and A-Z))");
  CHECK(describe_parse("") == R"(einsum "": the spec is empty)");
  CHECK(describe_parse("i..j") == R"(einsum "i..j": '.' that is not part of an ellipsis '...' (position 1))");
  CHECK(describe_parse("...i...") == R"(einsum "...i...": a term has two ellipses '...' (position 4))");
  CHECK(describe_parse("ij-k") == R"(einsum "ij-k": a broken arrow: '-' must be followed by '>' (position 2))");
  CHECK(describe_parse("i->i->i") == R"(einsum "i->i->i": the spec has more than one '->' (position 4))");
  CHECK(describe_parse("ij->...") ==
        R"(einsum "ij->...": the output has an ellipsis '...' but no input has one (position 4))");
  CHECK(describe_parse("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q") ==
        R"(einsum "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q": too many input terms (ein::max_operands) (position 31))");
  CHECK(describe_parse("abcdefghijklmnopq") ==
        R"(einsum "abcdefghijklmnopq": a term has too many labels (ein::max_rank) (position 16))");
  CHECK(describe_bind("ij,jk->ik", {2}) ==
        R"(einsum "ij,jk->ik": the number of operands differs from the number of input terms: 2 input terms, 1 operands)");
  CHECK(describe_bind("ij,jk->ik", {2, 3}) ==
        R"(einsum "ij,jk->ik": an operand's rank differs from its term's label count: operand 1 has rank 3, its term (position 3) has 2 labels)");
  CHECK(describe_bind("...", {17}).starts_with(R"(einsum "...": an operand's rank exceeds ein::max_rank: operand 0 has rank 17)"));
}

TEST_CASE("describe: every code's message is plain words, quoted after the spec") {
  for (const NamedCode& c : all_codes) {
    CAPTURE(c.name);
    const std::string_view words = ein::message(c.code);
    CHECK(words != "unknown error");
    CHECK(words.size() > 10);
    CHECK(ein::describe(ein::Error{c.code, 2, 'x', 0, 1, 2}, "ab").find(words) != std::string::npos);
  }
}
