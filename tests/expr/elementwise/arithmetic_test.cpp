// Every element-wise operation and function against a hand loop, scalars on both
// sides, nesting, rank 0, rank 3, zero-size extents, and the shape errors.
#include "ein/expr/elementwise.hpp"

#include <doctest/doctest.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <string>
#include <type_traits>

#include "elementwise_support.hpp"

using ein::index_t;
using ein::Tensor;
using ein_test::at;
using ein_test::check_close;
using ein_test::hand_loop;
using ein_test::random_tensor;

using I2 = std::array<index_t, 2>;
using I3 = std::array<index_t, 3>;

// The operators accept ein tensors, views and expressions, and nothing else.
static_assert(ein::ElementwiseOperand<Tensor<float, 2>>);
static_assert(ein::ElementwiseOperand<const Tensor<float, 2>&>);
static_assert(ein::ElementwiseOperand<ein::TensorView<const double, 3>>);
static_assert(!ein::ElementwiseOperand<float>);
static_assert(!ein::ElementwiseOperand<int*>);
static_assert(ein::Expression<decltype(std::declval<Tensor<float, 2>&>() + std::declval<Tensor<float, 2>&>())>);
static_assert(ein::Expression<decltype(ein::relu(2.f * std::declval<Tensor<float, 1>&>()))>);
static_assert(decltype(std::declval<Tensor<double, 3>&>() * 2.0)::rank == 3);
static_assert(std::is_same_v<decltype(ein::exp(std::declval<Tensor<double, 1>&>()))::value_type, double>);

TEST_CASE_TEMPLATE("binary operators and max/min match a hand loop", T, float, double) {
  const ein::Extents<2> e{5, 7};
  const auto A = random_tensor<T>(e, 1);
  const auto B = random_tensor<T>(e, 2, 0.5, 3.0);  // no zero divisors
  const auto a = [&](const I2& i) { return at(A, i); };
  const auto b = [&](const I2& i) { return at(B, i); };

  check_close(Tensor<T, 2>(A + B), hand_loop<T>(e, [&](const I2& i) { return a(i) + b(i); }));
  check_close(Tensor<T, 2>(A - B), hand_loop<T>(e, [&](const I2& i) { return a(i) - b(i); }));
  check_close(Tensor<T, 2>(A * B), hand_loop<T>(e, [&](const I2& i) { return a(i) * b(i); }));
  check_close(Tensor<T, 2>(A / B), hand_loop<T>(e, [&](const I2& i) { return a(i) / b(i); }));
  check_close(Tensor<T, 2>(ein::max(A, B)), hand_loop<T>(e, [&](const I2& i) { return std::max(a(i), b(i)); }));
  check_close(Tensor<T, 2>(ein::min(A, B)), hand_loop<T>(e, [&](const I2& i) { return std::min(a(i), b(i)); }));
  check_close(Tensor<T, 2>(-A), hand_loop<T>(e, [&](const I2& i) { return -a(i); }));
}

TEST_CASE_TEMPLATE("functions match a hand loop", T, float, double) {
  const ein::Extents<2> e{4, 9};
  const auto A = random_tensor<T>(e, 3, -4.0, 4.0);
  const auto P = random_tensor<T>(e, 4, 0.1, 5.0);  // positive, for log, sqrt, pow
  const auto a = [&](const I2& i) { return at(A, i); };
  const auto p = [&](const I2& i) { return at(P, i); };

  check_close(Tensor<T, 2>(ein::exp(A)), hand_loop<T>(e, [&](const I2& i) { return std::exp(a(i)); }));
  check_close(Tensor<T, 2>(ein::log(P)), hand_loop<T>(e, [&](const I2& i) { return std::log(p(i)); }));
  check_close(Tensor<T, 2>(ein::tanh(A)), hand_loop<T>(e, [&](const I2& i) { return std::tanh(a(i)); }));
  check_close(Tensor<T, 2>(ein::sqrt(P)), hand_loop<T>(e, [&](const I2& i) { return std::sqrt(p(i)); }));
  check_close(Tensor<T, 2>(ein::abs(A)), hand_loop<T>(e, [&](const I2& i) { return std::abs(a(i)); }));
  check_close(Tensor<T, 2>(ein::square(A)), hand_loop<T>(e, [&](const I2& i) { return a(i) * a(i); }));
  check_close(Tensor<T, 2>(ein::relu(A)), hand_loop<T>(e, [&](const I2& i) { return a(i) > 0 ? a(i) : T(0); }));
  check_close(Tensor<T, 2>(ein::sigmoid(A)),
              hand_loop<T>(e, [&](const I2& i) { return T(1) / (T(1) + std::exp(-a(i))); }));
  check_close(Tensor<T, 2>(ein::pow(P, T(1.5))), hand_loop<T>(e, [&](const I2& i) { return std::pow(p(i), T(1.5)); }));
}

TEST_CASE_TEMPLATE("special values: relu keeps NaN, sigmoid saturates", T, float, double) {
  const T nan = std::numeric_limits<T>::quiet_NaN();
  const T inf = std::numeric_limits<T>::infinity();
  const Tensor<T, 1> x({5}, {nan, -inf, inf, T(-1000), T(1000)});
  const Tensor<T, 1> r = ein::relu(x);
  CHECK(std::isnan(r(0)));
  CHECK(r(1) == T(0));
  CHECK(r(2) == inf);
  const Tensor<T, 1> s = ein::sigmoid(x);
  CHECK(s(1) == T(0));
  CHECK(s(2) == T(1));
  CHECK(s(3) == T(0));
  CHECK(s(4) == T(1));
}

TEST_CASE_TEMPLATE("scalars on either side", T, float, double) {
  const ein::Extents<2> e{3, 5};
  const auto A = random_tensor<T>(e, 5, 0.5, 2.0);
  const auto a = [&](const I2& i) { return at(A, i); };
  const T s = T(1.25);

  check_close(Tensor<T, 2>(A + s), hand_loop<T>(e, [&](const I2& i) { return a(i) + s; }));
  check_close(Tensor<T, 2>(s + A), hand_loop<T>(e, [&](const I2& i) { return s + a(i); }));
  check_close(Tensor<T, 2>(A - s), hand_loop<T>(e, [&](const I2& i) { return a(i) - s; }));
  check_close(Tensor<T, 2>(s - A), hand_loop<T>(e, [&](const I2& i) { return s - a(i); }));
  check_close(Tensor<T, 2>(A * s), hand_loop<T>(e, [&](const I2& i) { return a(i) * s; }));
  check_close(Tensor<T, 2>(s * A), hand_loop<T>(e, [&](const I2& i) { return s * a(i); }));
  check_close(Tensor<T, 2>(A / s), hand_loop<T>(e, [&](const I2& i) { return a(i) / s; }));
  check_close(Tensor<T, 2>(s / A), hand_loop<T>(e, [&](const I2& i) { return s / a(i); }));
  check_close(Tensor<T, 2>(ein::max(A, s)), hand_loop<T>(e, [&](const I2& i) { return std::max(a(i), s); }));
  check_close(Tensor<T, 2>(ein::max(s, A)), hand_loop<T>(e, [&](const I2& i) { return std::max(s, a(i)); }));
  check_close(Tensor<T, 2>(ein::min(A, s)), hand_loop<T>(e, [&](const I2& i) { return std::min(a(i), s); }));
  check_close(Tensor<T, 2>(ein::min(s, A)), hand_loop<T>(e, [&](const I2& i) { return std::min(s, a(i)); }));
  // Other arithmetic types convert to the value type.
  check_close(Tensor<T, 2>(2 * A + 1), hand_loop<T>(e, [&](const I2& i) { return 2 * a(i) + 1; }));
  check_close(Tensor<T, 2>(ein::max(A, 1)), hand_loop<T>(e, [&](const I2& i) { return std::max(a(i), T(1)); }));
}

TEST_CASE_TEMPLATE("nested expressions fuse", T, float, double) {
  const ein::Extents<2> e{6, 11};
  const auto A = random_tensor<T>(e, 6);
  const auto B = random_tensor<T>(e, 7);
  const auto C = random_tensor<T>(e, 8);
  const auto a = [&](const I2& i) { return at(A, i); };
  const auto b = [&](const I2& i) { return at(B, i); };
  const auto c = [&](const I2& i) { return at(C, i); };

  const Tensor<T, 2> out = ein::relu(A + T(2) * B) - ein::sigmoid(C) * ein::exp(-A) / (T(1) + ein::square(B));
  check_close(out, hand_loop<T>(e, [&](const I2& i) {
                T r = a(i) + T(2) * b(i);
                r = r > 0 ? r : T(0);
                return r - T(1) / (T(1) + std::exp(-c(i))) * std::exp(-a(i)) / (T(1) + b(i) * b(i));
              }));

  // An expression held in a variable and reused in two others.
  const auto h = ein::tanh(A - B);
  const Tensor<T, 2> twice = h + h * C;
  check_close(twice, hand_loop<T>(e, [&](const I2& i) {
                const T t = std::tanh(a(i) - b(i));
                return t + t * c(i);
              }));
}

TEST_CASE_TEMPLATE("rank 0 and rank 3", T, float, double) {
  Tensor<T, 0> x, y;
  x() = T(3);
  y() = T(-4);
  const Tensor<T, 0> z = ein::abs(y) * x + T(1);
  CHECK(z() == T(13));
  Tensor<T, 0> w;
  w = ein::max(x, y) - T(0.5);
  CHECK(w() == T(2.5));
  w += x * T(1);  // a Tensor alone is not an Expression
  CHECK(w() == T(5.5));

  const ein::Extents<3> e{3, 4, 5};
  const auto A = random_tensor<T>(e, 9);
  const auto B = random_tensor<T>(e, 10);
  const Tensor<T, 3> out = ein::min(A, B) * T(3) - ein::relu(B);
  check_close(out, hand_loop<T>(e, [&](const I3& i) {
                const T a = at(A, i), b = at(B, i);
                return std::min(a, b) * T(3) - (b > 0 ? b : T(0));
              }));
}

TEST_CASE_TEMPLATE("zero-size extents", T, float, double) {
  const Tensor<T, 2> A(ein::Extents<2>{0, 3}), B(ein::Extents<2>{0, 3});
  const Tensor<T, 2> C = ein::exp(A) + B * T(2);
  CHECK(C.extents() == ein::Extents<2>{0, 3});
  CHECK(C.size() == 0);

  const Tensor<T, 3> D(ein::Extents<3>{2, 0, 4});
  Tensor<T, 3> E(ein::Extents<3>{2, 0, 4});
  E += D * D;
  E = ein::sqrt(D);
  CHECK(E.size() == 0);
  // A zero-size operand still has to match.
  CHECK_THROWS_AS((Tensor<T, 2>(A + Tensor<T, 2>(ein::Extents<2>{3, 0}))), ein::shape_error);
}

TEST_CASE_TEMPLATE("shape mismatches throw shape_error naming the op and both extents", T, float, double) {
  const Tensor<T, 2> A(3, 4), B(4, 3), C(3, 4);
  const auto message = [](auto&& make) -> std::string {
    try {
      make();
    } catch (const ein::shape_error& e) {
      return e.what();
    }
    return "no exception";
  };
  CHECK(message([&] { Tensor<T, 2> r = A + B; }) == "elementwise '+': extents (3, 4) and (4, 3) differ");
  CHECK(message([&] { Tensor<T, 2> r = A - B; }) == "elementwise '-': extents (3, 4) and (4, 3) differ");
  CHECK(message([&] { Tensor<T, 2> r = A * B; }) == "elementwise '*': extents (3, 4) and (4, 3) differ");
  CHECK(message([&] { Tensor<T, 2> r = A / B; }) == "elementwise '/': extents (3, 4) and (4, 3) differ");
  CHECK(message([&] { Tensor<T, 2> r = ein::max(B, A); }) == "elementwise 'max': extents (4, 3) and (3, 4) differ");
  CHECK(message([&] { Tensor<T, 2> r = ein::min(A, B); }) == "elementwise 'min': extents (3, 4) and (4, 3) differ");
  // Deep inside a nested expression.
  CHECK(message([&] { Tensor<T, 2> r = ein::exp(A + C * T(2)) - ein::relu(B); }) ==
        "elementwise '-': extents (3, 4) and (4, 3) differ");

  // Building the expression does not throw; evaluating it does, and leaves the destination alone.
  const auto bad = A + B;
  Tensor<T, 2> D(3, 4);
  D.fill(T(7));
  CHECK_THROWS_AS(D = bad, ein::shape_error);
  CHECK_THROWS_AS(D += bad, ein::shape_error);
  CHECK(D(2, 3) == T(7));

  // A destination of other extents, written directly.
  Tensor<T, 2> E(2, 2);
  CHECK(message([&] { (A + C).evaluate_into(E.view(), T(1), T(0)); }) ==
        "elementwise: destination extents (2, 2) differ from expression extents (3, 4)");
}
