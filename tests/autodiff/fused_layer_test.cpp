// Layers fused into their einsum (autodiff/einsum_node.hpp): relu(einsum + b)
// against the same ops unfused (a named einsum result does not fuse), values and
// gradients; central differences in double; the passes a training step makes over
// its layer-sized tensors, before (unfused) and after; and the pending value's
// contract (node.hpp's guarantee 3): a read, a write to a leaf, an optimizer step,
// no_grad, retain_grad and a freed graph all see what computing it at once gives.
#include <cmath>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include "ein/autodiff.hpp"
#include "gradcheck.hpp"

using ein::index_t;
using ein::Tensor;

namespace {

template <class T, std::size_t R>
void check_close(const Tensor<T, R>& got, const Tensor<T, R>& want, double tol) {
  REQUIRE(got.extents() == want.extents());
  for (index_t k = 0; k < got.size(); ++k) {
    const double g = got.data()[k], w = want.data()[k];
    INFO("element " << k << ": " << g << " against " << w);
    CHECK(std::abs(g - w) <= tol * (1.0 + std::abs(w)));
  }
}

/// The passes over tensors of at least `from` elements that f() makes on this thread.
template <class F>
long passes_of(index_t from, F&& f) {
  auto& counter = ein::detail::pass_counter();
  counter = {from, 0};
  f();
  const long passes = counter.passes;
  counter = {};
  return passes;
}

template <class T>
struct Layer {
  std::mt19937 gen{7};
  ein::Var<T, 2> w, x;
  ein::Var<T, 1> b;
  ein::Var<T, 2> c;  // a constant weighting of the output, so that every gradient element differs
  Layer(index_t n, index_t h, index_t in)
      : w(ein::param(ein::test::random_tensor<T, 2>({h, in}, gen))),
        x(ein::param(ein::test::random_tensor<T, 2>({n, in}, gen))),
        b(ein::param(ein::test::random_tensor<T, 1>({h}, gen))),
        c(ein::constant(ein::test::random_tensor<T, 2>({n, h}, gen))) {}
  void zero_grad() {
    w.zero_grad();
    x.zero_grad();
    b.zero_grad();
  }
};

template <class T>
void check_fused_against_unfused(index_t n, index_t h, index_t in, bool bias_first) {
  Layer<T> l(n, h, in);
  const double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  // Unfused: a named einsum result keeps its value, so + b and relu are their own ops.
  const auto e = ein::einsum<"ij,lj->li">(l.w, l.x);
  const auto unfused = ein::relu(e + l.b);
  ein::sum(unfused * l.c).backward();
  const Tensor<T, 2> dw = l.w.grad(), dx = l.x.grad();
  const Tensor<T, 1> db = l.b.grad();
  l.zero_grad();
  const auto fused = bias_first ? ein::relu(l.b + ein::einsum<"ij,lj->li">(l.w, l.x))
                                : ein::relu(ein::einsum<"ij,lj->li">(l.w, l.x) + l.b);
  CHECK(fused.node()->input_count() == 3);  // (W, X and b: one node)
  check_close(fused.value(), unfused.value(), tol);
  ein::sum(fused * l.c).backward();
  check_close(l.w.grad(), dw, tol);
  check_close(l.x.grad(), dx, tol);
  check_close(l.b.grad(), db, tol);
  check_close(e.value(), Tensor<T, 2>(ein::einsum<"ij,lj->li">(l.w.value(), l.x.value())), tol);
}

}  // namespace

TEST_CASE("relu(einsum + b) fused: the unfused ops' values and gradients") {
  for (const bool bias_first : {false, true}) {
    check_fused_against_unfused<float>(5, 7, 3, bias_first);
    check_fused_against_unfused<float>(64, 130, 33, bias_first);
    check_fused_against_unfused<double>(9, 17, 11, bias_first);
  }
  // Long enough that the relu, the bias fill and the mask split across threads.
  check_fused_against_unfused<float>(300, 257, 20, false);
}

TEST_CASE("relu(einsum + b), einsum + b and relu(einsum) against central differences") {
  std::mt19937 gen(3);
  const auto w = ein::test::random_away_from_zero<double, 2>({6, 4}, gen);
  const auto x = ein::test::random_away_from_zero<double, 2>({5, 4}, gen);
  const auto b = ein::test::random_away_from_zero<double, 1>({6}, gen);
  const auto c = ein::test::random_tensor<double, 2>({5, 6}, gen);
  using V2 = ein::Var<double, 2>;
  using V1 = ein::Var<double, 1>;
  const auto weighted = [&](const V2& y) { return ein::sum(y * ein::constant(c)); };
  CHECK(ein::test::gradcheck<2, 2, 1>(
            [&](const V2& W, const V2& X, const V1& B) {
              return weighted(ein::relu(ein::einsum<"ij,lj->li">(W, X) + B));
            },
            w, x, b)
            .ok);
  CHECK(ein::test::gradcheck<2, 2, 1>(
            [&](const V2& W, const V2& X, const V1& B) { return weighted(ein::einsum<"ij,lj->li">(W, X) + B); }, w, x,
            b)
            .ok);
  CHECK(ein::test::gradcheck<2, 2>(
            [&](const V2& W, const V2& X) { return weighted(ein::relu(ein::einsum<"ij,jk->ik">(X, ein::einsum<"ij->ji">(W)))); },
            w, x)
            .ok);
}

TEST_CASE("a training step's passes over its layer-sized tensors: 8 unfused, 4 fused") {
  // N = 512, H = 64, 32 inputs, 10 classes: the layer's output and its gradients have
  // 32768 elements, every other tensor fewer (W1 2048, X 16384, logits 5120).
  const index_t n = 512, hidden = 64, inputs = 32, classes = 10, layer = n * hidden;
  std::mt19937 gen(11);
  auto w1 = ein::param(ein::test::random_tensor<float, 2>({hidden, inputs}, gen));
  auto w2 = ein::param(ein::test::random_tensor<float, 2>({classes, hidden}, gen));
  auto b1 = ein::param(ein::test::random_tensor<float, 1>({hidden}, gen));
  auto b2 = ein::param(ein::test::random_tensor<float, 1>({classes}, gen));
  const auto x = ein::constant(ein::test::random_tensor<float, 2>({n, inputs}, gen));
  std::vector<int> y(static_cast<std::size_t>(n));
  for (std::size_t r = 0; r < y.size(); ++r) y[r] = static_cast<int>(r % classes);
  ein::optim::SGD opt({w1, b1, w2, b2}, {.lr = 0.01});
  const auto step = [&](bool fused) {
    opt.zero_grad();
    if (fused) {
      const auto h = ein::relu(ein::einsum<"ij,lj->li">(w1, x) + b1);
      ein::cross_entropy(ein::einsum<"ij,lj->li">(w2, h) + b2, y).backward();
    } else {
      const auto e = ein::einsum<"ij,lj->li">(w1, x);
      const auto a = e + b1;
      const auto h = ein::relu(a);
      ein::cross_entropy(ein::einsum<"ij,lj->li">(w2, h) + b2, y).backward();
    }
    opt.step();
  };
  // Unfused: forward + b and relu (2); backward relu's and + b's rules (3: + b's adds
  // to the einsum's gradient and sums the bias's) and three gradients zeroed (h, a, e).
  CHECK(passes_of(layer, [&] { step(false); }) == 8);
  // Fused: forward the bias fill and relu (2); backward h's gradient zeroed and the
  // mask with the bias's sums (2).
  CHECK(passes_of(layer, [&] { step(true); }) == 4);
}

TEST_CASE("a pending einsum computes what computing it at once gives") {
  std::mt19937 gen(5);
  const Tensor<double, 2> w0 = ein::test::random_tensor<double, 2>({3, 4}, gen);
  const Tensor<double, 2> x0 = ein::test::random_tensor<double, 2>({2, 4}, gen);
  const Tensor<double, 2> want = ein::einsum<"ij,lj->li">(w0, x0);

  SUBCASE("a leaf written before the first read") {
    auto w = ein::param(w0);
    const auto y = ein::einsum<"ij,lj->li">(w, ein::constant(x0));
    CHECK(y.node()->pending());
    w.mutable_value().data()[0] += 1.0;
    CHECK(!y.node()->pending());
    check_close(y.value(), want, 1e-14);
  }
  SUBCASE("an optimizer step before the first read") {
    auto w = ein::param(w0);
    auto y = ein::relu(ein::einsum<"ij,lj->li">(w, ein::constant(x0)));
    w.grad().data()[0] = 1.0;
    ein::optim::SGD({w}, {.lr = 0.5}).step();
    Tensor<double, 2> relu_want = want;
    for (index_t k = 0; k < relu_want.size(); ++k) relu_want.data()[k] = std::max(relu_want.data()[k], 0.0);
    check_close(y.value(), relu_want, 1e-14);
  }
  SUBCASE("under no_grad: a constant, the ops not fused") {
    auto w = ein::param(w0);
    const ein::no_grad guard;
    const auto y = ein::relu(ein::einsum<"ij,lj->li">(w, ein::constant(x0)));
    CHECK(!y.requires_grad());
    CHECK(!y.node()->pending());
  }
  SUBCASE("a graph freed by backward before the first read") {
    auto w = ein::param(w0);
    const auto y = ein::einsum<"ij,lj->li">(w, ein::constant(x0));
    const auto z = ein::einsum<"ij,lj->li">(w, ein::constant(x0));  // (never read before backward)
    ein::sum(y).backward();
    check_close(y.value(), want, 1e-14);
    check_close(z.value(), want, 1e-14);
  }
  SUBCASE("a retained gradient is the relu's output's, unmasked; the einsum's own is not fused") {
    auto w = ein::param(w0);
    auto e = ein::einsum<"ij,lj->li">(w, ein::constant(x0));
    e.retain_grad();
    const auto h = ein::relu(std::move(e));
    CHECK(h.node()->input_count() == 1);  // (relu's own node, over the einsum's)
    auto f = ein::relu(ein::einsum<"ij,lj->li">(w, ein::constant(x0)));
    f.retain_grad();
    const Tensor<double, 2> seed = ein::test::random_tensor<double, 2>({2, 3}, gen);
    f.backward(seed);
    check_close(f.grad(), seed, 0.0);
  }
  SUBCASE("a chain of 20000 einsums: each operand read as the next is made, never a chain of pending ones") {
    auto w = ein::param(Tensor<double, 2>({2, 2}));
    w.mutable_value().data()[0] = w.mutable_value().data()[3] = 1.0;  // (the identity)
    auto chain = ein::einsum<"ij,lj->li">(w, w);
    for (int i = 0; i < 20000; ++i) chain = ein::einsum<"ij,lj->li">(w, chain);
    CHECK(chain.node()->pending());
    CHECK(chain.value().size() == 4);
  }
}
