// Layouts and loop cases (flat, rows, strided), strided destinations, aliasing,
// +=, -=, alpha and beta, and operands that are not element-wise (materialised).
#include "ein/expr/elementwise/loop.hpp"  // first: each header compiles on its own
#include "ein/expr/elementwise/nodes.hpp"
#include "ein/expr/elementwise.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <limits>
#include <utility>
#include <vector>

#include "ein/expr/einsum.hpp"
#include "elementwise_support.hpp"

using ein::index_t;
using ein::Tensor;
using ein::TensorView;
using ein::detail::Loop;
using ein_test::at;
using ein_test::check_close;
using ein_test::hand_loop;
using ein_test::random_tensor;

using I2 = std::array<index_t, 2>;
using I3 = std::array<index_t, 3>;

namespace {

/// A stand-in for a non-element-wise expression: dst = alpha * aᵀ + beta * dst,
/// counting its evaluations.
template <class T>
struct Transposed {
  using value_type = T;
  static constexpr std::size_t rank = 2;
  const Tensor<T, 2>* a;
  int* evaluations;

  [[nodiscard]] ein::Extents<2> extents() const { return {a->extent(1), a->extent(0)}; }
  void evaluate_into(TensorView<T, 2> dst, T alpha, T beta) const {
    ++*evaluations;
    for (index_t i = 0; i < dst.extent(0); ++i)
      for (index_t j = 0; j < dst.extent(1); ++j)
        dst(i, j) = beta == T(0) ? alpha * (*a)(j, i) : alpha * (*a)(j, i) + beta * dst(i, j);
  }
  [[nodiscard]] bool overlaps(const void* begin, const void* end) const {
    const auto [first, last] = a->view().span_bytes();
    return ein::ranges_overlap(first, last, begin, end);
  }
};
static_assert(ein::Expression<Transposed<float>>);

template <class T>
TensorView<const T, 2> transposed(const Tensor<T, 2>& a) {
  return {a.data(), {a.extent(1), a.extent(0)}, {1, a.extent(1)}};
}
template <class T>
TensorView<T, 2> transposed(Tensor<T, 2>& a) {
  return {a.data(), {a.extent(1), a.extent(0)}, {1, a.extent(1)}};
}

}  // namespace

TEST_CASE_TEMPLATE("strided, transposed, reversed and broadcast views as leaves", T, float, double) {
  const auto A = random_tensor<T>(ein::Extents<2>{5, 7}, 11);
  const auto B = random_tensor<T>(ein::Extents<2>{7, 5}, 12);
  const auto big = random_tensor<T>(ein::Extents<2>{9, 12}, 13);
  const auto v = random_tensor<T>(ein::Extents<1>{5}, 14);

  const TensorView<const T, 2> At = transposed(A);                                  // (7, 5), strides (1, 7)
  const TensorView<const T, 2> block(big.data() + 2 * 12 + 3, {7, 5}, {12, 1});     // rows of a larger tensor
  const TensorView<const T, 2> reversed(B.data() + 6 * 5 + 4, {7, 5}, {-5, -1});    // both axes reversed
  const TensorView<const T, 2> broadcast(v.data(), {7, 5}, {0, 1});                 // v repeated on 7 rows

  const ein::Extents<2> e{7, 5};
  check_close(Tensor<T, 2>(At + B), hand_loop<T>(e, [&](const I2& i) { return A(i[1], i[0]) + B(i[0], i[1]); }));
  check_close(Tensor<T, 2>(block * T(2) - B),
              hand_loop<T>(e, [&](const I2& i) { return big(i[0] + 2, i[1] + 3) * T(2) - B(i[0], i[1]); }));
  check_close(Tensor<T, 2>(ein::exp(reversed) + block),
              hand_loop<T>(e, [&](const I2& i) { return std::exp(B(6 - i[0], 4 - i[1])) + big(i[0] + 2, i[1] + 3); }));
  check_close(Tensor<T, 2>(B - broadcast), hand_loop<T>(e, [&](const I2& i) { return B(i[0], i[1]) - v(i[1]); }));
  // A view of mutable data works as well.
  Tensor<T, 2> M = B;
  check_close(Tensor<T, 2>(M.view() * B), hand_loop<T>(e, [&](const I2& i) { return B(i[0], i[1]) * B(i[0], i[1]); }));

  // Rank 3 with a permuted view: out(i, j, k) = x(k, i, j) + y(i, j, k).
  const auto x = random_tensor<T>(ein::Extents<3>{4, 2, 3}, 15);
  const auto y = random_tensor<T>(ein::Extents<3>{2, 3, 4}, 16);
  const TensorView<const T, 3> xp(x.data(), {2, 3, 4}, {3, 1, 6});
  check_close(Tensor<T, 3>(xp + y), hand_loop<T>(ein::Extents<3>{2, 3, 4}, [&](const I3& i) {
                return x(i[2], i[0], i[1]) + y(i[0], i[1], i[2]);
              }));
}

TEST_CASE_TEMPLATE("strided destinations", T, float, double) {
  const auto A = random_tensor<T>(ein::Extents<2>{3, 4}, 21);
  const auto B = random_tensor<T>(ein::Extents<2>{3, 4}, 22);

  // Into a block of a larger tensor: the rest stays untouched.
  Tensor<T, 2> big(6, 8);
  big.fill(T(-9));
  const TensorView<T, 2> block(big.data() + 8 + 2, {3, 4}, {8, 1});
  block = A * B + T(1);
  for (index_t i = 0; i < 6; ++i)
    for (index_t j = 0; j < 8; ++j) {
      const bool inside = i >= 1 && i < 4 && j >= 2 && j < 6;
      CHECK(big(i, j) == doctest::Approx(inside ? A(i - 1, j - 2) * B(i - 1, j - 2) + T(1) : T(-9)));
    }

  // Into a transposed view: C(j, i) = A(i, j) - B(i, j).
  Tensor<T, 2> C(4, 3);
  transposed(C) = A - B;
  for (index_t i = 0; i < 3; ++i)
    for (index_t j = 0; j < 4; ++j) CHECK(C(j, i) == doctest::Approx(A(i, j) - B(i, j)));
  transposed(C) += A * T(1);  // a Tensor alone is not an Expression
  transposed(C) -= ein::square(B);
  for (index_t i = 0; i < 3; ++i)
    for (index_t j = 0; j < 4; ++j)
      CHECK(C(j, i) == doctest::Approx(A(i, j) - B(i, j) + A(i, j) - B(i, j) * B(i, j)));
}

TEST_CASE("the loop case follows the layouts") {
  Tensor<float, 2> A(6, 8), B(6, 8), D(6, 8), S(8, 6);
  const TensorView<const float, 2> block(A.data(), {3, 8}, {16, 1});
  const TensorView<const float, 2> At = transposed(S);
  const TensorView<float, 2> Dt(D.data(), {8, 6}, {1, 8});
  const TensorView<float, 2> Dblock(D.data(), {3, 8}, {16, 1});
  const TensorView<float, 2> dense(D.data(), {6, 8});
  const TensorView<const float, 2> column(A.data(), {6, 8}, {1, 0});  // inner stride 0
  const TensorView<const float, 2> one_row(A.data(), {1, 8}, {1000, 1});  // extent-1 axis, any stride

  CHECK(ein::detail::choose_loop(A + B * 2.f, dense) == Loop::flat);
  CHECK(ein::detail::choose_loop(ein::exp(A) - ein::relu(B), D.view()) == Loop::flat);
  CHECK(ein::detail::choose_loop(2.f * one_row, Dblock) == Loop::rows);
  CHECK(ein::detail::choose_loop(block + 1.f, Dblock) == Loop::rows);
  CHECK(ein::detail::choose_loop(A + B, Dt) == Loop::strided);         // dense leaves, transposed destination
  CHECK(ein::detail::choose_loop(At + 1.f, Dt) == Loop::strided);
  CHECK(ein::detail::choose_loop(A - column, dense) == Loop::strided);
  CHECK(ein::detail::choose_loop(-block, Dblock) == Loop::rows);
  CHECK(ein::detail::choose_loop(-block, TensorView<float, 2>(D.data(), {3, 8})) == Loop::rows);

  CHECK(ein::detail::is_dense(ein::Extents<3>{2, 1, 3}, {3, 77, 1}));
  CHECK(!ein::detail::is_dense(ein::Extents<2>{2, 3}, {4, 1}));
  CHECK(ein::detail::is_dense(ein::Extents<2>{0, 3}, {9, 9}));
  CHECK(ein::detail::has_unit_rows(ein::Extents<2>{2, 3}, {4, 1}));
  CHECK(!ein::detail::has_unit_rows(ein::Extents<2>{2, 3}, {1, 2}));
}

TEST_CASE_TEMPLATE("aliasing: an expression that reads its destination", T, float, double) {
  const auto A0 = random_tensor<T>(ein::Extents<2>{4, 4}, 31);
  const auto B = random_tensor<T>(ein::Extents<2>{4, 4}, 32);
  const ein::Extents<2> e{4, 4};

  Tensor<T, 2> A = A0;
  A = A * T(2) + B;
  check_close(A, hand_loop<T>(e, [&](const I2& i) { return A0(i[0], i[1]) * T(2) + B(i[0], i[1]); }));

  A = A0;
  A = B - ein::exp(A);
  check_close(A, hand_loop<T>(e, [&](const I2& i) { return B(i[0], i[1]) - std::exp(A0(i[0], i[1])); }));

  // Reads across indices: A = Aᵀ + A needs the old values of A everywhere.
  A = A0;
  A = transposed(std::as_const(A)) + A;
  check_close(A, hand_loop<T>(e, [&](const I2& i) { return A0(i[1], i[0]) + A0(i[0], i[1]); }));

  // Writing through a view that overlaps the operands.
  A = A0;
  transposed(A) = A + T(1);
  check_close(A, hand_loop<T>(e, [&](const I2& i) { return A0(i[1], i[0]) + T(1); }));

  A = A0;
  A += A * B;
  check_close(A, hand_loop<T>(e, [&](const I2& i) { return A0(i[0], i[1]) + A0(i[0], i[1]) * B(i[0], i[1]); }));
  A = A0;
  A -= transposed(std::as_const(A)) * T(3);
  check_close(A, hand_loop<T>(e, [&](const I2& i) { return A0(i[0], i[1]) - A0(i[1], i[0]) * T(3); }));

  // overlaps() reports every leaf's memory.
  const auto expr = ein::relu(A) + T(1) * B;
  CHECK(expr.overlaps(A.data(), A.data() + 1));
  CHECK(expr.overlaps(B.data() + 15, B.data() + 16));
  CHECK(!expr.overlaps(A0.data(), A0.data() + 16));
}

TEST_CASE_TEMPLATE("+=, -= and alpha, beta", T, float, double) {
  const ein::Extents<2> e{5, 6};
  const auto A = random_tensor<T>(e, 41);
  const auto B = random_tensor<T>(e, 42);
  const auto C0 = random_tensor<T>(e, 43);
  const auto a = [&](const I2& i) { return at(A, i); };
  const auto b = [&](const I2& i) { return at(B, i); };
  const auto c = [&](const I2& i) { return at(C0, i); };

  Tensor<T, 2> C = C0;
  C += A * B;
  check_close(C, hand_loop<T>(e, [&](const I2& i) { return c(i) + a(i) * b(i); }));
  C = C0;
  C -= ein::exp(A) - B;
  check_close(C, hand_loop<T>(e, [&](const I2& i) { return c(i) - (std::exp(a(i)) - b(i)); }));

  // beta == 0 never reads the destination: NaN there does not leak.
  Tensor<T, 2> D(e);
  D.fill(std::numeric_limits<T>::quiet_NaN());
  (A + B).evaluate_into(D.view(), T(2), T(0));
  check_close(D, hand_loop<T>(e, [&](const I2& i) { return T(2) * (a(i) + b(i)); }));
  D = C0;
  (A - B).evaluate_into(D.view(), T(-0.5), T(3));
  check_close(D, hand_loop<T>(e, [&](const I2& i) { return T(-0.5) * (a(i) - b(i)) + T(3) * c(i); }));
  // The same through the strided loop.
  D = C0;
  const TensorView<T, 2> Dt(D.data(), {6, 5}, {1, 6});
  (transposed(A) * T(1)).evaluate_into(Dt, T(2), T(-1));
  check_close(D, hand_loop<T>(e, [&](const I2& i) { return T(2) * a(i) - c(i); }));
}

TEST_CASE_TEMPLATE("other expressions are materialised once per evaluation, lazily", T, float, double) {
  const ein::Extents<2> e{4, 3};
  Tensor<T, 2> A = random_tensor<T>(ein::Extents<2>{3, 4}, 51);
  const auto b = random_tensor<T>(e, 52);
  int evaluations = 0;
  const Transposed<T> At{&A, &evaluations};

  const auto expr = ein::relu(At + b) * At;
  CHECK(evaluations == 0);  // building is free
  Tensor<T, 2> out = expr;
  CHECK(evaluations == 2);  // once per occurrence
  const auto oracle = [&] {
    return hand_loop<T>(e, [&](const I2& i) {
      const T s = A(i[1], i[0]) + b(i[0], i[1]);
      return (s > 0 ? s : T(0)) * A(i[1], i[0]);
    });
  };
  check_close(out, oracle());

  // Lazy: the expression sees A's current values when evaluated.
  A.fill(T(0.5));
  out = expr;
  CHECK(evaluations == 4);
  check_close(out, oracle());

  // Its overlaps() counts: an expression that reads A, assigned to A, goes through a temporary.
  CHECK(expr.overlaps(A.data(), A.data() + 1));
  Tensor<T, 2> sq(3, 3);
  sq.fill(T(1));
  const Transposed<T> sqt{&sq, &evaluations};
  using ein::operator*;  // Transposed lives outside ein: argument-dependent lookup cannot find it
  sq = sqt * T(2) + sq;
  CHECK(sq(0, 0) == T(3));
}

TEST_CASE_TEMPLATE("einsum results as operands", T, float, double) {
  // relu(W·X + b) in the spec "ij,lj->li": W (out, in), X (batch, in), b (batch, out).
  const auto W = random_tensor<T>(ein::Extents<2>{4, 3}, 61);
  const auto X = random_tensor<T>(ein::Extents<2>{5, 3}, 62);
  const auto b = random_tensor<T>(ein::Extents<2>{5, 4}, 63);
  const Tensor<T, 2> Y = ein::relu(ein::einsum<"ij,lj->li">(W, X) + b);
  const Tensor<T, 2> expected = hand_loop<T>(ein::Extents<2>{5, 4}, [&](const I2& i) {
    T s = b(i[0], i[1]);
    for (index_t j = 0; j < 3; ++j) s += W(i[1], j) * X(i[0], j);
    return s > 0 ? s : T(0);
  });
  check_close(Y, expected);

  // Scaled and negated einsums stay einsums (their own operators), then join in.
  const Tensor<T, 2> Z = T(2) * ein::einsum<"ij,lj->li">(W, X) - b;
  const Tensor<T, 2> Zn = -ein::einsum<"ij,lj->li">(W, X) + b;
  for (index_t l = 0; l < 5; ++l)
    for (index_t i = 0; i < 4; ++i) {
      T s = 0;
      for (index_t j = 0; j < 3; ++j) s += W(i, j) * X(l, j);
      CHECK(Z(l, i) == doctest::Approx(T(2) * s - b(l, i)).epsilon(ein_test::tolerance<T>()));
      CHECK(Zn(l, i) == doctest::Approx(b(l, i) - s).epsilon(ein_test::tolerance<T>()));
    }

  // An element-wise expression as an einsum operand.
  const Tensor<T, 2> G = ein::einsum<"ij,lj->li">(W * T(2), ein::relu(X));
  for (index_t l = 0; l < 5; ++l)
    for (index_t i = 0; i < 4; ++i) {
      T s = 0;
      for (index_t j = 0; j < 3; ++j) s += T(2) * W(i, j) * std::max(X(l, j), T(0));
      CHECK(G(l, i) == doctest::Approx(s).epsilon(ein_test::tolerance<T>()));
    }

  // A contraction whose extents do not fit throws its own error through ours.
  const Tensor<T, 2> bad(5, 5);
  CHECK_THROWS_AS((Tensor<T, 2>(ein::einsum<"ij,lj->li">(W, X) + bad)), ein::shape_error);
}

TEST_CASE_TEMPLATE("temporary tensors are moved into the expression", T, float, double) {
  const auto A = random_tensor<T>(ein::Extents<1>{10}, 71);
  const auto make = [&] { return Tensor<T, 1>(A); };
  const auto expr = ein::exp(make()) + make() * T(2);  // would dangle if the temporaries were borrowed
  const Tensor<T, 1> out = expr;
  for (index_t i = 0; i < 10; ++i)
    CHECK(out(i) == doctest::Approx(std::exp(A(i)) + A(i) * T(2)).epsilon(ein_test::tolerance<T>()));
}

// Run by hand: elementwise_test -tc="*as fast*" --no-skip. Timing is too noisy for CI.
TEST_CASE("the fused flat loop is as fast as a hand loop" * doctest::skip()) {
  const index_t n = 1 << 22;
  const auto A = random_tensor<float>(ein::Extents<1>{n}, 81);
  const auto B = random_tensor<float>(ein::Extents<1>{n}, 82);
  Tensor<float, 1> C(n);
  std::vector<float> hand(static_cast<std::size_t>(n));
  const auto time = [](auto&& f) {
    double best = 1e30;
    for (int rep = 0; rep < 20; ++rep) {
      const auto t0 = std::chrono::steady_clock::now();
      f();
      best = std::min(best, std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
    }
    return best;
  };
  const double fused = time([&] { C = ein::relu(A + 2.f * B) - B * A; });
  const double loop = time([&] {
    const float* a = A.data();
    const float* b = B.data();
    float* c = hand.data();
    for (index_t i = 0; i < n; ++i) {
      const float t = a[i] + 2.f * b[i];
      c[i] = (t < 0.f ? 0.f : t) - b[i] * a[i];
    }
  });
  MESSAGE("fused " << fused * 1e3 << " ms, hand loop " << loop * 1e3 << " ms");
  for (index_t i = 0; i < n; i += 4099) CHECK(C(i) == hand[static_cast<std::size_t>(i)]);
  CHECK(fused < 1.5 * loop);
}
