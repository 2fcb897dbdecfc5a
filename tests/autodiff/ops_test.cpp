// Element-wise ops, functions and reductions on Vars: values in float and double,
// every gradient against central differences, the broadcast rules and their errors.
#include <cmath>
#include <random>
#include <stdexcept>
#include <string>
#include <type_traits>

#include <doctest/doctest.h>

#include "ein/autodiff.hpp"
#include "gradcheck.hpp"
#include "message_of.hpp"

using ein::Tensor;
using ein::test::message_of;
using ein::test::Var;
using ein::test::random_away_from_zero;
using ein::test::random_tensor;
using V0 = Var<double, 0>;
using V1 = Var<double, 1>;
using V2 = Var<double, 2>;
using V3 = Var<double, 3>;

namespace {
std::mt19937 gen(20240601);

/// A scalar weighting of a Var: sum(v * w) with a fixed random w, so every
/// element's gradient differs.
template <std::size_t R>
V0 weigh(const Var<double, R>& v) {
  std::mt19937 g(7);
  return ein::sum(v * ein::test::constant(random_tensor<double>(v.extents(), g)));
}
}  // namespace

TEST_CASE("the suite runs on the device under test") {
  const auto x = ein::test::param(Tensor<double, 1>({3}, {1, 2, 3}));
  static_assert(std::is_same_v<typename std::remove_cvref_t<decltype(x)>::device_type, ein::test::Device>);
  ein::test::calls.clear();
  ein::sum(ein::exp(x) * x).backward();
  const int table_calls = ein::test::calls["map"] + ein::test::calls["zip"] + ein::test::calls["scaled_sum"];
  CHECK(table_calls == (ein::test::on_host ? 0 : 3));  // the counting device's table, when it is under test
  // An einsum too: its forward and each operand's gradient one `lowered` call there (the GPU's lowering).
  const auto a = ein::test::param(Tensor<double, 1>({3}, {1, 2, 3}));
  const auto b = ein::test::param(Tensor<double, 1>({3}, {4, 5, 6}));
  ein::test::calls.clear();
  ein::einsum<"i,i->">(a, b).backward();
  CHECK(ein::test::calls["lowered"] == (ein::test::on_host ? 0 : 3));
  CHECK(a.grad()(2) == 6.0);
  CHECK(b.grad()(0) == 1.0);
}

TEST_CASE_TEMPLATE("arithmetic values on Vars", T, float, double) {
  const auto a = ein::test::param(Tensor<T, 2>({2, 2}, {1, 2, 3, 4}));
  const auto b = ein::test::param(Tensor<T, 2>({2, 2}, {4, 3, 2, 1}));
  const auto bias = ein::test::constant(Tensor<T, 1>({2}, {10, 20}));
  CHECK((a + b).value()(1, 0) == T(5));
  CHECK((a - b).value()(0, 1) == T(-1));
  CHECK((a * b).value()(1, 1) == T(4));
  CHECK((a / b).value()(0, 0) == T(0.25));
  CHECK((-a).value()(1, 1) == T(-4));
  CHECK((a + 1).value()(0, 0) == T(2));
  CHECK((1 + a).value()(0, 0) == T(2));
  CHECK((a - 1).value()(0, 1) == T(1));
  CHECK((1 - a).value()(0, 1) == T(-1));
  CHECK((a * 2.0).value()(1, 0) == T(6));
  CHECK((2 * a).value()(1, 0) == T(6));
  CHECK((a / 2).value()(1, 1) == T(2));
  CHECK((8 / a).value()(1, 1) == T(2));
  const auto biased = a + bias;  // each row gets (10, 20)
  CHECK(biased.value()(0, 0) == T(11));
  CHECK(biased.value()(1, 1) == T(24));
  CHECK((bias - a).value()(1, 0) == T(7));
  const auto s = ein::test::param(Tensor<T, 0>({}, {3}));
  CHECK((a * s).value()(1, 1) == T(12));
  CHECK((s / a).value()(0, 1) == T(1.5));
  CHECK(ein::sum(a).value()() == T(10));
  CHECK(ein::mean(a).value()() == T(2.5));
}

TEST_CASE_TEMPLATE("function values on Vars", T, float, double) {
  const auto x = ein::test::param(Tensor<T, 1>({5}, {-2, -0.5, 0, 0.5, 2}));
  const auto approx = [](T v) { return doctest::Approx(static_cast<double>(v)).epsilon(1e-6); };
  CHECK(static_cast<double>(ein::exp(x).value()(4)) == approx(std::exp(T(2))));
  CHECK(static_cast<double>(ein::tanh(x).value()(0)) == approx(std::tanh(T(-2))));
  CHECK(static_cast<double>(ein::sigmoid(x).value()(3)) == approx(T(1) / (T(1) + std::exp(T(-0.5)))));
  CHECK(ein::sigmoid(x).value()(2) == T(0.5));
  CHECK(ein::relu(x).value()(0) == T(0));
  CHECK(ein::relu(x).value()(4) == T(2));
  CHECK(ein::abs(x).value()(1) == T(0.5));
  CHECK(ein::pow(x, 2).value()(0) == T(4));
  CHECK(ein::pow(x, 3.0).value()(1) == T(-0.125));
  const auto p = ein::test::param(Tensor<T, 1>({3}, {0.25, 1, 4}));
  CHECK(ein::sqrt(p).value()(2) == T(2));
  CHECK(ein::log(p).value()(1) == T(0));
  // sigmoid does not overflow: e^1000 is inf, the result is still exactly 0 or 1.
  const auto big = ein::test::param(Tensor<T, 1>({2}, {-1000, 1000}));
  CHECK(ein::sigmoid(big).value()(0) == T(0));
  CHECK(ein::sigmoid(big).value()(1) == T(1));
  CHECK(std::isnan(ein::relu(ein::test::constant(Tensor<T, 1>({1}, {NAN}))).value()(0)));
}

TEST_CASE("gradients of + - * / between Vars of equal extents") {
  const auto a = random_tensor<double>(ein::Extents<2>{3, 4}, gen);
  const auto b = random_away_from_zero<double>(ein::Extents<2>{3, 4}, gen, 0.5);
  EIN_CHECK_GRADIENTS([](const V2& x, const V2& y) { return weigh(x + y); }, a, b);
  EIN_CHECK_GRADIENTS([](const V2& x, const V2& y) { return weigh(x - y); }, a, b);
  EIN_CHECK_GRADIENTS([](const V2& x, const V2& y) { return weigh(x * y); }, a, b);
  EIN_CHECK_GRADIENTS([](const V2& x, const V2& y) { return weigh(x / y); }, a, b);
  EIN_CHECK_GRADIENTS([](const V2& x) { return weigh(-x); }, a);
  const auto c = random_tensor<double>(ein::Extents<3>{2, 3, 2}, gen);
  const auto d = random_away_from_zero<double>(ein::Extents<3>{2, 3, 2}, gen, 0.5);
  EIN_CHECK_GRADIENTS([](const V3& x, const V3& y) { return weigh(x * y - x / y); }, c, d);
  const auto s = random_tensor<double>(ein::Extents<0>{}, gen);
  const auto t = random_away_from_zero<double>(ein::Extents<0>{}, gen, 0.5);
  EIN_CHECK_GRADIENTS([](const V0& x, const V0& y) { return x * y + x / y - y; }, s, t);
}

TEST_CASE("gradients with a scalar on either side") {
  const auto a = random_away_from_zero<double>(ein::Extents<2>{2, 3}, gen, 0.5);
  EIN_CHECK_GRADIENTS([](const V2& x) { return weigh(x + 1.5); }, a);
  EIN_CHECK_GRADIENTS([](const V2& x) { return weigh(1.5 + x); }, a);
  EIN_CHECK_GRADIENTS([](const V2& x) { return weigh(x - 1.5); }, a);
  EIN_CHECK_GRADIENTS([](const V2& x) { return weigh(1.5 - x); }, a);
  EIN_CHECK_GRADIENTS([](const V2& x) { return weigh(x * -2.5); }, a);
  EIN_CHECK_GRADIENTS([](const V2& x) { return weigh(-2.5 * x); }, a);
  EIN_CHECK_GRADIENTS([](const V2& x) { return weigh(x / 3.0); }, a);
  EIN_CHECK_GRADIENTS([](const V2& x) { return weigh(3.0 / x); }, a);
}

TEST_CASE("gradients of a rank-1 bias along the last axis, and of a rank-0 Var") {
  const auto m = random_tensor<double>(ein::Extents<2>{4, 3}, gen);
  const auto b = random_away_from_zero<double>(ein::Extents<1>{3}, gen, 0.5);
  EIN_CHECK_GRADIENTS([](const V2& x, const V1& y) { return weigh(x + y); }, m, b);
  EIN_CHECK_GRADIENTS([](const V1& y, const V2& x) { return weigh(y + x); }, b, m);
  EIN_CHECK_GRADIENTS([](const V2& x, const V1& y) { return weigh(x - y); }, m, b);
  EIN_CHECK_GRADIENTS([](const V1& y, const V2& x) { return weigh(y - x); }, b, m);
  EIN_CHECK_GRADIENTS([](const V2& x, const V1& y) { return weigh(x * y); }, m, b);
  EIN_CHECK_GRADIENTS([](const V2& x, const V1& y) { return weigh(x / y); }, m, b);
  const auto mb = random_away_from_zero<double>(ein::Extents<2>{4, 3}, gen, 0.5);
  EIN_CHECK_GRADIENTS([](const V1& y, const V2& x) { return weigh(y / x); }, b, mb);
  // rank 3 with a rank-1 bias
  const auto c = random_tensor<double>(ein::Extents<3>{2, 2, 3}, gen);
  EIN_CHECK_GRADIENTS([](const V3& x, const V1& y) { return weigh(x * y + y); }, c, b);
  // rank 0 against any rank
  const auto s = random_away_from_zero<double>(ein::Extents<0>{}, gen, 0.5);
  EIN_CHECK_GRADIENTS([](const V2& x, const V0& y) { return weigh(x * y + y); }, m, s);
  EIN_CHECK_GRADIENTS([](const V0& y, const V1& x) { return weigh(y / x - y); }, s, b);
}

TEST_CASE("gradients of exp log sqrt abs tanh sigmoid relu pow") {
  const auto x = random_away_from_zero<double>(ein::Extents<2>{3, 4}, gen, 0.1, 2.0);
  const auto pos = random_tensor<double>(ein::Extents<2>{3, 4}, gen, 0.2, 3.0);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::exp(v)); }, x);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::log(v)); }, pos);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::sqrt(v)); }, pos);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::abs(v)); }, x);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::tanh(v)); }, x);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::sigmoid(v)); }, x);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::relu(v)); }, x);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::pow(v, 2)); }, x);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::pow(v, 3)); }, x);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::pow(v, 0.5)); }, pos);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::pow(v, -1.5)); }, pos);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::pow(v, 0)); }, x);
  // sigmoid far out on both sides: finite value, tiny gradient
  const Tensor<double, 1> far({4}, {-40, -15, 15, 40});
  EIN_CHECK_GRADIENTS([](const V1& v) { return weigh(ein::sigmoid(v)); }, far);
  // a chain of them
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::tanh(ein::exp(v) * ein::sigmoid(v)) / (1.0 + ein::abs(v))); },
                      x);
}

TEST_CASE("gradients of leaky_relu gelu silu, and their values (PyTorch's)") {
  const auto x = random_away_from_zero<double>(ein::Extents<2>{3, 4}, gen, 0.1, 3.0);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::leaky_relu(v)); }, x);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::leaky_relu(v, 0.3)); }, x);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::gelu(v)); }, x);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::silu(v)); }, x);
  // torch.nn.functional.gelu / silu / leaky_relu(x, 0.3) at -1, 0.5, 2 (float64).
  const auto v = ein::test::constant(Tensor<double, 1>({3}, {-1, 0.5, 2}));
  const Tensor<double, 1> gelu = ein::gelu(v).value(), silu = ein::silu(v).value(), leaky = ein::leaky_relu(v, 0.3).value();
  CHECK(gelu(0) == doctest::Approx(-0.15865525393145707).epsilon(1e-14));
  CHECK(gelu(1) == doctest::Approx(0.34573123063700656).epsilon(1e-14));
  CHECK(gelu(2) == doctest::Approx(1.9544997361036416).epsilon(1e-14));
  CHECK(silu(0) == doctest::Approx(-0.2689414213699951).epsilon(1e-14));
  CHECK(silu(2) == doctest::Approx(1.7615941559557649).epsilon(1e-14));
  CHECK(leaky(0) == doctest::Approx(-0.3).epsilon(1e-15));
  CHECK(leaky(2) == 2.0);
  // leaky_relu'(0) = slope (PyTorch: the x > 0 branch is 1, else slope)
  const auto z = ein::test::param(Tensor<double, 1>({1}, {0}));
  ein::sum(ein::leaky_relu(z, 0.3)).backward();
  CHECK(z.grad()(0) == 0.3);
}

// A user's own function: the lecture's cube with its derivative, as two lambdas
// and as a struct of the table's shape; a binary one with broadcasting.
struct SoftClip {  // c tanh(x / c), c fixed
  double c = 2;
  template <class T> T operator()(T x) const { return T(c) * std::tanh(x / T(c)); }
  template <class T> T derivative(T, T y) const { return T(1) - (y / T(c)) * (y / T(c)); }
};
struct Hypot {  // sqrt(x^2 + y^2)
  template <class T> T operator()(T x, T y) const { return std::sqrt(x * x + y * y); }
  template <class T> T dx(T x, T, T z) const { return x / z; }
  template <class T> T dy(T, T y, T z) const { return y / z; }
};

TEST_CASE("ein::apply: a user's function with its derivative, gradients checked") {
  const auto x = random_away_from_zero<double>(ein::Extents<2>{3, 4}, gen, 0.1, 2.0);
  const auto row = random_away_from_zero<double>(ein::Extents<1>{4}, gen, 0.1, 2.0);
  const auto cube = ein::with_derivative([](auto u) { return u * u * u; }, [](auto u, auto) { return 3 * u * u; });
  EIN_CHECK_GRADIENTS([&](const V2& v) { return weigh(ein::apply(cube, v)); }, x);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::apply(SoftClip{}, v)); }, x);
  EIN_CHECK_GRADIENTS([](const V2& a, const V1& b) { return weigh(ein::apply(Hypot{}, a, b)); }, x, row);
  EIN_CHECK_GRADIENTS([](const V1& b, const V2& a) { return weigh(ein::apply(Hypot{}, b, a)); }, row, x);
  // the same function on tensors is the same values, lazily
  const Tensor<double, 2> lazy = ein::apply(SoftClip{}, x);
  const Tensor<double, 2> recorded = ein::apply(SoftClip{}, ein::test::constant(x)).value();
  for (ein::index_t k = 0; k < x.size(); ++k) CHECK(lazy.data()[k] == recorded.data()[k]);
  // an input that needs no gradient gets none; the other still does
  const auto p = ein::test::param(Tensor<double, 2>(x));
  const auto c = ein::test::constant(Tensor<double, 1>(row));
  ein::sum(ein::apply(Hypot{}, p, c)).backward();
  CHECK(p.grad()(0, 0) == doctest::Approx(x(0, 0) / std::hypot(x(0, 0), row(0))));
  CHECK_FALSE(c.requires_grad());
  // and a mismatch names the function
  const auto bad = ein::test::constant(Tensor<double, 1>(ein::Extents<1>{5}));
  CHECK(message_of([&] { (void)ein::apply(Hypot{}, p, bad); }).find("Var 'apply'") != std::string::npos);
}

TEST_CASE("one formula: a function of a Tensor and of a Var agree to the bit") {
  // sigmoid had two formulas (e^-x over 1 + e^-x on tensors); now both are math::Sigmoid.
  const Tensor<float, 1> x({6}, {-30.f, -5.5f, -0.3f, 0.f, 0.7f, 12.f});
  const Tensor<float, 1> lazy_sigmoid = ein::sigmoid(x), lazy_gelu = ein::gelu(x), lazy_silu = ein::silu(x);
  const auto v = ein::test::constant(Tensor<float, 1>(x));
  const Tensor<float, 1> var_sigmoid = ein::sigmoid(v).value(), var_gelu = ein::gelu(v).value(),
                         var_silu = ein::silu(v).value();
  for (ein::index_t k = 0; k < x.size(); ++k) {
    CHECK(lazy_sigmoid(k) == var_sigmoid(k));
    CHECK(lazy_gelu(k) == var_gelu(k));
    CHECK(lazy_silu(k) == var_silu(k));
  }
}

TEST_CASE("derivatives at kinks follow PyTorch") {
  const auto x = ein::test::param(Tensor<double, 1>({3}, {-1, 0, 1}));
  ein::sum(ein::relu(x) + ein::abs(x)).backward();
  CHECK(x.grad()(0) == -1.0);  // relu 0, abs -1
  CHECK(x.grad()(1) == 0.0);   // relu'(0) = 0, abs'(0) = 0
  CHECK(x.grad()(2) == 2.0);
  const auto z = ein::test::param(Tensor<double, 1>({1}, {0}));
  ein::sum(ein::pow(z, 0)).backward();
  CHECK(z.grad()(0) == 0.0);
}

TEST_CASE("gradients of sum and mean") {
  const auto a = random_tensor<double>(ein::Extents<3>{2, 3, 2}, gen);
  EIN_CHECK_GRADIENTS([](const V3& v) { return ein::sum(v); }, a);
  EIN_CHECK_GRADIENTS([](const V3& v) { return ein::mean(v); }, a);
  EIN_CHECK_GRADIENTS([](const V3& v) { return ein::mean(v * v) * ein::sum(v); }, a);
  const auto s = random_tensor<double>(ein::Extents<0>{}, gen);
  EIN_CHECK_GRADIENTS([](const V0& v) { return ein::sum(v) + ein::mean(v); }, s);
  const auto x = ein::test::param(Tensor<double, 2>(ein::Extents<2>{0, 3}));
  CHECK(ein::sum(x).value()() == 0.0);
  CHECK(std::isnan(ein::mean(x).value()()));
}

TEST_CASE("a small network: einsum, bias, activations, mean") {
  const auto w1 = random_tensor<double>(ein::Extents<2>{4, 3}, gen);
  const auto b1 = random_tensor<double>(ein::Extents<1>{4}, gen);
  const auto w2 = random_tensor<double>(ein::Extents<2>{2, 4}, gen);
  const auto input = ein::test::constant(random_tensor<double>(ein::Extents<2>{5, 3}, gen));
  EIN_CHECK_GRADIENTS(
      [&](const V2& W1, const V1& B1, const V2& W2) {
        const auto hidden = ein::tanh(ein::einsum<"ij,nj->ni">(W1, input) + B1);
        const auto out = ein::einsum<"ki,ni->nk">(W2, hidden);
        return ein::mean(ein::pow(out, 2)) + 0.1 * ein::sum(ein::sigmoid(out));
      },
      w1, b1, w2);
}

TEST_CASE("shape mismatches throw ein::shape_error naming the op and both extents") {
  const auto a = ein::test::param(Tensor<float, 2>(3, 4));
  const auto b = ein::test::param(Tensor<float, 2>(4, 3));
  const auto bias = ein::test::param(Tensor<float, 1>(3));
  CHECK_THROWS_AS((void)(a + b), ein::shape_error);
  CHECK(message_of([&] { (void)(a + b); }) == "Var '+': extents (3, 4) and (4, 3) differ");
  CHECK(message_of([&] { (void)(a * b); }) == "Var '*': extents (3, 4) and (4, 3) differ");
  CHECK_THROWS_AS((void)(a - bias), ein::shape_error);
  CHECK(message_of([&] { (void)(a / bias); }) ==
        "Var '/': extents (3, 4) and (3) do not line up: a rank-1 operand must have the other's last extent (4)");
  CHECK(message_of([&] { (void)(bias - a); }) ==
        "Var '-': extents (3) and (3, 4) do not line up: a rank-1 operand must have the other's last extent (4)");
  // and nothing was recorded when it threw: a, b are still leaves with no gradient
  CHECK_FALSE(a.node()->has_grad());
}

// --- ein::apply of a Function: a user's op with its own backward ---

namespace {

/// x^3, its input saved by forward; `token` counts who still holds the op.
struct CubeFunction {
  Tensor<double, 2> x;
  std::shared_ptr<int> token;
  Tensor<double, 2> forward(const Tensor<double, 2>& in) {
    x = in;
    return ein::pow(in, 3.0);
  }
  auto backward(const Tensor<double, 2>& grad) const { return 3.0 * ein::square(x) * grad; }  // an expression
};

/// x * b with b a row broadcast over x's rows; backward returns b's gradient
/// unreduced ([N, C]) for the library to sum, and skips what is not needed.
struct RowScale {
  Tensor<double, 2> x;
  Tensor<double, 1> b;
  int skipped = 0;
  Tensor<double, 2> forward(const Tensor<double, 2>& in, const Tensor<double, 1>& row) {
    x = in;
    b = row;
    return ein::einsum<"ij,j->ij">(in, row);
  }
  std::tuple<Tensor<double, 2>, Tensor<double, 2>> backward(const Tensor<double, 2>& grad,
                                                           const std::array<bool, 2>& needs) {
    Tensor<double, 2> gx, gb;
    if (needs[0]) gx = ein::einsum<"ij,j->ij">(grad, b);
    else ++skipped;
    if (needs[1]) gb = grad * x;
    else ++skipped;
    return {std::move(gx), std::move(gb)};
  }
};

/// Returns a gradient of the wrong shape.
struct WrongShape {
  Tensor<double, 1> forward(const Tensor<double, 1>& in) { return in; }
  Tensor<double, 1> backward(const Tensor<double, 1>&) { return Tensor<double, 1>(ein::Extents<1>{5}); }
};

}  // namespace

TEST_CASE("ein::apply of a Function: gradients checked, broadcast inputs reduced, skipped, saved state freed") {
  const auto x = random_away_from_zero<double>(ein::Extents<2>{3, 4}, gen, 0.1, 2.0);
  const auto row = random_away_from_zero<double>(ein::Extents<1>{4}, gen, 0.1, 2.0);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::apply(CubeFunction{}, v)); }, x);
  EIN_CHECK_GRADIENTS([](const V2& v, const V1& b) { return weigh(ein::apply(RowScale{}, v, b)); }, x, row);
  // The op (what it saved) lives in the tape node and goes with the graph.
  auto token = std::make_shared<int>(0);
  {
    const auto p = ein::test::param(Tensor<double, 2>(x));
    auto y = ein::sum(ein::apply(CubeFunction{{}, token}, p));
    CHECK(token.use_count() == 2);
    y.backward();
    CHECK(token.use_count() == 1);  // backward freed the graph, and the op with it
  }
  // An input that needs no gradient: backward is told, and nothing is added to it.
  const auto p = ein::test::param(Tensor<double, 2>(x));
  const auto c = ein::test::constant(Tensor<double, 1>(row));
  const auto y = ein::apply(RowScale{}, p, c);
  ein::sum(y).backward();
  CHECK(p.grad()(1, 2) == doctest::Approx(row(2)));
  // No input needs a gradient: nothing is recorded.
  CHECK_FALSE(ein::apply(CubeFunction{}, ein::test::constant(Tensor<double, 2>(x))).requires_grad());
#ifdef EIN_TEST_ON_EMULATED_CUDA
  {  // Off the host: x's gradient (its extents) through the table, b's (summed over x's rows) through the host.
    const auto a = ein::test::param(Tensor<double, 2>(x));
    const auto b = ein::test::param(Tensor<double, 1>(row));
    auto z = ein::sum(ein::apply(RowScale{}, a, b));
    ein::test::calls.clear();
    z.backward();
    CHECK(ein::test::calls["to_host"] == 1);
    CHECK(ein::test::calls["from_host"] == 1);
    CHECK(ein::test::calls["add_into"] >= 2);
    CHECK(a.grad()(2, 1) == doctest::Approx(row(1)));
    CHECK(b.grad()(1) == doctest::Approx(x(0, 1) + x(1, 1) + x(2, 1)));
  }
#endif
  // A gradient that does not reduce to its input's shape names the input.
  const auto w = ein::test::param(Tensor<double, 1>({3}, {1, 2, 3}));
  auto bad = ein::sum(ein::apply(WrongShape{}, w));
  CHECK(message_of([&] { bad.backward(); }).find("ein::apply: the gradient of input 0 has extents (5)") !=
        std::string::npos);
}
