// Integer element types through every lowering: the README says types other than
// float and double work, and short and char einsums did not compile (a promoted
// int stored into a row, and the permutation's squares zipped in 32 or 64 lanes).
// Each spec runs through the compile-time and the run-time einsum, exactly equal to
// the naive reference (small values: no sum leaves the type's range).
#include <doctest/doctest.h>

#include <cstdint>
#include <random>
#include <type_traits>

#include "engine_support.hpp"

namespace {

using ein::Extents;
using ein::Tensor;

/// Values in [-2, 2] ([0, 3] for an unsigned type).
template <class T, std::size_t R>
Tensor<T, R> small_values(const Extents<R>& extents, unsigned seed) {
  Tensor<T, R> t(extents);
  std::mt19937 gen(seed);
  std::uniform_int_distribution<int> dist(std::is_signed_v<T> ? -2 : 0, std::is_signed_v<T> ? 2 : 3);
  for (ein::index_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<T>(dist(gen));
  return t;
}

template <ein::fixed_string S, class T, std::size_t R, class... Ops>
void check(const Ops&... operands) {
  const std::string_view spec = S.view();
  CAPTURE(spec);
  const auto ref = ein::test::reference_of<T>(spec, operands...);
  const Tensor<T, R> compiled = ein::einsum<S>(operands...);
  ein::test::check_against<T>(ref, spec, compiled);
  const Tensor<T, R> parsed(ein::einsum(spec, operands...));
  ein::test::check_against<T>(ref, spec, parsed);
}

}  // namespace

TEST_CASE_TEMPLATE("integer element types: every lowering, exactly the reference's answer", T, signed char,
                   unsigned char, short, int, long long) {
  const auto m = small_values<T>(Extents<2>{9, 11}, 1), n = small_values<T>(Extents<2>{11, 7}, 2);
  const auto b3 = small_values<T>(Extents<3>{3, 5, 6}, 3), c3 = small_values<T>(Extents<3>{3, 6, 4}, 4);
  const auto x = small_values<T>(Extents<1>{11}, 5), y = small_values<T>(Extents<1>{9}, 6);
  const auto p = small_values<T>(Extents<2>{9, 11}, 7), sq = small_values<T>(Extents<2>{6, 6}, 8);
  const auto w = small_values<T>(Extents<2>{4, 9}, 12);
  const auto cube = small_values<T>(Extents<3>{20, 18, 17}, 9);  // squares and the strips past them
  const auto cube2 = small_values<T>(Extents<3>{20, 18, 17}, 10);
  const auto five = small_values<T>(Extents<5>{4, 8, 3, 5, 20}, 11);  // a short output row: grouped lines
  check<"ij,jk->ik", T, 2>(m, n);         // a GEMM
  check<"bij,bjk->bik", T, 3>(b3, c3);    // a batched GEMM
  check<"ij,j->i", T, 1>(m, x);           // row dots
  check<"ji,j->i", T, 1>(m, y);           // row axpys
  check<"i,i->", T, 0>(x, x);             // a dot
  check<"ij->i", T, 1>(m);                // reductions
  check<"ij->j", T, 1>(m);
  check<"ij,ij->ij", T, 2>(m, p);         // Hadamard
  check<"i,j->ij", T, 2>(y, x);           // an outer product
  check<"jk,ij,jk->ijk", T, 3>(m, w, p);  // a broadcast product of three
  check<"ii->i", T, 1>(sq);               // a diagonal
  check<"ijk->kji", T, 3>(cube);          // permutations
  check<"abcde->edcba", T, 5>(five);
  check<"ijk,ijk->ik", T, 2>(cube, cube2);  // a reduction of a product over the middle axis
}
