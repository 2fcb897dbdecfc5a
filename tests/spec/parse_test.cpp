// Tests of ein::parse (spec/parse.hpp): every grammar feature, at compile time
// (static_assert) and at run time (doctest), through the one constexpr parser.
#include <doctest/doctest.h>

#include <string>
#include <string_view>

#include "ein/spec/parse.hpp"
#include "spec_test_support.hpp"

namespace {

using ein::ErrorCode;
using ein::parse;
using ein::test::labels_of;
using ein::test::same_error;

// "ij,jk->ik": two inputs, an explicit output, positions of every letter.
constexpr ein::ParsedSpec matmul = parse("ij,jk->ik");
static_assert(!matmul.error.failed());
static_assert(matmul.num_inputs == 2 && matmul.explicit_output);
static_assert(labels_of(matmul.inputs[0]) == "ij" && labels_of(matmul.inputs[1]) == "jk");
static_assert(labels_of(matmul.output) == "ik");
static_assert(matmul.inputs[0].position == 0 && matmul.inputs[1].position == 3 && matmul.output.position == 7);
static_assert(matmul.inputs[1].positions[0] == 3 && matmul.inputs[1].positions[1] == 4);
static_assert(matmul.output.positions[0] == 7 && matmul.output.positions[1] == 8);

// Implicit output: the labels that occur exactly once, by character code.
static_assert(!parse("ij,jk").explicit_output);
static_assert(labels_of(parse("ij,jk").output) == "ik");
static_assert(labels_of(parse("ba").output) == "ab");             // sorted, not in order of appearance
static_assert(labels_of(parse("ii").output).empty());              // "ii": trace, a scalar
static_assert(labels_of(parse("ij,ij").output).empty());           // every label twice: full sum
static_assert(labels_of(parse("bA,aB").output) == "ABab");         // uppercase before lowercase
static_assert(labels_of(parse("zZ,aA").output) == "AZaz");
static_assert(labels_of(parse("ijk,kji,l").output) == "l");

// The empty output and scalar terms.
static_assert(labels_of(parse("ij->").output).empty() && parse("ij->").explicit_output);
static_assert(!parse("->").error.failed() && parse("->").num_inputs == 1);       // a scalar operand
static_assert(!parse(",->").error.failed() && parse(",->").num_inputs == 2);     // product of two scalars
static_assert(!parse("i,->i").error.failed() && parse("i,->i").inputs[1].count == 0);

// Ellipsis: where it stands among a term's letters; not counted as a label.
static_assert(parse("...ij->...ij").inputs[0].ellipsis_at == 0);
static_assert(parse("i...j->ij").inputs[0].ellipsis_at == 1);
static_assert(parse("ij...->ij").inputs[0].ellipsis_at == 2);
static_assert(parse("...->...").inputs[0].ellipsis_at == 0 && parse("...->...").inputs[0].count == 0);
static_assert(parse("ij->ij").inputs[0].ellipsis_at == -1 && !parse("ij->ij").inputs[0].has_ellipsis());
static_assert(parse("...ij,...jk->...ik").output.ellipsis_at == 0);
static_assert(parse("...ij,jk->ik").inputs[1].ellipsis_at == -1);
static_assert(parse("...ij,jk->ik").output.ellipsis_at == -1);   // explicit output without "...": summed
// Implicit output with an ellipsis: the ellipsis first, then the single labels.
static_assert(parse("ij...,jk").output.ellipsis_at == 0 && labels_of(parse("ij...,jk").output) == "ik");
static_assert(parse("i,...").output.ellipsis_at == 0 && labels_of(parse("i,...").output) == "i");

// Whitespace is ignored anywhere (spaces, tabs, newlines); positions still index the text.
constexpr ein::ParsedSpec spaced = parse(" i j , j k -> i k ");
static_assert(!spaced.error.failed() && spaced.num_inputs == 2);
static_assert(labels_of(spaced.inputs[0]) == "ij" && labels_of(spaced.inputs[1]) == "jk");
static_assert(labels_of(spaced.output) == "ik");
static_assert(spaced.inputs[0].position == 1 && spaced.inputs[0].positions[1] == 3);
static_assert(spaced.output.positions[1] == 16);
static_assert(labels_of(parse("\ti\nj\r,jk").output) == "ik");
static_assert(labels_of(parse("ij , jk ->  ik").output) == "ik");
static_assert(parse(" ... ij -> ... ").inputs[0].ellipsis_at == 0);

// 52 labels: every letter once, over four terms (a term holds ein::max_rank letters at most).
constexpr std::string_view all_letters = "abcdefghijklm,nopqrstuvwxyz,ABCDEFGHIJKLM,NOPQRSTUVWXYZ->";
static_assert(!parse(all_letters).error.failed() && parse(all_letters).num_inputs == 4);
// Its implicit output would have 52 labels: more than one term can hold.
static_assert(same_error(parse(all_letters.substr(0, all_letters.size() - 2)).error, ErrorCode::term_too_long, -1, 0));
// ein::max_rank letters in one term, and in the output.
static_assert(!parse("abcdefghijklmnop->ponmlkjihgfedcba").error.failed());
static_assert(same_error(parse("abcdefghijklmnopq").error, ErrorCode::term_too_long, 16, 'q'));

// ein::max_operands operands, and one more.
constexpr std::string_view sixteen = "a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p->abcdefghijklmnop";
static_assert(ein::max_operands == 16);
static_assert(!parse(sixteen).error.failed() && parse(sixteen).num_inputs == 16);
static_assert(parse(sixteen).inputs[15].position == 30);
static_assert(same_error(parse("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p,q").error, ErrorCode::too_many_operands, 31, ','));

// Errors: code, position and character, for every rule the parser checks.
struct ParseErrorCase {
  std::string_view spec;
  ErrorCode code;
  int position;
  char character;
};
constexpr ParseErrorCase parse_errors[] = {
    {"", ErrorCode::empty_spec, -1, 0},
    {"   ", ErrorCode::empty_spec, -1, 0},
    {"i1j", ErrorCode::bad_character, 1, '1'},
    {"ij,j_k", ErrorCode::bad_character, 4, '_'},
    {"ij->i,j", ErrorCode::bad_character, 5, ','},  // no ',' in the output
    {"ij;jk", ErrorCode::bad_character, 2, ';'},
    {"i\xc3\xa9", ErrorCode::bad_character, 1, '\xc3'},  // not ASCII
    {"i..j", ErrorCode::broken_ellipsis, 1, '.'},
    {"i.j", ErrorCode::broken_ellipsis, 1, '.'},
    {"ij..", ErrorCode::broken_ellipsis, 2, '.'},
    {". ..i", ErrorCode::broken_ellipsis, 0, '.'},  // no spaces inside "..."
    {"....", ErrorCode::broken_ellipsis, 3, '.'},
    {"......", ErrorCode::two_ellipses, 3, '.'},
    {"...i...->i", ErrorCode::two_ellipses, 4, '.'},
    {"i,...j...k", ErrorCode::two_ellipses, 6, '.'},
    {"ij-k", ErrorCode::broken_arrow, 2, '-'},
    {"ij>k", ErrorCode::broken_arrow, 2, '>'},
    {"ij-", ErrorCode::broken_arrow, 2, '-'},
    {"ij- >i", ErrorCode::broken_arrow, 2, '-'},
    {"ij=>i", ErrorCode::bad_character, 2, '='},
    {"i->i->i", ErrorCode::two_arrows, 4, '-'},
    {"ij->->", ErrorCode::two_arrows, 4, '-'},
    {"ij,jk->iq", ErrorCode::output_label_not_in_input, 8, 'q'},
    {"ij->I", ErrorCode::output_label_not_in_input, 4, 'I'},  // labels are case-sensitive
    {"ij,jk->ii", ErrorCode::output_label_repeated, 8, 'i'},
    {"ij->jij", ErrorCode::output_label_repeated, 6, 'j'},
    {"ij->...i", ErrorCode::output_ellipsis_not_in_input, 4, '.'},
    {"ij,jk-> ...", ErrorCode::output_ellipsis_not_in_input, 7, '.'},
};

constexpr bool all_parse_errors_match() {
  for (const ParseErrorCase& c : parse_errors)
    if (!same_error(parse(c.spec).error, c.code, c.position, c.character)) return false;
  return true;
}
static_assert(all_parse_errors_match());

}  // namespace

TEST_CASE("parse: explicit output, terms and positions") {
  const ein::ParsedSpec spec = parse(std::string("ij,jk->ik"));  // a run-time string
  REQUIRE_FALSE(spec.error.failed());
  CHECK(spec.num_inputs == 2);
  CHECK(labels_of(spec.inputs[0]) == "ij");
  CHECK(labels_of(spec.inputs[1]) == "jk");
  CHECK(labels_of(spec.output) == "ik");
  CHECK(spec.output.position == 7);
}

TEST_CASE("parse: implicit output is the single labels, uppercase before lowercase") {
  const struct {
    std::string_view spec, output;
  } cases[] = {{"ij,jk", "ik"}, {"ba", "ab"}, {"ii", ""}, {"bA,aB", "ABab"}, {"zZ,aA", "AZaz"}, {"i j , j k", "ik"}};
  for (const auto& c : cases) {
    CAPTURE(c.spec);
    const ein::ParsedSpec spec = parse(c.spec);
    REQUIRE_FALSE(spec.error.failed());
    CHECK_FALSE(spec.explicit_output);
    CHECK(labels_of(spec.output) == c.output);
  }
}

TEST_CASE("parse: 52 labels and 16 operands") {
  const ein::ParsedSpec letters = parse(all_letters);
  REQUIRE_FALSE(letters.error.failed());
  int total = 0;
  for (int t = 0; t < letters.num_inputs; ++t) total += letters.inputs[t].count;
  CHECK(total == 52);

  std::string spec;
  for (int k = 0; k < ein::max_operands; ++k) spec += k ? ",i" : "i";
  CHECK_FALSE(parse(spec).error.failed());
  CHECK(parse(spec).num_inputs == ein::max_operands);
  spec += ",i";
  CHECK(same_error(parse(spec).error, ErrorCode::too_many_operands, static_cast<int>(spec.size()) - 2, ','));
}

TEST_CASE("parse: errors carry code, position and character") {
  for (const ParseErrorCase& c : parse_errors) {
    CAPTURE(c.spec);
    const ein::Error e = parse(std::string(c.spec)).error;
    CHECK(ein::message(e.code) == ein::message(c.code));
    CHECK(e.position == c.position);
    CHECK(e.character == c.character);
  }
}
