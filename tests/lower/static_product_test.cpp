// The product path (lower/static_product.hpp): which specs it describes, when
// run_product takes a call and when it declines (leaving the destination untouched
// for the general path), and, through the public API, the reference's answer on
// every layout it folds or declines: contiguous, strided, reversed, broadcast by
// label or by a size-1 axis, empty, scaled and accumulated, element-wise and
// summed; with the general path's errors for mismatched extents and an
// overlapping destination; and einsum_path naming the path where a call takes it.
#include <cmath>
#include <cstdint>
#include <string>

#include "engine_support.hpp"
#include "ein/lower/static_product.hpp"

using ein::Extents;
using ein::index_t;
using ein::Tensor;
using ein::TensorView;
using ein::test::check_against_reference;
using ein::test::message_of;
using ein::test::random_tensor;

namespace {

constexpr ein::StaticProduct described(std::string_view spec, std::initializer_list<int> ranks) {
  int r[ein::max_operands]{};
  int n = 0;
  for (int x : ranks) r[n++] = x;
  return ein::static_product(ein::bind(spec, r, n));
}

// No label repeated: described, each input axis found among the output's or the summed.
static_assert(described("ij,ij->ij", {2, 2}).fast && described("ij,ij->ij", {2, 2}).summed == 0);
static_assert(described("ij,j->ij", {2, 1}).axis[1][0] == -1 && described("ij,j->ij", {2, 1}).axis[1][1] == 0);
static_assert(described("i,j->ij", {1, 1}).fast);
static_assert(described("bi,ij,bj->bij", {2, 2, 2}).fast);
static_assert(described("ij,ji->ij", {2, 2}).axis[1][0] == 1);  // (described; run_product declines the row)
static_assert(described("...i,i->...i", {3, 1}).fast);
static_assert(described("ij,ij->", {2, 2}).summed == 2 && described("ij,ij->", {2, 2}).summed_axis[1][1] == 1);
static_assert(described("ij->i", {2}).summed == 1 && described("ij->i", {2}).summed_axis[0][0] == 1);
static_assert(described("bij,bj->bi", {3, 2}).summed == 1 && described("bij,bj->bi", {3, 2}).summed_axis[1][0] == 1);
static_assert(described("ij,jk->ik", {2, 2}).fast);  // (described; run_product declines a GEMM's reuse)
// A repeated label: not this path's.
static_assert(!described("ii->i", {2}).fast);
static_assert(!described("ii,i->i", {2, 1}).fast);
static_assert(!described("ij,ij->ii", {2, 2}).fast);

TEST_CASE("run_product takes a foldable call and declines, untouched, what the general path must do") {
  using In = ein::detail::ProductInput<float>;
  Tensor<float, 2> a = random_tensor<float>(Extents<2>{6, 10}, 1), b = random_tensor<float>(Extents<2>{6, 10}, 2);
  Tensor<float, 2> out(6, 10);
  const index_t extent[2] = {6, 10}, dense[2] = {10, 1};
  const auto fill = [&] {
    for (index_t i = 0; i < out.size(); ++i) out.data()[i] = -7.0f;
  };
  const auto untouched = [&] {
    for (index_t i = 0; i < out.size(); ++i)
      if (out.data()[i] != -7.0f) return false;
    return true;
  };
  // Dense: one folded row of 60.
  fill();
  In in[2] = {{a.data(), 60.0, {10, 1}, {}}, {b.data(), 60.0, {10, 1}, {}}};
  CHECK(ein::detail::run_product<float, 2>(in, out.data(), dense, extent, 2, nullptr, 0, 1.0f, 0.0f));
  check_against_reference<float>("ij,ij->ij", out, a, b);
  // b read transposed (its row is strided): taken where the call is as small as
  // product_path_strided (60 elements), declined past it (12 x 20: squares' work).
  fill();
  const Tensor<float, 2> bt = random_tensor<float>(Extents<2>{10, 6}, 4);
  In transposed[2] = {{a.data(), 60.0, {10, 1}, {}}, {bt.data(), 60.0, {1, 6}, {}}};
  CHECK(ein::detail::run_product<float, 2>(transposed, out.data(), dense, extent, 2, nullptr, 0, 1.0f, 0.0f));
  check_against_reference<float>("ij,ji->ij", out, a, bt);
  const Tensor<float, 2> big = random_tensor<float>(Extents<2>{12, 20}, 5), big_t = random_tensor<float>(Extents<2>{20, 12}, 6);
  Tensor<float, 2> big_out(12, 20);
  big_out.data()[0] = -7.0f;
  const index_t big_extent[2] = {12, 20}, big_dense[2] = {20, 1};
  In big_transposed[2] = {{big.data(), 240.0, {20, 1}, {}}, {big_t.data(), 240.0, {1, 12}, {}}};
  CHECK_FALSE(ein::detail::run_product<float, 2>(big_transposed, big_out.data(), big_dense, big_extent, 2, nullptr, 0,
                                                  1.0f, 0.0f));
  CHECK(big_out.data()[0] == -7.0f);
  // A destination whose rows overlap (stride 0): declined (the general path throws).
  fill();
  const index_t overlapping[2] = {0, 1};
  CHECK_FALSE(ein::detail::run_product<float, 2>(in, out.data(), overlapping, extent, 2, nullptr, 0, 1.0f, 0.0f));
  CHECK(untouched());
  // An output row of stride 2: declined.
  fill();
  const index_t every_other[2] = {20, 2}, half[2] = {3, 5};
  CHECK_FALSE(ein::detail::run_product<float, 2>(in, out.data(), every_other, half, 2, nullptr, 0, 1.0f, 0.0f));
  CHECK(untouched());
  // An empty axis: done, nothing written.
  const index_t empty[2] = {0, 10};
  CHECK(ein::detail::run_product<float, 2>(in, out.data(), dense, empty, 2, nullptr, 0, 1.0f, 0.0f));
  CHECK(untouched());
  // As large as the general path splits across threads: declined.
  const index_t large[2] = {index_t(ein::detail::parallel_loop_elements), 1};
  CHECK_FALSE(ein::detail::run_product<float, 2>(in, out.data(), dense, large, 2, nullptr, 0, 1.0f, 0.0f));
  CHECK(untouched());
  // Summed: "ij,ij->i" (a run of 10 per output element) is taken; "ij,kj->ik" (each
  // operand read 10 times: a GEMM's reuse) declined; "ij,ij->j" (a strided run) taken
  // where its output row stays in registers (row axpys), declined past that.
  Tensor<float, 1> rows(6);
  const index_t six[1] = {6}, unit[1] = {1}, ten[1] = {10};
  In by_row[2] = {{a.data(), 60.0, {10}, {1}}, {b.data(), 60.0, {10}, {1}}};
  CHECK(ein::detail::run_product<float, 2>(by_row, rows.data(), unit, six, 1, ten, 1, 1.0f, 0.0f));
  check_against_reference<float>("ij,ij->i", rows, a, b);
  const Tensor<float, 2> square = random_tensor<float>(Extents<2>{10, 10}, 3);
  Tensor<float, 2> gemm(6, 10);
  const index_t gemm_extent[2] = {6, 10};
  In reused[2] = {{a.data(), 60.0, {10, 0}, {1}}, {square.data(), 100.0, {0, 10}, {1}}};
  gemm.data()[0] = -7.0f;
  CHECK_FALSE(ein::detail::run_product<float, 2>(reused, gemm.data(), dense, gemm_extent, 2, ten, 1, 1.0f, 0.0f));
  CHECK(gemm.data()[0] == -7.0f);
  Tensor<float, 1> columns(10);
  In by_column[2] = {{a.data(), 60.0, {1}, {10}}, {b.data(), 60.0, {1}, {10}}};
  CHECK(ein::detail::run_product<float, 2>(by_column, columns.data(), unit, ten, 1, six, 1, 1.0f, 0.0f));
  check_against_reference<float>("ij,ij->j", columns, a, b);
  const index_t long_row = 5 * 64 / index_t(sizeof(float)), two[1] = {2};  // (past 4 vectors of any width)
  const Tensor<float, 2> tall = random_tensor<float>(Extents<2>{2, long_row}, 7);
  Tensor<float, 1> long_columns(long_row);
  long_columns.data()[0] = -7.0f;
  const index_t long_extent[1] = {long_row};
  In long_by_column[2] = {{tall.data(), 160.0, {1}, {long_row}}, {tall.data(), 160.0, {1}, {long_row}}};
  CHECK_FALSE(
      ein::detail::run_product<float, 2>(long_by_column, long_columns.data(), unit, long_extent, 1, two, 1, 1.0f, 0.0f));
  CHECK(long_columns.data()[0] == -7.0f);
}

template <class T>
void layouts() {
  const Tensor<T, 2> a = random_tensor<T>(Extents<2>{5, 12}, 3), b = random_tensor<T>(Extents<2>{5, 12}, 4);
  const Tensor<T, 1> x = random_tensor<T>(Extents<1>{12}, 5), y = random_tensor<T>(Extents<1>{5}, 6);
  const Tensor<T, 3> p = random_tensor<T>(Extents<3>{3, 5, 12}, 7), q = random_tensor<T>(Extents<3>{6, 6, 24}, 8);
  const Tensor<T, 2> by = random_tensor<T>(Extents<2>{3, 5}, 9), bj = random_tensor<T>(Extents<2>{3, 12}, 10);
  Tensor<T, 2> c = ein::einsum<"ij,ij->ij">(a, b);
  check_against_reference<T>("ij,ij->ij", c, a, b);
  c = ein::einsum<"ij,j->ij">(a, x);
  check_against_reference<T>("ij,j->ij", c, a, x);
  c = ein::einsum<"i,j->ij">(y, x);
  check_against_reference<T>("i,j->ij", c, y, x);
  c = ein::einsum<"j,ij->ij">(x, a);
  check_against_reference<T>("j,ij->ij", c, x, a);
  Tensor<T, 3> d = ein::einsum<"bi,ij,bj->bij">(by, a, bj);
  check_against_reference<T>("bi,ij,bj->bij", d, by, a, bj);
  d = ein::einsum<"bij,ij->bij">(p, a);
  check_against_reference<T>("bij,ij->bij", d, p, a);
  d = ein::einsum<"...j,j->...j">(p, x);  // (an ellipsis: its labels broadcast like any other)
  check_against_reference<T>("...j,j->...j", d, p, x);
  d = ein::einsum<"bij,bij,bij,bij->bij">(p, p, p, p);  // (four operands: product_row_n)
  check_against_reference<T>("bij,bij,bij,bij->bij", d, p, p, p, p);
  c = ein::einsum<"ij->ij">(a);  // (one operand: a copy)
  check_against_reference<T>("ij->ij", c, a);
  // Strided views: every other element of q's rows and planes (rows fold, planes do not).
  const TensorView<const T, 3> sparse(q.data(), Extents<3>{3, 5, 12}, {2 * 6 * 24, 24, 2});
  const TensorView<const T, 3> planes(q.data(), Extents<3>{3, 5, 12}, {2 * 6 * 24, 24, 1});
  d = ein::einsum<"bij,bij->bij">(sparse, p);
  check_against_reference<T>("bij,bij->bij", d, sparse, p);
  d = ein::einsum<"bij,bij->bij">(planes, p);
  check_against_reference<T>("bij,bij->bij", d, planes, p);
  // Reversed outer axis (a negative stride), and a transposed operand (declined).
  const TensorView<const T, 2> reversed(a.data() + 4 * 12, Extents<2>{5, 12}, {-12, 1});
  c = ein::einsum<"ij,ij->ij">(reversed, b);
  check_against_reference<T>("ij,ij->ij", c, reversed, b);
  const Tensor<T, 2> bt = random_tensor<T>(Extents<2>{12, 5}, 11);
  c = ein::einsum<"ij,ji->ij">(a, bt);
  check_against_reference<T>("ij,ji->ij", c, a, bt);
  // Size-1 broadcasting (NumPy's): the general path's.
  const Tensor<T, 2> column = random_tensor<T>(Extents<2>{5, 1}, 12);
  c = ein::einsum<"ij,ij->ij">(a, column);
  check_against_reference<T>("ij,ij->ij", c, a, column);
  // Scaled, accumulated, into a strided destination, and the run-time spec.
  Tensor<T, 2> acc = random_tensor<T>(Extents<2>{5, 12}, 13);
  const Tensor<T, 2> before = acc;
  acc += T(2) * ein::einsum<"ij,j->ij">(a, x);
  const auto want = ein::reference::einsum<T>("ij,j->ij", ein::reference::to_array(a), ein::reference::to_array(x));
  index_t bad = -1;
  for (index_t i = 0; i < acc.size() && bad < 0; ++i) {
    const double expected = double(before.data()[i]) + 2.0 * double(want.values[static_cast<std::size_t>(i)]);
    if (std::abs(double(acc.data()[i]) - expected) > 1e-5 * (1.0 + std::abs(expected))) bad = i;
  }
  CHECK(bad == -1);
  Tensor<T, 2> wide(5, 24);
  const TensorView<T, 2> every_other(wide.data(), Extents<2>{5, 12}, {24, 2});
  every_other = ein::einsum<"ij,ij->ij">(a, b);
  check_against_reference<T>("ij,ij->ij", every_other, a, b);
  Tensor<T, 2> runtime = ein::einsum("ij,j->ij", a, x);
  check_against_reference<T>("ij,j->ij", runtime, a, x);
  // Summed: dots, row sums, batched matrix-vector products, and the layouts of each.
  Tensor<T, 0> dot = ein::einsum<"ij,ij->">(a, b);
  check_against_reference<T>("ij,ij->", dot, a, b);
  dot = ein::einsum<"i,i->">(x, x);
  check_against_reference<T>("i,i->", dot, x, x);
  dot = ein::einsum<"bij->">(p);
  check_against_reference<T>("bij->", dot, p);
  Tensor<T, 1> sums = ein::einsum<"ij->i">(a);
  check_against_reference<T>("ij->i", sums, a);
  sums = ein::einsum<"ij,ij,j->i">(a, b, x);  // (three operands: dot_n)
  check_against_reference<T>("ij,ij,j->i", sums, a, b, x);
  const Tensor<T, 2> a1 = random_tensor<T>(Extents<2>{5, 1}, 18), b1 = random_tensor<T>(Extents<2>{5, 1}, 19);
  const Tensor<T, 1> x1 = random_tensor<T>(Extents<1>{1}, 20);
  sums = ein::einsum<"ij,ij,j->i">(a1, b1, x1);  // (three operands summed over a run of 1)
  check_against_reference<T>("ij,ij,j->i", sums, a1, b1, x1);
  Tensor<T, 1> column_sums = ein::einsum<"ij->j">(a);  // (a strided run, a short row: row axpys)
  check_against_reference<T>("ij->j", column_sums, a);
  column_sums = ein::einsum<"ij,i->j">(a, y);  // (the other operand staying along the row)
  check_against_reference<T>("ij,i->j", column_sums, a, y);
  column_sums = ein::einsum<"i,ij->j">(y, a);  // (the walking operand second)
  check_against_reference<T>("i,ij->j", column_sums, y, a);
  column_sums = ein::einsum<"ij,ij->j">(reversed, b);  // (rows of both, one read upwards)
  check_against_reference<T>("ij,ij->j", column_sums, reversed, b);
  Tensor<T, 2> small_t = ein::einsum<"ij->ji">(by);  // (a strided row, 15 elements: product rows)
  check_against_reference<T>("ij->ji", small_t, by);
  Tensor<T, 0> small_trace = ein::einsum<"ij,ji->">(by, ein::einsum<"ij->ji">(by).eval());
  check_against_reference<T>("ij,ji->", small_trace, by, ein::einsum<"ij->ji">(by).eval());
  const TensorView<const T, 3> few_planes(q.data(), Extents<3>{2, 2, 12}, {2 * 6 * 24, 24, 1});
  Tensor<T, 1> by_b = ein::einsum<"bij->j">(few_planes);  // (summed labels that do not fold, 48 elements: dots)
  check_against_reference<T>("bij->j", by_b, few_planes);
  const Tensor<T, 3> hollow(Extents<3>{2, 0, 3});
  Tensor<T, 1> none_summed = random_tensor<T>(Extents<1>{3}, 21);
  none_summed = ein::einsum<"bij->j">(hollow);  // (a summed label 0 long: zeros)
  for (index_t i = 0; i < 3; ++i) CHECK(none_summed(i) == T(0));
  Tensor<T, 1> strided_sums = ein::einsum<"ij,ji->i">(by, ein::einsum<"ij->ji">(by).eval());  // (dots, strided)
  check_against_reference<T>("ij,ji->i", strided_sums, by, ein::einsum<"ij->ji">(by).eval());
  c = ein::einsum<"bij,bij->bi">(p, p);
  check_against_reference<T>("bij,bij->bi", c, p, p);
  c = ein::einsum<"bij,bj->bi">(p, bj);
  check_against_reference<T>("bij,bj->bi", c, p, bj);
  c = ein::einsum<"bij->bi">(sparse);  // (a run of stride 2: the general path)
  check_against_reference<T>("bij->bi", c, sparse);
  sums = ein::einsum<"bij->j">(planes);  // (two summed labels that do not fold: the general path)
  check_against_reference<T>("bij->j", sums, planes);
  const Tensor<T, 2> wide_a = random_tensor<T>(Extents<2>{12, 40}, 14), wide_b = random_tensor<T>(Extents<2>{40, 12}, 15);
  Tensor<T, 2> product = ein::einsum<"ij,jk->ik">(wide_a, wide_b);  // (a GEMM: the pair path, or the general)
  check_against_reference<T>("ij,jk->ik", product, wide_a, wide_b);
  product = ein::einsum<"ij,kj->ik">(wide_a, wide_a);
  check_against_reference<T>("ij,kj->ik", product, wide_a, wide_a);
  const Tensor<T, 2> empty_rows(Extents<2>{5, 0});
  Tensor<T, 1> zeros = random_tensor<T>(Extents<1>{5}, 16);
  zeros.view().assign(ein::einsum<"ij->i">(empty_rows), T(1), T(0));  // (a sum of nothing: 0)
  for (index_t i = 0; i < 5; ++i) CHECK(zeros(i) == T(0));
  Tensor<T, 1> scaled = random_tensor<T>(Extents<1>{5}, 17);
  const Tensor<T, 1> scaled_before = scaled;
  scaled.view().assign(ein::einsum<"ij,ij->i">(a, b), T(2), T(-1));
  const auto dots = ein::reference::einsum<T>("ij,ij->i", ein::reference::to_array(a), ein::reference::to_array(b));
  for (index_t i = 0; i < 5; ++i) {
    const double expected = 2.0 * double(dots.values[static_cast<std::size_t>(i)]) - double(scaled_before(i));
    CHECK(std::abs(double(scaled(i)) - expected) <= 1e-4 * (1.0 + std::abs(expected)));
  }
  Tensor<T, 0> runtime_dot = ein::einsum("ij,ij->", a, b);
  check_against_reference<T>("ij,ij->", runtime_dot, a, b);
  // Empty: an empty result.
  const Tensor<T, 2> none(Extents<2>{0, 12});
  Tensor<T, 2> nothing = ein::einsum<"ij,j->ij">(none, x);
  CHECK(nothing.extent(0) == 0);
}

TEST_CASE_TEMPLATE("element-wise and summed products on every layout: the reference's answer", T, float, double) { layouts<T>(); }

// Whether the call took the product path, and whether einsum_path (both entries)
// says it does: the two must agree.
template <ein::fixed_string S, class... Ops>
void check_path_shows_product(bool expected, const Ops&... ops) {
  INFO(S.view());
  const std::uint64_t before = ein::detail::product_path_probe.taken;
  [[maybe_unused]] const auto result = ein::einsum<S>(ops...).eval();
  const bool taken = ein::detail::product_path_probe.taken != before;
  const ein::Path path = ein::einsum_path<S>(ops...);
  CHECK(taken == expected);
  CHECK((path.steps.size() == 1 && path.steps[0].product) == taken);
  CHECK((path.to_string().find("product (") != std::string::npos) == taken);
  CHECK(ein::einsum_path(S.view(), ops...).to_string() == path.to_string());
}

TEST_CASE("einsum_path shows the product path exactly where a call takes it, with its kernel and folded axes") {
  const Tensor<float, 2> a = random_tensor<float>(Extents<2>{16, 16}, 1), b = random_tensor<float>(Extents<2>{16, 16}, 2);
  const Tensor<float, 1> x = random_tensor<float>(Extents<1>{16}, 3);
  const Tensor<float, 3> p = random_tensor<float>(Extents<3>{4, 5, 6}, 4), q = random_tensor<float>(Extents<3>{4, 5, 2}, 5);
  check_path_shows_product<"ij,ij->ij">(true, a, b);
  check_path_shows_product<"ij,ij->">(true, a, b);
  check_path_shows_product<"ij,ij,j->i">(true, a, b, x);
  check_path_shows_product<"ij->i">(true, a);
  check_path_shows_product<"bij,bik->bijk">(true, p, q);
  check_path_shows_product<"bi,ij,bj->bij">(true, a, a, b);
  check_path_shows_product<"ij,ji->ij">(false, a, b);  // (a transposed row, 256 elements)
  check_path_shows_product<"ij,jk->ik">(false, a, b);  // (a GEMM)
  check_path_shows_product<"ij->j">(true, a);          // (a strided run, a short row)
  const Tensor<float, 2> small = random_tensor<float>(Extents<2>{4, 4}, 7);
  check_path_shows_product<"ij,ji->ij">(true, small, small);  // (a transposed row, 16 elements)
  check_path_shows_product<"ij->ji">(true, small);
  check_path_shows_product<"ij,ji->">(true, small, small);  // (two summed labels that do not fold, 16 elements)
  check_path_shows_product<"ij,ji->">(false, a, b);         // (the same at 256: crossed squares)
  const Tensor<float, 2> long_rows = random_tensor<float>(Extents<2>{4, 100}, 8);
  check_path_shows_product<"ij->j">(false, long_rows);  // (a strided run, a row past 4 vectors)
  const Tensor<float, 3> deep = random_tensor<float>(Extents<3>{6, 7, 8}, 9);
  check_path_shows_product<"bij,bij,bij->bj">(false, deep, deep, deep);  // (three, a strided run, 336 elements)
  check_path_shows_product<"bij,bij,bij->bj">(true, p, p, p);  // (the same at 120 elements: dots)
  const Tensor<float, 2> column = random_tensor<float>(Extents<2>{16, 1}, 6);
  check_path_shows_product<"ij,ij->ij">(false, a, column);  // (size-1 broadcasting)
  const Tensor<float, 2> large(1024, 1024);
  check_path_shows_product<"ij,ij->ij">(false, large, large);  // (streamed: the general path's)
  const Tensor<float, 2> none(Extents<2>{0, 16});
  check_path_shows_product<"ij,j->ij">(true, none, x);  // (an empty result: nothing to write)

  const ein::PathStep rows = ein::einsum_path<"ij,ij->ij">(a, b).steps[0];
  CHECK(rows.nest == "product rows");
  CHECK(rows.loop_shape == "(256)");
  CHECK(rows.spec == "ij,ij->ij");
  const ein::PathStep dot = ein::einsum_path<"ij,ij->">(a, b).steps[0];
  CHECK(dot.nest == "row dots");
  CHECK(dot.loop_shape == "([256])");
  const ein::PathStep batched = ein::einsum_path<"bij,bj->bi">(p, Tensor<float, 2>(4, 6)).steps[0];
  CHECK(batched.nest == "row dots");
  CHECK(batched.loop_shape == "(4,5,[6])");
  CHECK(ein::einsum_path<"ij,ij,j->i">(a, b, x).steps[0].nest == "dots");
  const ein::PathStep column_sums = ein::einsum_path<"ij->j">(a).steps[0];
  CHECK(column_sums.nest == "row axpys");
  CHECK(column_sums.loop_shape == "(16,[16])");
  CHECK(ein::einsum_path<"ij->ji">(small).steps[0].nest == "product rows");
  const ein::PathStep trace = ein::einsum_path<"ij,ji->">(small, small).steps[0];
  CHECK(trace.nest == "dots");
  CHECK(trace.loop_shape == "([4,4])");
  CHECK(ein::einsum_path<"ij->i">(a).steps[0].kind == ein::StepKind::single);
}

TEST_CASE("products keep the general path's errors") {
  const Tensor<float, 2> a(3, 4), b(3, 5);
  Tensor<float, 2> c(3, 4);
  CHECK(message_of([&] { c = ein::einsum<"ij,ij->ij">(a, b); }) ==
        "einsum \"ij,ij->ij\": label 'j' is 4 in operand 0 and 5 in operand 1");
  CHECK(message_of([&] { Tensor<float, 2> r = ein::einsum("ij,ij->ij", a, b); }) ==
        "einsum \"ij,ij->ij\": label 'j' is 4 in operand 0 and 5 in operand 1");
  const Tensor<float, 2> a2(3, 4);
  Tensor<float, 2> wrong(3, 5);
  CHECK(message_of([&] { ein::einsum<"ij,ij->ij">(a, a2).evaluate_into(wrong.view(), 1.0f, 0.0f); }) ==
        "einsum \"ij,ij->ij\": destination axis 1 is 5, the result's is 4");
  const TensorView<float, 2> overlapping(c.data(), Extents<2>{3, 4}, {0, 1});
  CHECK(message_of([&] { ein::einsum<"ij,ij->ij">(a, a2).evaluate_into(overlapping, 1.0f, 0.0f); }) ==
        "einsum \"ij,ij->ij\": the destination has a zero stride on axis 0, so its elements overlap");
}

}  // namespace
