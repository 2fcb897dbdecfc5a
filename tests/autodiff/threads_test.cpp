// The tape's threading contract (README, "Autodiff"): backward passes may run in
// several threads at once when their graphs share only leaves. Accumulation into
// a shared leaf's gradient is then serialised by the leaf's mutex, so nothing is
// lost; graphs that share nothing give bitwise the results of one thread.
// tools/test's tsan stage builds this executable alone with -fsanitize=thread
// (OpenMP and BLAS off, as neither is instrumented) and runs it.
#include <array>
#include <cstring>
#include <thread>
#include <vector>

#include <doctest/doctest.h>

#include "ein/autodiff.hpp"

using ein::index_t;
using ein::Tensor;

namespace {
constexpr int threads = 2;
constexpr int steps = 400;

/// Runs f(t) in `threads` threads at once and waits for them.
template <class F>
void in_threads(F f) {
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) pool.emplace_back(f, t);
  for (std::thread& th : pool) th.join();
}

Tensor<double, 1> filled(index_t n, double v) {
  Tensor<double, 1> t(n);
  t.fill(v);
  return t;
}
}  // namespace

// Was: 3,542 of 4,000 in two threads; ThreadSanitizer reported the race in the rules' `+=`.
TEST_CASE("backward in two threads into shared leaves loses nothing") {
  constexpr index_t n = 32;
  const auto w = ein::param(filled(n, 1.0));      // through + and * (both operands the same leaf, once)
  const auto b = ein::param(filled(n, 0.0));      // through a bias
  const auto m = ein::param(Tensor<double, 2>(4, n));  // through an einsum
  const auto s = ein::param(Tensor<double, 0>());  // a rank-0 Var against a vector
  in_threads([&](int t) {
    const auto x = ein::constant(filled(n, 1.0 + t));
    const auto rows = ein::constant(Tensor<double, 2>(2, n));
    for (int i = 0; i < steps; ++i) {
      const auto y = w * x + w * w;                             // d/dw = x + 2w = 1 + t + 2
      const auto z = ein::einsum<"ij,j->i">(m, x);              // d/dm[i, j] = x[j]
      const auto loss = ein::sum(y) + ein::sum(z) + ein::sum(s * x) + ein::sum(rows + b);  // d/ds = sum(x), d/db = 2
      loss.backward();
    }
  });
  const double per_thread[threads] = {1 + 2, 2 + 2};
  const double total = steps * (per_thread[0] + per_thread[1]);
  for (index_t k = 0; k < n; ++k) {
    CHECK(w.grad()(k) == total);
    CHECK(b.grad()(k) == 2.0 * steps * threads);
    CHECK(m.grad()(3, k) == steps * (1.0 + 2.0));
  }
  CHECK(s.grad()() == steps * n * (1.0 + 2.0));
}

TEST_CASE("a backward seeded at a shared leaf, in two threads") {
  const auto w = ein::param(Tensor<double, 1>(8));
  in_threads([&](int) {
    for (int i = 0; i < steps; ++i) w.backward(filled(8, 1.0));
  });
  CHECK(w.grad()(7) == steps * threads);
}

namespace {
/// One step of a small network on its own parameters: the gradients and loss, as bytes.
std::vector<double> train_alone(int seed) {
  Tensor<double, 2> w1(16, 8), w2(4, 16), x(10, 8);
  for (index_t k = 0; k < w1.size(); ++k) w1.data()[k] = 0.01 * static_cast<double>((k * 7 + seed) % 13) - 0.06;
  for (index_t k = 0; k < w2.size(); ++k) w2.data()[k] = 0.02 * static_cast<double>((k * 5 + seed) % 11) - 0.1;
  for (index_t k = 0; k < x.size(); ++k) x.data()[k] = 0.1 * static_cast<double>((k * 3 + seed) % 7) - 0.3;
  const auto W1 = ein::param(w1), W2 = ein::param(w2);
  const auto b1 = ein::param(Tensor<double, 1>(16));
  const auto X = ein::constant(x);
  const auto h = ein::relu(ein::einsum<"ij,lj->li">(W1, X) + b1);
  const auto o = ein::einsum<"ij,lj->li">(W2, h);
  const auto loss = ein::cross_entropy(o, {0, 1, 2, 3, 0, 1, 2, 3, 0, 1});
  loss.backward();
  std::vector<double> out{loss.value()()};
  for (const auto* g : {&W1.grad(), &W2.grad()}) out.insert(out.end(), g->data(), g->data() + g->size());
  out.insert(out.end(), b1.grad().data(), b1.grad().data() + b1.grad().size());
  return out;
}
}  // namespace

TEST_CASE("independent graphs in separate threads give bitwise the results of one thread") {
  std::array<std::vector<double>, threads> alone, together;
  for (int t = 0; t < threads; ++t) alone[t] = train_alone(t);
  in_threads([&](int t) {
    for (int i = 0; i < 20; ++i) together[t] = train_alone(t);
  });
  for (int t = 0; t < threads; ++t) {
    REQUIRE(together[t].size() == alone[t].size());
    CHECK(std::memcmp(together[t].data(), alone[t].data(), alone[t].size() * sizeof(double)) == 0);
  }
}
