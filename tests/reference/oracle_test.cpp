// Self-tests of the oracle, ein::reference::einsum, against values worked out
// by hand. Mirrors include/ein/backend/reference/naive.hpp.
#include "ein/backend/reference/naive.hpp"

#include "random_case.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <numeric>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using ein::index_t;
using ein::reference::Array;
using ein::reference::einsum;

// 0, 1, 2, ... in row-major order, so hand values are easy to work out.
Array<double> iota(std::vector<index_t> extents, double start = 0) {
  Array<double> a(std::move(extents));
  std::iota(a.values.begin(), a.values.end(), start);
  return a;
}

void check(const Array<double>& got, const std::vector<index_t>& extents, const std::vector<double>& values) {
  CHECK(got.extents == extents);
  REQUIRE(got.values.size() == values.size());
  for (std::size_t i = 0; i < values.size(); ++i) CHECK(got.values[i] == doctest::Approx(values[i]));
}

}  // namespace

TEST_CASE("reference: matrix product, trace, diagonal, outer, transpose") {
  const Array<double> A = iota({2, 3});     // [[0 1 2] [3 4 5]]
  const Array<double> B = iota({3, 2}, 1);  // [[1 2] [3 4] [5 6]]
  // "ij,jk->ik": [0*1+1*3+2*5, 0*2+1*4+2*6] = [13 16], [3+12+25, 6+16+30] = [40 52]
  check(einsum("ij,jk->ik", A, B), {2, 2}, {13, 16, 40, 52});
  check(einsum("ij,jk", A, B), {2, 2}, {13, 16, 40, 52});
  check(einsum("ij,jk->ki", A, B), {2, 2}, {13, 40, 16, 52});

  const Array<double> S = iota({3, 3});  // [[0 1 2] [3 4 5] [6 7 8]]
  check(einsum("ii", S), {}, {12});
  check(einsum("ii->", S), {}, {12});
  check(einsum("ii->i", S), {3}, {0, 4, 8});
  check(einsum("ij->ji", A), {3, 2}, {0, 3, 1, 4, 2, 5});
  check(einsum("ij->", A), {}, {15});
  check(einsum("ij->j", A), {3}, {3, 5, 7});
  check(einsum("ij->i", A), {2}, {3, 12});

  const Array<double> u = iota({2}, 1), v = iota({3}, 1);
  check(einsum("i,j->ij", u, v), {2, 3}, {1, 2, 3, 2, 4, 6});
  check(einsum("i,j", u, v), {2, 3}, {1, 2, 3, 2, 4, 6});
  check(einsum("i,i->", v, v), {}, {14});
  check(einsum("i,i", v, v), {}, {14});
  check(einsum("i,i->i", v, v), {3}, {1, 4, 9});
}

TEST_CASE("reference: implicit output is sorted by character code, ellipsis first") {
  const Array<double> A = iota({2, 3});
  check(einsum("ba", A), {3, 2}, {0, 3, 1, 4, 2, 5});  // "ba" means "ba->ab"
  check(einsum("ab", A), {2, 3}, {0, 1, 2, 3, 4, 5});
  // Uppercase sorts before lowercase: "aB" means "aB->Ba".
  check(einsum("aB", A), {3, 2}, {0, 3, 1, 4, 2, 5});
  // "...a": the ellipsis comes first, even though it stands after 'a' in the term.
  check(einsum("a...", A), {3, 2}, {0, 3, 1, 4, 2, 5});
  CHECK(ein::reference::parse("ij,jk").output.letters == "ik");
  CHECK(ein::reference::parse("kj,ji").output.letters == "ik");
  CHECK(ein::reference::parse(" b a , c").output.letters == "abc");
}

TEST_CASE("reference: diagonals and labels summed within one operand") {
  const Array<double> T = iota({2, 3, 2});  // T[i][j][k] = 6i + 2j + k
  // "iji->j": sum over i of T[i][j][i] = T[0][j][0] + T[1][j][1] = 2j + (6 + 2j + 1)
  check(einsum("iji->j", T), {3}, {7, 11, 15});
  check(einsum("iji", T), {3}, {7, 11, 15});
  check(einsum("iji->ij", T), {2, 3}, {0, 2, 4, 7, 9, 11});
  // "ijk->j": sum over i, k of 6i + 2j + k = 4 * 2j + 2 * (0 + 6) + 2 * (0 + 1) = 8j + 14
  check(einsum("ijk->j", T), {3}, {14, 22, 30});
  const Array<double> C = iota({2, 2, 2});  // C[i][j][k] = 4i + 2j + k
  check(einsum("iii->i", C), {2}, {0, 7});
  check(einsum("iii", C), {}, {7});
}

TEST_CASE("reference: a label in three operands") {
  const Array<double> a = iota({3}, 1), b = iota({3}, 2), c = iota({3}, 3);
  // 1*2*3 + 2*3*4 + 3*4*5 = 6 + 24 + 60
  check(einsum("i,i,i->", a, b, c), {}, {90});
  check(einsum("i,i,i->i", a, b, c), {3}, {6, 24, 60});
  const Array<double> A = iota({2, 3});
  // "ij,j,j->i": row i of A dotted with b*c = [6 12 20]: [0+12+40, 18+48+100]
  check(einsum("ij,j,j->i", A, b, c), {2}, {52, 166});
}

TEST_CASE("reference: ellipsis broadcasting, aligned from the right") {
  const Array<double> A = iota({2, 3});  // [[0 1 2] [3 4 5]]
  const Array<double> r = iota({3}, 1);  // [1 2 3]
  // "...,...->...": elementwise product, r broadcast along the rows
  check(einsum("...,...->...", A, r), {2, 3}, {0, 2, 6, 3, 8, 15});
  check(einsum("...,...", A, r), {2, 3}, {0, 2, 6, 3, 8, 15});
  // An extent of 1 inside an ellipsis broadcasts too.
  const Array<double> col = iota({2, 1}, 1);  // [[1] [2]]
  check(einsum("...,...", A, col), {2, 3}, {0, 1, 2, 6, 8, 10});
  // "i...->...": sum over the leading axis
  check(einsum("i...->...", A), {3}, {3, 5, 7});
  check(einsum("i...->", A), {}, {15});
  // Batch matrix product with a broadcast batch: (2, 1, 2, 2) x (3, 2, 2) -> (2, 3, 2, 2).
  const Array<double> X = iota({2, 1, 2, 2});
  const Array<double> Y = iota({3, 2, 2});
  const Array<double> Z = einsum("...ij,...jk->...ik", X, Y);
  CHECK(Z.extents == std::vector<index_t>{2, 3, 2, 2});
  // Z[1][2] = X[1][0] @ Y[2] = [[4 5] [6 7]] @ [[8 9] [10 11]] = [[82 91] [118 131]]
  CHECK(Z.at({1, 2, 0, 0}) == 82);
  CHECK(Z.at({1, 2, 0, 1}) == 91);
  CHECK(Z.at({1, 2, 1, 0}) == 118);
  CHECK(Z.at({1, 2, 1, 1}) == 131);
  // An ellipsis may cover no axes.
  check(einsum("...i,...i->...", r, r), {}, {14});
  // An ellipsis left out of an explicit output is summed (PyTorch's rule):
  // "...ik,...j->ij" with B (2, 1, 2) and b (2, 3): sum over the batch of B[b][i][k] * b[b][j]
  const Array<double> P = iota({2, 1, 2});  // P[b][0][k] = 2b + k
  const Array<double> q = iota({2, 3});     // q[b][j] = 3b + j
  // sum_b sum_k (2b + k)(3b + j): b=0: (0 + 1) * j = j; b=1: (2 + 3) * (3 + j)
  check(einsum("...ik,...j->ij", P, q), {1, 3}, {15, 21, 27});
  check(einsum(" ... i k , ... j -> i j ", P, q), {1, 3}, {15, 21, 27});
}

TEST_CASE("reference: size-1 broadcasting of a named label") {
  const Array<double> A = iota({2, 3});
  const Array<double> one = iota({1}, 10);  // [10], broadcast along j
  check(einsum("ij,j->ij", A, one), {2, 3}, {0, 10, 20, 30, 40, 50});
  check(einsum("ij,j->i", A, one), {2}, {30, 120});
  const Array<double> row = iota({1, 3}, 1);  // [[1 2 3]], broadcast along i
  check(einsum("ij,ij->ij", A, row), {2, 3}, {0, 2, 6, 3, 8, 15});
  // 1 with 0 gives 0.
  check(einsum("i,i->i", iota({1}), iota({0})), {0}, {});
  CHECK_THROWS_AS(einsum("i,i->i", iota({2}), iota({3})), std::invalid_argument);
  CHECK_THROWS_AS(einsum("i,i->i", iota({0}), iota({3})), std::invalid_argument);
  CHECK_THROWS_AS(einsum("ii", iota({2, 3})), std::invalid_argument);  // a diagonal needs equal extents
  CHECK_THROWS_AS(einsum("...,...", iota({2}), iota({3})), std::invalid_argument);
}

TEST_CASE("reference: zero-size extents and rank 0") {
  check(einsum("ij,jk->ik", iota({2, 0}), iota({0, 3})), {2, 3}, {0, 0, 0, 0, 0, 0});
  check(einsum("ij,jk->ik", iota({0, 2}), iota({2, 3})), {0, 3}, {});
  check(einsum("i->", iota({0})), {}, {0});
  const Array<double> s({}, {5.0});
  check(einsum("->", s), {}, {5});
  check(einsum(",", s, s), {}, {25});
  check(einsum(",->", s, s), {}, {25});
  check(einsum("i,->i", iota({3}, 1), s), {3}, {5, 10, 15});
  check(einsum("...->...", s), {}, {5});
  // An empty spec is one rank-0 term, as NumPy reads einsum("", 3); "->" is one
  // empty term and an empty output.
  check(einsum("", s), {}, {5});
  check(einsum(" ", s), {}, {5});
  CHECK_THROWS_AS(einsum("", iota({3}, 1)), std::invalid_argument);
  check(einsum(" -> ", s), {}, {5});
}

TEST_CASE("reference: malformed specs and operands throw std::invalid_argument") {
  const Array<double> A = iota({2, 2});
  for (const char* bad : {"ij->i->j", "i-j", "i>j", "i.j", "i..j", "i....j", "...i...", "ij,jk->i,k",
                          "ij->ii", "ij->k", "ij->...", "i1", "i_j", "i j -> >"})
    CHECK_THROWS_AS(einsum(bad, A), std::invalid_argument);
  CHECK_THROWS_AS(einsum("ij,jk", A), std::invalid_argument);  // two terms, one operand
  CHECK_THROWS_AS(einsum("i", A), std::invalid_argument);      // rank 2, one label
  CHECK_THROWS_AS(einsum("ijk", A), std::invalid_argument);    // rank 2, three labels
  CHECK_THROWS_AS(einsum("ijk...", A), std::invalid_argument);
  CHECK_THROWS_AS(Array<double>({2, 2}, {1.0, 2.0}), std::invalid_argument);
  // Spaces are fine between tokens, but "..." and "->" are single tokens.
  CHECK_NOTHROW(einsum(" i\tj \n->\r j ", A));
  CHECK_THROWS_AS(einsum("ij- >j", A), std::invalid_argument);
  CHECK_THROWS_AS(einsum(". ..", A), std::invalid_argument);
}

TEST_CASE("reference: to_array and to_tensor round trip, strided views included") {
  ein::Tensor<float, 2> t(2, 3);
  for (int i = 0; i < 6; ++i) t.data()[i] = static_cast<float>(i);
  const Array<float> a = ein::reference::to_array(t);
  CHECK(a.extents == std::vector<index_t>{2, 3});
  CHECK(a.values == std::vector<float>{0, 1, 2, 3, 4, 5});
  const ein::TensorView<const float, 2> transposed(t.data(), {3, 2}, {1, 3});
  CHECK(ein::reference::to_array(transposed).values == std::vector<float>{0, 3, 1, 4, 2, 5});
  const ein::Tensor<float, 2> back = ein::reference::to_tensor<2>(a);
  CHECK(back(1, 2) == 5.0f);
  CHECK_THROWS_AS(ein::reference::to_tensor<3>(a), std::invalid_argument);
}

TEST_CASE("reference: every generated random case is valid for the oracle") {
  // The differential test's generator must only make valid cases; a throw here is a generator bug.
  const std::vector<ein_test::Signature> signatures = {
      {1, {0}, 0},    {1, {2}, 1},          {1, {6}, 2},         {2, {3, 2}, 3},
      {3, {2, 3, 2}, 3}, {4, {2, 3, 1, 2}, 2}, {4, {1, 2, 4, 0}, 2}};
  ein_test::Rng rng{12345};
  int ellipses = 0, diagonals = 0, implicit = 0, zero = 0;
  for (int i = 0; i < 700; ++i) {
    const ein_test::Signature& sig = signatures[static_cast<std::size_t>(i) % signatures.size()];
    const ein_test::Case c = ein_test::random_case(sig, rng);
    INFO(ein_test::describe(c));
    Array<double> out;
    REQUIRE_NOTHROW(out = einsum(c.spec, ein_test::arrays<double>(c)));
    CHECK(out.rank() == static_cast<std::size_t>(sig.output));
    const ein::reference::Spec spec = ein::reference::parse(c.spec);
    ellipses += c.spec.find("...") != std::string::npos;
    implicit += !spec.explicit_output;
    for (const auto& t : spec.inputs)
      for (std::size_t a = 0; a < t.letters.size(); ++a) diagonals += t.letters.find(t.letters[a]) != a;
    for (const auto& e : c.extents) zero += std::count(e.begin(), e.end(), 0) > 0;
  }
  MESSAGE("700 cases: " << ellipses << " with '...', " << implicit << " implicit, " << diagonals
                        << " repeated labels, " << zero << " zero-size operands");
  CHECK(ellipses > 50);
  CHECK(implicit > 50);
  CHECK(diagonals > 50);
  CHECK(zero > 5);
}
