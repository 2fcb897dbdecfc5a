// The public surface of einsum: laziness, aliasing, errors at run time, einsum_path.
#include "engine_support.hpp"

using ein::Extents;
using ein::Tensor;
using ein::index_t;
using ein::test::check_against_reference;
using ein::test::random_tensor;

TEST_CASE("einsum is lazy: nothing runs until assignment, and the result follows the operands") {
  Tensor<double, 2> a({2, 2}, {1, 2, 3, 4});
  Tensor<double, 2> b({2, 2}, {1, 0, 0, 1});
  const auto expr = ein::einsum<"ij,jk->ik">(a, b);
  static_assert(ein::Expression<std::remove_cvref_t<decltype(expr)>>);
  a(0, 0) = 10;  // read at evaluation, not at the call
  const Tensor<double, 2> c = expr;
  CHECK(c(0, 0) == 10);
  CHECK(expr.eval()(1, 1) == 4);
}

TEST_CASE("temporaries and expressions passed as operands are owned by the expression") {
  const auto a = random_tensor<double>(Extents<2>{3, 4}, 1);
  const auto b = random_tensor<double>(Extents<2>{4, 5}, 2);
  const auto expr = ein::einsum<"ij->ji">(ein::einsum<"ij,jk->ik">(a, b));  // inner one evaluated at the call
  const auto owned = ein::einsum<"ij->j">(random_tensor<double>(Extents<2>{3, 4}, 1));  // moved in
  const Tensor<double, 2> t = expr;
  const Tensor<double, 2> ab = ein::einsum<"ij,jk->ik">(a, b);
  CHECK(t(4, 2) == doctest::Approx(ab(2, 4)));
  const Tensor<double, 1> s = owned;
  check_against_reference<double>("ij->j", s.view(), a);
}

TEST_CASE("an output that aliases an input gets the right answer") {
  auto a = random_tensor<double>(Extents<2>{4, 4}, 3);
  const auto b = random_tensor<double>(Extents<2>{4, 4}, 4);
  const Tensor<double, 2> expected = ein::einsum<"ij,jk->ik">(a, b);
  a = ein::einsum<"ij,jk->ik">(a, b);
  for (index_t i = 0; i < a.size(); ++i) CHECK(a.data()[i] == doctest::Approx(expected.data()[i]));
  // Aliasing with a change of shape, and through a view with +=.
  auto r = random_tensor<double>(Extents<2>{3, 5}, 5);
  const Tensor<double, 2> rt = ein::einsum<"ij->ji">(r);
  r = ein::einsum<"ij->ji">(r);
  CHECK(r.extent(0) == 5);
  for (index_t i = 0; i < r.size(); ++i) CHECK(r.data()[i] == rt.data()[i]);
  auto sq = random_tensor<double>(Extents<2>{4, 4}, 6);
  const Tensor<double, 2> sq0 = sq;
  sq.view() += ein::einsum<"ij->ji">(sq);
  for (index_t i = 0; i < 4; ++i)
    for (index_t j = 0; j < 4; ++j) CHECK(sq(i, j) == doctest::Approx(sq0(i, j) + sq0(j, i)));
}

TEST_CASE("extents that disagree throw shape_error naming the spec, the label, the operands and both extents") {
  const Tensor<float, 2> a(3, 3), b(4, 5), diag(3, 4);
  try {
    (void)ein::einsum<"ij,jk->ik">(a, b).eval();
    FAIL("no exception");
  } catch (const ein::shape_error& e) {
    CHECK(std::string(e.what()) == "einsum \"ij,jk->ik\": label 'j' is 3 in operand 0 and 4 in operand 1");
  }
  CHECK_THROWS_WITH_AS((void)ein::einsum<"ii->i">(diag).eval(), "einsum \"ii->i\": label 'i' is 3 in operand 0 and 4 in operand 0",
                       ein::shape_error);
  const Tensor<float, 3> x(2, 3, 4);
  CHECK_THROWS_WITH_AS((void)ein::einsum<"...j,...j->...">(x, Tensor<float, 2>(5, 4)).eval(),
                       "einsum \"...j,...j->...\": ellipsis dimension 1 is 3 in operand 0 and 5 in operand 1",
                       ein::shape_error);
  static_assert(std::is_base_of_v<std::invalid_argument, ein::shape_error>);
  // A destination of the wrong extents.
  Tensor<float, 2> wrong(2, 2);
  CHECK_THROWS_AS(wrong.view() = ein::einsum<"ij->ji">(b), ein::shape_error);
}

TEST_CASE("the run-time entry point: same grammar, errors thrown with the same words") {
  const auto a = random_tensor<double>(Extents<2>{3, 4}, 7);
  const Tensor<double, 1> s = ein::einsum(" i j -> i ", a);
  check_against_reference<double>("ij->i", s.view(), a);
  CHECK_THROWS_WITH_AS((void)ein::einsum("ij,jk->iq", a, a),
                       "einsum \"ij,jk->iq\": label 'q' (position 8) is in the output but in no input",
                       ein::spec_error);
  CHECK_THROWS_AS((void)ein::einsum("ij,jk->ik", a), ein::spec_error);         // operand count
  CHECK_THROWS_AS((void)ein::einsum("ijk->i", a), ein::spec_error);            // rank
  CHECK_THROWS_AS((void)ein::einsum("", a), ein::spec_error);                  // empty
  CHECK_THROWS_AS((void)ein::einsum("ij->i", a).eval<2>(), ein::spec_error);  // rank of the result asked for
}

TEST_CASE("einsum_path prints the plan like numpy.einsum_path and picks the cheapest order") {
  // The uneven chain of the speed issue: a=512 b=8 c=512 d=8 e=8.
  const Tensor<float, 2> a(512, 8), b(8, 512), c(512, 8), d(8, 8);
  const ein::Path path = ein::einsum_path<"ab,bc,cd,de->ae">(a, b, c, d);
  // Optimal: contract the small end first. b,c -> bd (8*512*8*2), then bd,de -> be, then ab,be -> ae.
  CHECK(path.optimized_flops == doctest::Approx(2.0 * 8 * 512 * 8 + 2.0 * 8 * 8 * 8 + 2.0 * 512 * 8 * 8));
  CHECK(path.naive_flops > 100 * path.optimized_flops);
  const std::string text = path.to_string();
  INFO(text);
  CHECK(text.find("Complete contraction:  ab,bc,cd,de->ae") != std::string::npos);
  CHECK(text.find("GEMM") != std::string::npos);
  CHECK(path.steps.size() == 3);
  CHECK(path.steps[0].spec == "bc,cd->bd");
  const ein::Path runtime = ein::einsum_path("ab,bc,cd,de->ae", a, b, c, d);
  CHECK(runtime.to_string() == text);
  // Step kinds.
  const Tensor<float, 3> x(4, 5, 6), y(4, 6, 7);
  CHECK(ein::einsum_path<"bij,bjk->bik">(x, y).steps[0].kind == ein::StepKind::batched_gemm);
  CHECK(ein::einsum_path<"bij,bik->bijk">(x, Tensor<float, 3>(4, 5, 2)).steps[0].kind == ein::StepKind::loop);
  CHECK(ein::einsum_path<"bij->b">(x).steps[0].kind == ein::StepKind::single);
  // A loop-lowered step shows its axes as they run: merged, outermost first, summed in [].
  CHECK(ein::einsum_path<"bij->b">(x).steps[0].loop_shape == "(4,[30])");
  CHECK(ein::einsum_path<"bij->b">(x).to_string().find("product (row dots)") != std::string::npos);  // (README)
  const Tensor<float, 3> t(4, 5, 8);  // (160 elements: past the product path's strided calls)
  const auto fused = ein::einsum_path<"bij,bij,bij->bj">(t, t, t);
  CHECK(fused.steps[0].kind == ein::StepKind::fused);
  CHECK(fused.steps[0].loop_shape == "(4,[5],8)");
  CHECK(fused.to_string().find("(4,[5],8)") != std::string::npos);
  CHECK(path.steps[0].loop_shape.empty());  // (a GEMM step shows (batch,M,N,K))
}

TEST_CASE("an intermediate is laid out in the destination's label order, so the next GEMM needs no copy") {
  // Tucker mode products: "bj,jka" gives "kab" ([N][M]), not "bka" ([M][N]), and
  // "ck,kab->abc" then reads (a,b) as one axis.
  const auto x = random_tensor<double, 3>({8, 9, 10}, 1);
  const auto a = random_tensor<double, 2>({4, 8}, 2), b = random_tensor<double, 2>({5, 9}, 3),
             c = random_tensor<double, 2>({6, 10}, 4);
  const auto path = ein::einsum_path<"ijk,ai,bj,ck->abc">(x, a, b, c);
  REQUIRE(path.steps.size() == 3);
  for (const ein::PathStep& s : path.steps) {
    CHECK(s.kind == ein::StepKind::gemm);
    CHECK(s.copies == 0);
  }
  const Tensor<double, 3> out = ein::einsum<"ijk,ai,bj,ck->abc">(x, a, b, c);
  check_against_reference<double>("ijk,ai,bj,ck->abc", out, x, a, b, c);
}

TEST_CASE("the exhaustive search is never worse than the best chain order") {
  // Four operands with random extents: the plan's FLOPs must equal the minimum over all 18 orders.
  std::mt19937 gen(11);
  for (int trial = 0; trial < 20; ++trial) {
    std::uniform_int_distribution<index_t> e(2, 30);  // extent 1 would drop a label
    const index_t A = e(gen), B = e(gen), C = e(gen), D = e(gen), E = e(gen);
    const Tensor<float, 2> p(A, B), q(B, C), r(C, D), s(D, E);
    const double plan = ein::einsum_path<"ab,bc,cd,de->ae">(p, q, r, s).optimized_flops;
    const auto gemm = [](double m, double n, double k) { return 2 * m * n * k; };
    // The distinct orders of a chain: ((pq)r)s, (p(qr))s, (pq)(rs), p((qr)s), p(q(rs)).
    const double best = std::min({gemm(A, C, B) + gemm(A, D, C) + gemm(A, E, D),
                                  gemm(B, D, C) + gemm(A, D, B) + gemm(A, E, D),
                                  gemm(A, C, B) + gemm(C, E, D) + gemm(A, E, C),
                                  gemm(B, D, C) + gemm(B, E, D) + gemm(A, E, B),
                                  gemm(C, E, D) + gemm(B, E, C) + gemm(A, E, B)});
    CHECK(plan <= best * (1 + 1e-12));  // outer-product orders may only do better
  }
}

TEST_CASE("Tensor extents in braces: Tensor<float, 2>({3, 4}) is not ambiguous") {
  const ein::Tensor<float, 2> a({3, 4});
  const ein::Tensor<double, 1> b({5});
  const ein::Tensor<float, 2> c({2, 2}, {1.f, 2.f, 3.f, 4.f});
  CHECK(a.extents() == Extents<2>({3, 4}));
  CHECK(b.size() == 5);
  CHECK(c(1, 0) == 3.f);
  const auto negative = [] { return Tensor<float, 2>({-1, 2}); };
  CHECK_THROWS_AS(negative(), std::exception);
}

TEST_CASE("one-operand copies, diagonals and permutations (the single path) match the general path") {
  const auto a = random_tensor<double>(Extents<3>{4, 4, 3}, 31);
  const auto m = random_tensor<double>(Extents<2>{5, 7}, 32);
  // Diagonal with a kept third axis, permuted: against the run-time entry point (general path).
  const Tensor<double, 2> fast = ein::einsum<"iij->ji">(a);
  const Tensor<double, 2> general = ein::einsum("iij->ji", a);
  REQUIRE(fast.extents() == general.extents());
  for (index_t k = 0; k < fast.size(); ++k) CHECK(fast.data()[k] == general.data()[k]);
  // Scaled, accumulated and into a transposed view.
  Tensor<double, 2> t({7, 5});
  t += 2.0 * ein::einsum<"ij->ji">(m);
  t += ein::einsum<"ij->ji">(m);
  for (index_t i = 0; i < 5; ++i)
    for (index_t j = 0; j < 7; ++j) CHECK(t(j, i) == doctest::Approx(3.0 * m(i, j)));
  // A repeated label whose extents differ still throws the general path's shape_error.
  const auto bad = random_tensor<double>(Extents<2>{3, 4}, 33);
  const auto diagonal_of_bad = [&] { return Tensor<double, 1>(ein::einsum<"ii->i">(bad)); };
  CHECK_THROWS_AS(diagonal_of_bad(), ein::shape_error);
}
