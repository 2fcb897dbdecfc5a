// softmax, log_softmax, cross_entropy, mse_loss (values, gradients against central
// differences, stability at ±1e4, errors), the seeded initialisers, and a data set's
// mini-batches (data::Batches) with their running score (nn::RunningScore).
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include <doctest/doctest.h>

#include "ein/autodiff.hpp"
#include "ein/data/batches.hpp"
#include "gradcheck.hpp"
#include "message_of.hpp"

using ein::Tensor;
using ein::test::message_of;
using ein::test::Var;
using ein::test::random_tensor;
using V0 = Var<double, 0>;
using V1 = Var<double, 1>;
using V2 = Var<double, 2>;
using V3 = Var<double, 3>;

namespace {
std::mt19937 gen(42);

template <std::size_t R>
V0 weigh(const Var<double, R>& v) {
  std::mt19937 g(11);
  return ein::sum(v * ein::test::constant(random_tensor<double>(v.extents(), g, -2.0, 2.0)));
}

template <class T, std::size_t R>
bool all_finite(const Tensor<T, R>& t) {
  for (ein::index_t k = 0; k < t.size(); ++k)
    if (!std::isfinite(t.data()[k])) return false;
  return true;
}
}  // namespace

TEST_CASE_TEMPLATE("softmax and log_softmax values", T, float, double) {
  const auto x = ein::test::param(Tensor<T, 2>({2, 3}, {1, 2, 3, 0, 0, 0}));
  const auto s = ein::softmax(x, 1);
  const double e = std::exp(1.0), z = 1 + e + e * e;
  CHECK(static_cast<double>(s.value()(0, 0)) == doctest::Approx(1 / z).epsilon(1e-6));
  CHECK(static_cast<double>(s.value()(0, 2)) == doctest::Approx(e * e / z).epsilon(1e-6));
  CHECK(static_cast<double>(s.value()(1, 1)) == doctest::Approx(1.0 / 3).epsilon(1e-6));
  const auto ls = ein::log_softmax(x, 1);
  CHECK(static_cast<double>(ls.value()(0, 0)) == doctest::Approx(-std::log(z)).epsilon(1e-6));
  // along axis 0: each column sums to 1
  const auto s0 = ein::softmax(x, 0);
  for (int j = 0; j < 3; ++j) CHECK(static_cast<double>(s0.value()(0, j) + s0.value()(1, j)) == doctest::Approx(1.0));
  // a negative dim counts from the end
  CHECK(ein::softmax(x, -1).value()(0, 2) == s.value()(0, 2));
  CHECK(ein::softmax(x, -2).value()(1, 0) == s0.value()(1, 0));
}

TEST_CASE("softmax and log_softmax gradients along each axis of a rank-3 input") {
  const auto x = random_tensor<double>(ein::Extents<3>{2, 3, 4}, gen, -3.0, 3.0);
  for (int dim = 0; dim < 3; ++dim) {
    CAPTURE(dim);
    EIN_CHECK_GRADIENTS([dim](const V3& v) { return weigh(ein::softmax(v, dim)); }, x);
    EIN_CHECK_GRADIENTS([dim](const V3& v) { return weigh(ein::log_softmax(v, dim)); }, x);
  }
  const auto y = random_tensor<double>(ein::Extents<1>{5}, gen, -3.0, 3.0);
  EIN_CHECK_GRADIENTS([](const V1& v) { return weigh(ein::softmax(v, 0)); }, y);
  EIN_CHECK_GRADIENTS([](const V1& v) { return weigh(ein::log_softmax(v, -1)); }, y);
  const auto m = random_tensor<double>(ein::Extents<2>{3, 4}, gen, -3.0, 3.0);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::exp(ein::log_softmax(v, 1)) - ein::softmax(v, 0)); }, m);
}

TEST_CASE("softmax and log_softmax are stable at ±1e4") {
  const Tensor<double, 2> big({2, 4}, {1e4, -1e4, 1e4 - 1, 0, -1e4, -1e4 + 2, -1e4, -1e4 + 1});
  const auto x = ein::test::param(big);
  const auto s = ein::softmax(x, 1);
  const auto ls = ein::log_softmax(x, 1);
  CHECK(all_finite(s.value()));
  CHECK(all_finite(ls.value()));
  CHECK(s.value()(0, 0) == doctest::Approx(1 / (1 + std::exp(-1.0))));
  CHECK(ls.value()(0, 1) == doctest::Approx(-2e4 - std::log1p(std::exp(-1.0))));
  CHECK(s.value()(1, 1) == doctest::Approx(std::exp(2.0) / (2 + std::exp(1.0) + std::exp(2.0))));
  weigh(s).backward(ein::retain_graph);
  CHECK(all_finite(x.grad()));
  x.zero_grad();
  weigh(ls).backward(ein::retain_graph);
  CHECK(all_finite(x.grad()));
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::softmax(v, 1)); }, big);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::log_softmax(v, 1)); }, big);
  EIN_CHECK_GRADIENTS([](const V2& v) { return weigh(ein::log_softmax(v, 0)); }, big);
  // float too
  const auto xf = ein::test::param(Tensor<float, 1>({3}, {1e4f, -1e4f, 0}));
  CHECK(all_finite(ein::softmax(xf, 0).value()));
  CHECK(all_finite(ein::log_softmax(xf, 0).value()));
}

// PyTorch: softmax, log_softmax and cross_entropy of a line holding +inf are NaN
// throughout (inf - inf); ein gave softmax [nan, 0, 0] for [inf, 0, 0]. A -inf
// is an ordinary zero probability; a line of -inf only is NaN (0 / 0), as PyTorch.
TEST_CASE_TEMPLATE("softmax, log_softmax and cross_entropy of +inf are NaN throughout, as PyTorch", T, float,
                   double) {
  const T inf = std::numeric_limits<T>::infinity();
  const auto all_nan = [](const auto& t) {
    for (ein::index_t k = 0; k < t.size(); ++k)
      if (!std::isnan(t.data()[k])) return false;
    return true;
  };
  const auto x = ein::test::param(Tensor<T, 2>({3, 3}, {inf, 0, 0, -inf, 0, 0, -inf, -inf, -inf}));
  const auto s = ein::softmax(x, 1);
  const auto ls = ein::log_softmax(x, 1);
  for (const auto* y : {&s, &ls}) {
    INFO((y == &s ? "softmax" : "log_softmax"));
    for (ein::index_t k = 0; k < 3; ++k) {
      CHECK(std::isnan(y->value()(0, k)));  // [inf, 0, 0]
      CHECK(std::isnan(y->value()(2, k)));  // [-inf, -inf, -inf]
    }
  }
  CHECK(s.value()(1, 0) == T(0));  // [-inf, 0, 0]
  CHECK(s.value()(1, 1) == T(0.5));
  CHECK(ls.value()(1, 0) == -inf);
  CHECK(ls.value()(1, 2) == doctest::Approx(-std::log(2.0)));
  // gradients through the NaN line are NaN (PyTorch's too), the finite line's finite
  ein::sum(s * T(2)).backward();
  CHECK(std::isnan(x.grad()(0, 1)));
  CHECK(x.grad()(1, 1) == T(0));  // softmax's gradient of a constant weight is 0
  // cross_entropy: a row holding +inf is NaN whatever its label, so is the mean
  for (const int label : {0, 1}) {
    const auto logits = ein::test::param(Tensor<T, 2>({1, 3}, {inf, 0, 0}));
    const auto loss = ein::cross_entropy(logits, {label});
    CHECK(std::isnan(loss.value()()));
    loss.backward();
    CHECK(all_nan(logits.grad()));
  }
  const auto finite = ein::test::param(Tensor<T, 2>({1, 3}, {-inf, 0, 0}));
  CHECK(ein::cross_entropy(finite, {1}).value()() == doctest::Approx(std::log(2.0)));
}

TEST_CASE("softmax rejects a dim out of range") {
  const auto x = ein::test::param(Tensor<double, 2>(2, 3));
  CHECK_THROWS_AS((void)ein::softmax(x, 2), ein::shape_error);
  CHECK(message_of([&] { (void)ein::log_softmax(x, -3); }) == "log_softmax: dim -3 is out of range for extents (2, 3)");
}

TEST_CASE_TEMPLATE("cross_entropy value", T, float, double) {
  const auto logits = ein::test::param(Tensor<T, 2>({2, 3}, {1, 2, 3, 0, 0, 0}));
  const std::vector<int> labels{2, 0};
  const double z = 1 + std::exp(1.0) + std::exp(2.0);
  // lse - x[label] per row, averaged: lse of (1, 2, 3) is 1 + log z, of (0, 0, 0) log 3
  const double expected = 0.5 * ((1 + std::log(z) - 3) + std::log(3.0));
  const auto loss = ein::cross_entropy(logits, labels);
  CHECK(static_cast<double>(loss.value()()) == doctest::Approx(expected).epsilon(1e-6));
  loss.backward(ein::retain_graph);
  // (softmax - onehot) / N
  CHECK(static_cast<double>(logits.grad()(0, 2)) == doctest::Approx((std::exp(2.0) / z - 1) / 2).epsilon(1e-6));
  CHECK(static_cast<double>(logits.grad()(1, 1)) == doctest::Approx(1.0 / 6).epsilon(1e-6));
  // every label form gives the same loss
  const std::vector<std::int64_t> wide{2, 0};
  const Tensor<int, 1> as_tensor({2}, {2, 0});
  CHECK(ein::cross_entropy(logits, std::span<const int>(labels)).value()() == loss.value()());
  CHECK(ein::cross_entropy(logits, wide).value()() == loss.value()());
  CHECK(ein::cross_entropy(logits, as_tensor).value()() == loss.value()());
  CHECK(ein::cross_entropy(logits, {2, 0}).value()() == loss.value()());
}

TEST_CASE("cross_entropy gradients, equal to log_softmax and a pick") {
  const auto x = random_tensor<double>(ein::Extents<2>{5, 4}, gen, -3.0, 3.0);
  const std::vector<int> labels{3, 0, 1, 1, 2};
  EIN_CHECK_GRADIENTS([&](const V2& v) { return ein::cross_entropy(v, labels); }, x);
  EIN_CHECK_GRADIENTS([&](const V2& v) { return ein::cross_entropy(ein::tanh(v) * 3.0, labels) * 2.0; }, x);
  // the unfused form gives the same value
  Tensor<double, 2> onehot(5, 4);
  for (int r = 0; r < 5; ++r) onehot(r, labels[r]) = 1;
  const auto v = ein::test::param(x);
  const auto fused = ein::cross_entropy(v, labels);
  const auto unfused = -ein::mean(ein::einsum<"nc,nc->n">(ein::log_softmax(v, 1), ein::test::constant(onehot)));
  CHECK(fused.value()() == doctest::Approx(unfused.value()()).epsilon(1e-12));
}

TEST_CASE("cross_entropy is stable at ±1e4") {
  const Tensor<double, 2> big({2, 2}, {1e4, -1e4, -1e4, 1e4});
  const auto x = ein::test::param(big);
  const auto loss = ein::cross_entropy(x, {1, 1});
  CHECK(loss.value()() == doctest::Approx(1e4));  // row 0 costs 2e4, row 1 costs 0
  loss.backward(ein::retain_graph);
  CHECK(all_finite(x.grad()));
  CHECK(x.grad()(0, 0) == doctest::Approx(0.5));
  CHECK(x.grad()(0, 1) == doctest::Approx(-0.5));
  EIN_CHECK_GRADIENTS([](const V2& v) { return ein::cross_entropy(v, {1, 1}); }, big);
  const auto xf = ein::test::param(Tensor<float, 2>({1, 3}, {1e4f, -1e4f, 0}));
  CHECK(std::isfinite(ein::cross_entropy(xf, {1}).value()()));
}

TEST_CASE("cross_entropy rejects bad labels") {
  const auto x = ein::test::param(Tensor<float, 2>(3, 4));
  CHECK_THROWS_AS((void)ein::cross_entropy(x, {0, 4, 1}), std::out_of_range);
  CHECK_THROWS_AS((void)ein::cross_entropy(x, {0, -1, 1}), std::out_of_range);
  CHECK(message_of([&] { (void)ein::cross_entropy(x, {0, 1, 7}); }) ==
        "cross_entropy: label 7 of row 2 is out of range for 4 classes (logits of extents (3, 4))");
  CHECK_THROWS_AS((void)ein::cross_entropy(x, {0, 1}), ein::shape_error);
  CHECK(message_of([&] { (void)ein::cross_entropy(x, {0, 1}); }) ==
        "cross_entropy: 2 labels for logits of extents (3, 4) (one label per row)");
}

TEST_CASE("mse_loss value, gradients and errors") {
  const auto p = ein::test::param(Tensor<double, 1>({3}, {1, 2, 3}));
  const Tensor<double, 1> t({3}, {1, 0, 6});
  CHECK(ein::mse_loss(p, t).value()() == doctest::Approx((0 + 4 + 9) / 3.0));
  const auto a = random_tensor<double>(ein::Extents<2>{3, 4}, gen);
  const auto b = random_tensor<double>(ein::Extents<2>{3, 4}, gen);
  EIN_CHECK_GRADIENTS([](const V2& x, const V2& y) { return ein::mse_loss(x, y); }, a, b);
  EIN_CHECK_GRADIENTS([&](const V2& x) { return ein::mse_loss(ein::tanh(x), b); }, a);
  const auto wrong = ein::test::param(Tensor<double, 1>(4));
  CHECK(message_of([&] { (void)ein::mse_loss(p, wrong); }) ==
        "mse_loss: extents (3) (prediction) and (4) (target) differ");
  const auto pf = ein::test::param(Tensor<float, 2>({1, 2}, {1, 2}));
  CHECK(ein::mse_loss(pf, ein::test::constant(Tensor<float, 2>({1, 2}, {0, 0}))).value()() == 2.5f);
}

TEST_CASE("initialisers: deterministic for a seed, within their bounds, with their spread") {
  Tensor<float, 2> a(64, 128), b(64, 128), c(64, 128);
  ein::nn::kaiming_uniform(a, 123);
  ein::nn::kaiming_uniform(b, 123);
  ein::nn::kaiming_uniform(c, 124);
  CHECK(std::equal(a.data(), a.data() + a.size(), b.data()));
  CHECK_FALSE(std::equal(a.data(), a.data() + a.size(), c.data()));
  // the first values are fixed forever: std::mt19937 is specified and the conversion is ours
  std::mt19937 ref(123);
  const std::uint32_t hi = ref() >> 5, lo = ref() >> 6;
  const double u = (hi * 67108864.0 + lo) / 9007199254740992.0;
  const double bound = std::sqrt(2.0) * std::sqrt(3.0 / 128);  // fan_in = in = 128
  CHECK(a(0, 0) == static_cast<float>(-bound + 2 * bound * u));

  const auto stats = [](const auto& t) {
    double s = 0, s2 = 0, mx = 0;
    for (ein::index_t k = 0; k < t.size(); ++k) {
      const double v = t.data()[k];
      s += v;
      s2 += v * v;
      mx = std::max(mx, std::abs(v));
    }
    const double n = static_cast<double>(t.size());
    return std::array<double, 3>{s / n, std::sqrt(s2 / n - (s / n) * (s / n)), mx};
  };
  auto st = stats(a);
  CHECK(st[2] <= bound);
  CHECK(st[1] == doctest::Approx(bound / std::sqrt(3.0)).epsilon(0.03));
  CHECK(std::abs(st[0]) < 0.01);

  std::mt19937 g(5);
  Tensor<double, 2> n(64, 128);
  ein::nn::kaiming_normal(n, g);
  st = stats(n);
  CHECK(st[1] == doctest::Approx(std::sqrt(2.0 / 128)).epsilon(0.03));
  ein::nn::kaiming_normal(n, g, {.mode = ein::nn::FanMode::fan_out, .nonlinearity = ein::nn::Nonlinearity::relu});
  CHECK(stats(n)[1] == doctest::Approx(std::sqrt(2.0 / 64)).epsilon(0.03));

  Tensor<double, 2> x(64, 128);
  ein::nn::xavier_uniform(x, g);
  st = stats(x);
  const double xb = std::sqrt(6.0 / (64 + 128));
  CHECK(st[2] <= xb);
  CHECK(st[1] == doctest::Approx(xb / std::sqrt(3.0)).epsilon(0.03));
  ein::nn::xavier_normal(x, g, ein::nn::calculate_gain(ein::nn::Nonlinearity::tanh));
  CHECK(stats(x)[1] == doctest::Approx(5.0 / 3 * std::sqrt(2.0 / (64 + 128))).epsilon(0.03));

  // a generator advances: two fills from one generator differ
  std::mt19937 g2(9);
  Tensor<float, 2> p(4, 4), q(4, 4);
  ein::nn::xavier_uniform(p, g2);
  ein::nn::xavier_uniform(q, g2);
  CHECK_FALSE(std::equal(p.data(), p.data() + p.size(), q.data()));
}

TEST_CASE("initialisers: fans, Vars, errors") {
  const Tensor<float, 4> conv(8, 3, 5, 5);
  const auto f = ein::nn::fans(conv);
  CHECK(f.fan_in == 75);
  CHECK(f.fan_out == 200);
  CHECK(ein::nn::fans(Tensor<double, 2>(10, 20)).fan_in == 20);
  CHECK(ein::nn::calculate_gain(ein::nn::Nonlinearity::leaky_relu, 0.2) == doctest::Approx(std::sqrt(2 / 1.04)));
  const auto w = ein::test::param(Tensor<float, 2>(3, 5));
  ein::nn::kaiming_uniform(w, 7);
  Tensor<float, 2> same(3, 5);
  ein::nn::kaiming_uniform(same, 7);
  CHECK(std::equal(same.data(), same.data() + same.size(), w.value().data()));
  const auto b = ein::test::param(Tensor<float, 1>(5));
  ein::nn::uniform(b, 7, -0.5, 0.5);
  for (int k = 0; k < 5; ++k) CHECK(std::abs(b.value()(k)) <= 0.5f);
  Tensor<float, 2> empty(4, 0);  // fan_in 0
  CHECK_THROWS_AS(ein::nn::kaiming_uniform(empty, 1), ein::shape_error);
}

TEST_CASE("data::Batches gathers a data set's rows in the order set, on the device under test") {
  Tensor<float, 2> images(5, 3);
  for (int r = 0; r < 5; ++r)
    for (int c = 0; c < 3; ++c) images(r, c) = float(10 * r + c);
  const std::vector<int> labels{0, 1, 2, 0, 1};
  ein::test::calls.clear();
  ein::data::Batches<ein::test::Device> batches(images, labels);
  CHECK(batches.size() == 5);
  const auto expect = [&](const auto& batch, const std::vector<int>& rows) {
    const Tensor<float, 2> x = ein::to_host(batch.first);
    REQUIRE(x.extent(0) == static_cast<ein::index_t>(rows.size()));
    REQUIRE(batch.second.size() == rows.size());
    CHECK(x.extent(1) == 3);
    for (std::size_t k = 0; k < rows.size(); ++k) {
      for (int c = 0; c < 3; ++c) CHECK(x(k, c) == images(rows[k], c));
      CHECK(batch.second[k] == labels[static_cast<std::size_t>(rows[k])]);
    }
  };
  expect(batches.batch(1, 2), {1, 2});  // the identity order until one is set
  batches.set_order(std::vector<ein::index_t>{4, 0, 4, 2});
  expect(batches.batch(0, 3), {4, 0, 4});
  expect(batches.batch(3, 1), {2});
  expect(batches.batch(4, 0), {});
  CHECK_THROWS_AS((void)batches.batch(2, 3), std::out_of_range);
  CHECK_THROWS_AS((void)batches.batch(-1, 1), std::out_of_range);
  CHECK_THROWS_AS((void)batches.batch(0, -1), std::out_of_range);
  CHECK(message_of([&] { batches.set_order(std::vector<ein::index_t>{1, 5}); }) ==
        "Batches::set_order: row 5 at position 1 is outside a data set of 5 rows");
  expect(batches.batch(0, 3), {4, 0, 4});  // a refused order leaves the last one
  CHECK(message_of([&] { ein::data::Batches<ein::test::Device>(images, std::vector<int>{0, 1}); }) ==
        "Batches: 2 labels for images of extents (5, 3) (one label per row)");

  ein::data::Batches<ein::test::Device> kept(Tensor<float, 2>(images), labels);  // a temporary: kept, not dangling
  expect(kept.batch(2, 3), {2, 3, 4});
  if constexpr (ein::test::on_host) {
    images(4, 2) = -1;  // the host reads the caller's images: the data set is not copied
    CHECK(ein::to_host(batches.batch(0, 1).first)(0, 2) == -1);
  } else {
    CHECK(ein::test::calls["from_host"] == 2);  // each data set copied to the device once (none when refused)
    CHECK(ein::test::calls["gather_rows"] == 6);  // a batch refused gathers nothing
  }
}

TEST_CASE("nn::RunningScore sums the loss over rows and counts the rows classified right") {
  // row 0's largest logit is at 0; row 1's first largest at 1 (a tie with 2); row 2's at 2
  const Tensor<float, 2> logits_host(ein::Extents<2>{3, 3}, {2, 1, 0, 0, 5, 5, 1, 0, 3});
  const std::vector<int> labels{0, 2, 2};  // right, wrong (a tie goes to the first), right
  ein::data::Batches<ein::test::Device> batches(logits_host, labels);
  auto [x, y] = batches.batch(0, 3);
  const auto logits = ein::constant(std::move(x));
  const auto loss = ein::cross_entropy(logits, y);
  ein::nn::RunningScore<ein::test::Device> score;
  score.add(logits, y, loss);
  score.add(logits, y, loss);
  const auto [sum, correct] = score.read();
  CHECK(sum == doctest::Approx(6.0 * double(ein::to_host(loss.value())())));
  CHECK(correct == 4);
  score.reset();
  CHECK(score.read() == std::pair<double, ein::index_t>{0.0, 0});
  score.add(logits, labels, loss);  // host labels, as cross_entropy takes them
  CHECK(score.read().second == 2);
  CHECK(score.read().first == doctest::Approx(3.0 * double(ein::to_host(loss.value())())));
  CHECK_THROWS_AS(score.add(logits, std::vector<int>{0, 1}, loss), ein::shape_error);
  const auto two_rows = batches.batch(0, 2);  // (not a structured binding: clang 14 cannot capture one)
  CHECK(message_of([&] { score.add(logits, two_rows.second, loss); }) ==
        "RunningScore::add: 2 labels for logits of extents (3, 3) (one label per row)");
}
