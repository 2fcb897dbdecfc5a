// Tests of the error messages (spec/error.hpp): ein::describe's full text for
// every code, and that each compile-time diagnostic (spec/diagnose.hpp) repeats
// the words of ein::message(code) in its static_assert literal.
#include <doctest/doctest.h>

#include <fstream>
#include <sstream>
#include <string>
#include <string_view>
#include <vector>

#include "ein/spec/bind.hpp"
#include "ein/spec/diagnose.hpp"

namespace {

using ein::ErrorCode;

std::string describe_parse(std::string_view spec) { return ein::describe(ein::parse(spec).error, spec); }

std::string describe_bind(std::string_view spec, std::vector<int> ranks) {
  return ein::describe(ein::bind(spec, ranks.data(), static_cast<int>(ranks.size())).error, spec);
}

// Every code but ok, with its enumerator's name as written in diagnose.hpp.
struct NamedCode {
  ErrorCode code;
  std::string_view name;
};
constexpr NamedCode all_codes[] = {
    {ErrorCode::empty_spec, "empty_spec"},
    {ErrorCode::bad_character, "bad_character"},
    {ErrorCode::broken_ellipsis, "broken_ellipsis"},
    {ErrorCode::two_ellipses, "two_ellipses"},
    {ErrorCode::broken_arrow, "broken_arrow"},
    {ErrorCode::two_arrows, "two_arrows"},
    {ErrorCode::too_many_operands, "too_many_operands"},
    {ErrorCode::term_too_long, "term_too_long"},
    {ErrorCode::output_label_not_in_input, "output_label_not_in_input"},
    {ErrorCode::output_label_repeated, "output_label_repeated"},
    {ErrorCode::output_ellipsis_not_in_input, "output_ellipsis_not_in_input"},
    {ErrorCode::wrong_operand_count, "wrong_operand_count"},
    {ErrorCode::rank_mismatch, "rank_mismatch"},
    {ErrorCode::rank_too_large, "rank_too_large"},
};

// The table above lists every code: the one after the last has no message.
static_assert(static_cast<int>(ErrorCode::rank_too_large) == static_cast<int>(std::size(all_codes)));
static_assert(ein::message(static_cast<ErrorCode>(std::size(all_codes) + 1)) == "unknown error");

std::string read_file(const char* path) {
  std::ifstream in(path);
  std::stringstream text;
  text << in.rdbuf();
  return text.str();
}

// The static_assert literal of the diagnostic template report() instantiates for `code`.
std::string diagnostic_literal(const std::string& header, std::string_view code) {
  const std::string dispatch = "E.code == " + std::string(code) + ")";
  std::size_t at = header.find(dispatch);
  if (at == std::string::npos) return "<no dispatch for " + std::string(code) + ">";
  at = header.find("(void)", at) + 6;
  std::string name = header.substr(at, header.find('<', at) - at);
  if (name.starts_with("diagnostic::")) name.erase(0, 12);
  at = header.find("struct " + name + " {");
  if (at == std::string::npos) return "<no template " + name + ">";
  at = header.find("static_assert(", at);
  const std::size_t open = header.find('"', at) + 1;
  return header.substr(open, header.find('"', open) - open);
}

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

TEST_CASE("diagnose: each static_assert repeats the words of ein::message(code)") {
  const std::string header = read_file(EIN_DIAGNOSE_HPP);
  REQUIRE_FALSE(header.empty());
  for (const NamedCode& c : all_codes) {
    CAPTURE(c.name);
    const std::string literal = diagnostic_literal(header, c.name);
    CAPTURE(literal);
    CHECK(literal.starts_with("einsum: "));
    CHECK(literal.find(ein::message(c.code)) != std::string::npos);
  }
}
