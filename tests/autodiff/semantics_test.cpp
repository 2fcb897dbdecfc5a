// The tape's accumulation semantics, seen through the ops: a Var used twice gets
// both contributions, leaf gradients add up across backward calls until
// zero_grad, no_grad records nothing, a freed graph throws, retain_graph keeps it.
// Runs on the host (autodiff_test) and on the emulated CUDA device
// (autodiff_emulated_cuda_test).
#include <algorithm>
#include <functional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include <doctest/doctest.h>

#include "device_under_test.hpp"
#include "ein/autodiff.hpp"
#include "message_of.hpp"

using ein::Tensor;
using ein::test::message_of;

TEST_CASE("a Var used twice in one graph gets both contributions") {
  const auto x = ein::test::param(Tensor<double, 1>({3}, {1, 2, 3}));
  const auto square = x * x;
  const auto y = square + x;
  const auto loss = ein::sum(y);
  loss.backward();
  CHECK(x.grad()(0) == 3.0);  // 2x + 1
  CHECK(x.grad()(2) == 7.0);
  x.zero_grad();
  const auto xx = ein::einsum<"i,i->">(x, x);
  xx.backward();
  CHECK(x.grad()(1) == 4.0);  // 2x
  x.zero_grad();
  // two branches that meet again
  const auto a = ein::exp(x);
  const auto b = x * 3.0;
  const auto sa = ein::sum(a);
  const auto sb = ein::sum(b);
  const auto both = sa + sb;
  both.backward();
  CHECK(x.grad()(0) == doctest::Approx(std::exp(1.0) + 3));
}

TEST_CASE("leaf gradients add up across backward calls until zero_grad") {
  const auto x = ein::test::param(Tensor<float, 1>({2}, {1, 2}));
  const auto twice = x * 2.0f;
  const auto l1 = ein::sum(twice);
  l1.backward();
  const auto thrice = x * 3.0f;
  const auto l2 = ein::sum(thrice);
  l2.backward();
  CHECK(x.grad()(0) == 5.0f);
  x.zero_grad();
  CHECK(x.grad()(1) == 0.0f);
  const auto again = x * 2.0f;
  const auto l3 = ein::mean(again);
  l3.backward();
  CHECK(x.grad()(1) == 1.0f);
}

TEST_CASE("gradients reach only what requires them; intermediate gradients are freed") {
  const auto x = ein::test::param(Tensor<double, 2>({1, 2}, {1, 2}));
  const auto c = ein::test::constant(Tensor<double, 2>({1, 2}, {3, 4}));
  const auto y = x * c;
  const auto loss = ein::sum(y);
  CHECK(y.requires_grad());
  CHECK_FALSE((c * 2.0).requires_grad());
  loss.backward();
  CHECK(x.grad()(0, 1) == 4.0);
  CHECK_FALSE(c.node()->has_grad());
  CHECK_FALSE(y.node()->has_grad());
}

TEST_CASE("a backward observer hears of each watched leaf once, after the last rule adding into it") {
  const auto w = ein::test::param(Tensor<double, 1>({2}, {1, 2}));
  const auto v = ein::test::param(Tensor<double, 1>({2}, {3, 4}));
  const auto unused = ein::test::param(Tensor<double, 1>({2}, {5, 6}));
  const auto early = w * w;  // (one rule naming w twice)
  const auto loss = ein::sum(early * v + w);  // rules, newest first: sum, +, * v, w * w
  struct Recorder final : ein::detail::BackwardObserver {
    std::vector<const ein::detail::Node*> nodes;  // (sorted: watched()'s contract)
    std::vector<std::function<std::string()>> grads;  // the first element of each one's gradient, as text
    std::vector<std::string> events;
    [[nodiscard]] std::span<const ein::detail::Node* const> watched() const override { return nodes; }
    void gradient_complete(std::size_t i) override { events.push_back(grads[i]()); }
    void after_rule() override { events.emplace_back("rule"); }
  } recorder;
  std::vector<std::pair<const ein::detail::Node*, std::function<std::string()>>> watch;
  for (const auto* var : {&w, &v, &unused}) {
    const std::string name = var == &w ? "w" : var == &v ? "v" : "unused";
    watch.emplace_back(var->node().get(), [var, name] { return name + " " + std::to_string(int(var->grad()(0))); });
  }
  std::sort(watch.begin(), watch.end(), [](const auto& a, const auto& b) { return std::less<>{}(a.first, b.first); });
  for (auto& [node, grad] : watch) {
    recorder.nodes.push_back(node);
    recorder.grads.push_back(grad);
  }
  {
    const ein::detail::ObserveBackward scope(recorder);
    loss.backward();
  }
  // v is complete after "* v" (its gradient then: w * w = 1), w after "w * w", the
  // last rule (2 w v + 1 = 7); `unused` is not reached, so not told.
  std::vector<std::string> told;
  std::size_t rules_after_v = 0, rules_after_w = 0;
  for (const std::string& e : recorder.events) {
    if (e != "rule") told.push_back(e);
    else if (!told.empty()) (told.back()[0] == 'v' ? rules_after_v : rules_after_w) += 1;
  }
  CHECK(told == std::vector<std::string>{"v 1", "w 7"});
  CHECK(rules_after_w == 1);  // (w * w's own)
  CHECK(rules_after_v >= 1);  // ("* v"'s own: w * w still to run)
  CHECK(w.grad()(0) == 7.0);
  // Without the scope, nothing is told.
  const std::size_t events = recorder.events.size();
  ein::sum(w * v).backward();
  CHECK(recorder.events.size() == events);
}

TEST_CASE("no_grad records nothing") {
  const auto x = ein::test::param(Tensor<double, 2>({2, 2}, {1, 2, 3, 4}));
  const auto b = ein::test::param(Tensor<double, 1>({2}, {1, 1}));
  {
    ein::no_grad guard;
    CHECK_FALSE(ein::grad_enabled());
    const auto outputs = {
        ein::sum(x + b), ein::sum(ein::exp(x) * 2.0), ein::mean(ein::softmax(x, 1)),
        ein::cross_entropy(x, {0, 1}), ein::mse_loss(x, x), ein::sum(ein::einsum<"ij,j->i">(x, b)),
    };
    for (const auto& y : outputs) {
      CHECK_FALSE(y.requires_grad());
      CHECK(y.node()->is_leaf());
      CHECK(y.node()->input_count() == 0);
    }
  }
  CHECK(ein::grad_enabled());
  CHECK((x + b).requires_grad());
}

TEST_CASE("backward through a freed graph throws; retain_graph keeps it") {
  const auto x = ein::test::param(Tensor<double, 1>({2}, {1, 2}));
  const auto y = x * x;
  const auto loss = ein::sum(y);
  loss.backward();
  CHECK_THROWS_AS(loss.backward(), ein::autodiff_error);
  // another root over the freed part of the graph
  const auto again = ein::sum(y * 2.0);
  CHECK_THROWS_AS(again.backward(), ein::autodiff_error);

  // one node: its rule runs twice and the leaf gets both
  const auto z = ein::test::param(Tensor<double, 1>({2}, {1, 2}));
  const auto zz = ein::einsum<"i,i->">(z, z);
  zz.backward(ein::retain_graph);
  zz.backward(ein::retain_graph);
  CHECK(z.grad()(1) == 8.0);  // 2 * 2z
  zz.backward();
  CHECK(z.grad()(1) == 12.0);
  CHECK_THROWS_AS(zz.backward(), ein::autodiff_error);
}

// An intermediate node's gradient lives for one backward, so the second backward
// over a retained graph does not add the first one again (4x per backward, not 6x).
TEST_CASE("retain_graph through intermediate nodes gives each backward's gradient once") {
  const auto x = ein::test::param(Tensor<double, 1>({2}, {1, 2}));
  const auto y = x * x;
  const auto loss = ein::sum(y);
  loss.backward(ein::retain_graph);
  CHECK(x.grad()(1) == 4.0);
  loss.backward();
  CHECK(x.grad()(1) == 8.0);
}

TEST_CASE("einsum and op errors on Vars name the op and both shapes") {
  const auto a = ein::test::param(Tensor<double, 2>(2, 3));
  const auto b = ein::test::param(Tensor<double, 2>(4, 5));
  CHECK_THROWS_AS((void)ein::einsum<"ij,jk->ik">(a, b), ein::shape_error);
  CHECK(message_of([&] { (void)ein::einsum<"ij,jk->ik">(a, b); }).starts_with("einsum \"ij,jk->ik\": label 'j'"));
  CHECK(message_of([&] { (void)(a - b); }) == "Var '-': extents (2, 3) and (4, 5) differ");
  const auto s = ein::test::param(Tensor<double, 1>(2));
  CHECK(message_of([&] { (void)ein::softmax(s, 1); }) == "softmax: dim 1 is out of range for extents (2)");
}

// PyTorch gives None (and a warning) for a non-leaf's .grad; returning the freed
// buffer's zeros was a quiet wrong answer.
TEST_CASE("grad() of a non-leaf throws: its gradient is freed by backward") {
  const auto x = ein::test::param(Tensor<double, 1>({2}, {1, 2}));
  const auto h = x * x;
  const auto loss = ein::sum(h);
  CHECK_THROWS_AS((void)h.grad(), ein::autodiff_error);  // before backward too, as PyTorch's None
  loss.backward();
  CHECK_THROWS_AS((void)h.grad(), ein::autodiff_error);
  CHECK(message_of([&] { (void)h.grad(); }).find("non-leaf gradients are freed") != std::string::npos);
  CHECK(message_of([&] { (void)loss.grad(); }).find("retain_grad()") != std::string::npos);
  CHECK(x.grad()(1) == 4.0);  // leaves keep theirs
  const auto c = ein::test::constant(Tensor<double, 1>({2}, {1, 2}));
  CHECK(c.grad()(0) == 0.0);  // a leaf that takes no gradient: zeros, as before
}

TEST_CASE("retain_grad() keeps a non-leaf's gradient, adding up over backward calls") {
  const auto x = ein::test::param(Tensor<double, 1>({2}, {1, 2}));
  const auto h = x * x;
  h.retain_grad();
  const auto y = h * 3.0;
  const auto loss = ein::sum(y);
  loss.retain_grad();
  CHECK(h.grad()(0) == 0.0);  // zeros before a backward reached it
  loss.backward(ein::retain_graph);
  CHECK(h.grad()(0) == 3.0);
  CHECK(h.grad()(1) == 3.0);
  CHECK(loss.grad()() == 1.0);
  CHECK(x.grad()(1) == 12.0);  // 3 * 2x
  // the second backward adds its own once: the retained copy does not feed the rule
  loss.backward();
  CHECK(h.grad()(1) == 6.0);
  CHECK(x.grad()(1) == 24.0);
  h.zero_grad();
  CHECK(h.grad()(1) == 0.0);
  // on a leaf it changes nothing
  x.retain_grad();
  CHECK(x.grad()(1) == 24.0);
}

// Run by the ctest test autodiff_deep_graph under `ulimit -s 1024` (tests/autodiff/
// CMakeLists.txt), skipped in the plain run. A node used to free its inputs from
// its destructor, so dropping a chain recursed once per node: 400k ops crashed on
// an 8 MB stack, 100k on 2 MB. About 6 s and 1.5 GB (750 bytes a node), 30 s under ASan.
TEST_CASE("a chain of two million ops frees without recursion" * doctest::skip()) {
  constexpr int ops = 2'000'000;
  const auto x = ein::test::param(Tensor<double, 0>());
  {
    // never backpropagated: built and dropped
    ein::test::Var<double, 0> y = x;
    for (int i = 0; i < ops; ++i) y = y + 1.0;
    CHECK(y.value()() == static_cast<double>(ops));
  }
  {
    // kept by retain_graph, then dropped (fewer: backward costs more than building)
    ein::test::Var<double, 1> y = ein::test::param(Tensor<double, 1>({1}, {0}));
    const auto leaf = y;
    for (int i = 0; i < ops / 8; ++i) y = y * 1.0;
    const auto loss = ein::sum(y);
    loss.backward(ein::retain_graph);
    CHECK(leaf.grad()(0) == 1.0);
  }
  CHECK(x.value()() == 0.0);
}
