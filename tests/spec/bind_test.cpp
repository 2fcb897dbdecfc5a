// Tests of ein::bind (spec/bind.hpp): label numbering, ellipsis expansion and
// alignment, and the operand errors, at compile time and at run time.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "ein/spec/bind.hpp"
#include "spec_test_support.hpp"

namespace {

using ein::bind;
using ein::BoundSpec;
using ein::ErrorCode;
using ein::test::ids_of;
using ein::test::names_of;

template <int N>
constexpr BoundSpec bind_ranks(std::string_view spec, const int (&ranks)[N]) {
  return bind(spec, ranks, N);
}

// "ij,jk->ik": labels numbered in order of first appearance, i=0, j=1, k=2.
constexpr BoundSpec matmul = bind_ranks("ij,jk->ik", {2, 2});
static_assert(!matmul.error.failed() && matmul.num_inputs == 2 && matmul.num_labels == 3);
static_assert(ids_of(matmul.inputs[0]) == "01" && ids_of(matmul.inputs[1]) == "12" && ids_of(matmul.output) == "02");
static_assert(matmul.label_name[0] == 'i' && matmul.label_name[1] == 'j' && matmul.label_name[2] == 'k');
static_assert(matmul.ellipsis_dim[0] == -1 && matmul.in_output(0) && !matmul.in_output(1));

// Implicit output, bound: "ba" is a transpose.
static_assert(ids_of(bind_ranks("ba", {2}).output) == "10");
// Scalars: "->" binds a rank-0 operand; ",->" two of them.
static_assert(!bind_ranks("->", {0}).error.failed() && bind_ranks("->", {0}).output.rank == 0);
static_assert(bind_ranks(",->", {0, 0}).num_labels == 0);
// A repeated label in one term: "ii->i" takes the diagonal.
static_assert(ids_of(bind_ranks("ii->i", {2}).inputs[0]) == "00");

// Ellipsis: its dimensions get labels of their own, after the letters, and
// align from the right as NumPy broadcasts. "...ij" with rank 4 has two.
constexpr BoundSpec batched = bind_ranks("...ij,...j->...i", {4, 2});
static_assert(!batched.error.failed() && batched.num_labels == 4);
static_assert(names_of(batched, batched.inputs[0]) == "..ij" && ids_of(batched.inputs[0]) == "2301");
static_assert(ids_of(batched.inputs[1]) == "31");  // one ellipsis dimension: the rightmost
static_assert(ids_of(batched.output) == "230");
static_assert(batched.ellipsis_dim[2] == 0 && batched.ellipsis_dim[3] == 1 && batched.label_name[3] == '.');
// The ellipsis in the middle and at the end of a term.
static_assert(ids_of(bind_ranks("i...j->ij", {4}).inputs[0]) == "0231");
static_assert(ids_of(bind_ranks("ij...->ij...", {3}).output) == "012");
// An ellipsis standing for no dimension.
static_assert(bind_ranks("...ij->ij", {2}).num_labels == 2 && ids_of(bind_ranks("...ij->...ij", {2}).output) == "01");
// An explicit output without "..." sums the ellipsis dimensions (PyTorch's rule).
static_assert(ids_of(bind_ranks("...i->i", {3}).output) == "0");
// Implicit output: the ellipsis dimensions first.
static_assert(ids_of(bind_ranks("i...,i", {3, 1}).output) == "12");
// Operands with and without an ellipsis in one spec.
static_assert(ids_of(bind_ranks("...i,i->...", {3, 1}).output) == "12");

// 52 letters bound: four terms of 13, summed to a scalar.
constexpr BoundSpec letters = bind_ranks("abcdefghijklm,nopqrstuvwxyz,ABCDEFGHIJKLM,NOPQRSTUVWXYZ->", {13, 13, 13, 13});
static_assert(!letters.error.failed() && letters.num_labels == 52 && letters.label_name[51] == 'Z');
// 16 operands.
constexpr BoundSpec sixteen =
    bind_ranks("a,b,c,d,e,f,g,h,i,j,k,l,m,n,o,p->abcdefghijklmnop", {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1});
static_assert(!sixteen.error.failed() && sixteen.num_inputs == 16 && sixteen.output.rank == 16);
// ein::max_rank dimensions behind one ellipsis.
static_assert(bind_ranks("...->...", {16}).output.rank == 16);

// Errors.
constexpr ein::Error too_few = bind_ranks("ij,jk->ik", {2}).error;
static_assert(too_few.code == ErrorCode::wrong_operand_count && too_few.expected == 2 && too_few.actual == 1);
static_assert(too_few.position == -1);
constexpr ein::Error too_many = bind_ranks("ij->ij", {2, 2}).error;
static_assert(too_many.code == ErrorCode::wrong_operand_count && too_many.expected == 1 && too_many.actual == 2);

constexpr ein::Error wrong_rank = bind_ranks("ij,jk->ik", {2, 3}).error;
static_assert(wrong_rank.code == ErrorCode::rank_mismatch && wrong_rank.operand == 1 && wrong_rank.position == 3);
static_assert(wrong_rank.expected == 2 && wrong_rank.actual == 3);
// With an ellipsis the rank may be larger, never smaller.
static_assert(bind_ranks("...ij", {1}).error.code == ErrorCode::rank_mismatch);
static_assert(bind_ranks("...ij", {1}).error.expected == 2 && bind_ranks("...ij", {1}).error.actual == 1);

constexpr ein::Error huge = bind_ranks("...", {17}).error;
static_assert(huge.code == ErrorCode::rank_too_large && huge.operand == 0 && huge.actual == 17);
// The ellipsis makes the output longer than ein::max_rank: "...ab" with 15 ellipsis dimensions.
constexpr ein::Error long_output = bind_ranks("a...,b->...ab", {16, 1}).error;
static_assert(long_output.code == ErrorCode::term_too_long && long_output.position == 8);
// A parse error passes through bind unchanged.
static_assert(bind_ranks("ij,jk->iq", {2, 2}).error.code == ErrorCode::output_label_not_in_input);
static_assert(bind_ranks("ij,jk->iq", {2, 2}).error.position == 8);

// Invariants of any successful bind: ids in range, ranks as given, output labels in some input.
constexpr bool well_formed(const BoundSpec& b, const int* ranks) {
  for (int k = 0; k < b.num_inputs; ++k) {
    if (b.inputs[k].rank != ranks[k]) return false;
    for (int i = 0; i < b.inputs[k].rank; ++i)
      if (b.inputs[k].labels[i] >= b.num_labels) return false;
  }
  for (int i = 0; i < b.output.rank; ++i) {
    bool found = false;
    for (int k = 0; k < b.num_inputs; ++k)
      for (int j = 0; j < b.inputs[k].rank; ++j) found = found || b.inputs[k].labels[j] == b.output.labels[i];
    if (!found) return false;
  }
  return true;
}

}  // namespace

TEST_CASE("bind: numbering, ellipsis alignment and summed ellipsis, at run time") {
  struct Case {
    std::string_view spec;
    std::vector<int> ranks;
    std::string_view output_names;  // letters, '.' for an ellipsis dimension
    int num_labels;
  };
  const Case cases[] = {
      {"ij,jk->ik", {2, 2}, "ik", 3},
      {"...ij,...jk->...ik", {5, 2}, "...ik", 6},
      {"...ij,...jk", {2, 4}, "..ik", 5},
      {"i...->...", {1}, "", 1},
      {"b i j, b j k -> b i k", {3, 3}, "bik", 4},
      {"...i->i", {4}, "i", 4},
      {"Ab,bA", {2, 2}, "", 2},
  };
  for (const Case& c : cases) {
    CAPTURE(c.spec);
    const BoundSpec b = bind(std::string(c.spec), c.ranks.data(), static_cast<int>(c.ranks.size()));
    REQUIRE_FALSE(b.error.failed());
    CHECK(b.num_labels == c.num_labels);
    CHECK(std::string_view(names_of(b, b.output).chars, names_of(b, b.output).size) == c.output_names);
    CHECK(well_formed(b, c.ranks.data()));
  }
}

TEST_CASE("bind: operand errors name the operand, its rank and its term") {
  const int ranks[] = {2, 3};
  const ein::Error e = bind("ij,jk->ik", ranks, 2).error;
  CHECK(ein::message(e.code) == ein::message(ErrorCode::rank_mismatch));
  CHECK(e.operand == 1);
  CHECK(e.position == 3);
  CHECK(e.expected == 2);
  CHECK(e.actual == 3);
  CHECK(bind("ij,jk->ik", ranks, 1).error.code == ErrorCode::wrong_operand_count);
  CHECK(bind("ij,jk->ik", ranks, 0).error.code == ErrorCode::wrong_operand_count);
}
