// ein's MLP step for bench/mlp, written as a user would (examples/mlp):
//   h = relu(einsum<"ij,lj->li">(W1, X) + b1);  o = einsum<"ij,lj->li">(W2, h) + b2;
//   loss = cross_entropy(o, y);  opt.zero_grad();  loss.backward();  opt.step();
// X is a constant leaf made once and reused by every step. Layer: bench.
#pragma once

#include <algorithm>
#include <chrono>
#include <vector>

#include <ein/autodiff.hpp>

#include <benchmark/benchmark.h>

#include "problem.hpp"

namespace bench {

class EinMlp final : public Model {
 public:
  explicit EinMlp(const Problem& p)
      : x_(ein::constant(tensor<2>({p.n, inputs}, p.x))),
        y_(p.y),
        w1_(ein::param(tensor<2>({p.h, inputs}, p.w1))),
        w2_(ein::param(tensor<2>({classes, p.h}, p.w2))),
        b1_(ein::param(tensor<1>({p.h}, p.b1))),
        b2_(ein::param(tensor<1>({classes}, p.b2))),
        opt_({w1_, b1_, w2_, b2_}, {.lr = learning_rate, .momentum = momentum}) {}

  float forward() override { return loss().value()(); }

  float step() override {
    const auto l = loss();
    opt_.zero_grad();
    l.backward();
    opt_.step();
    return l.value()();
  }

  double timed_backward() override {
    const auto l = loss();
    benchmark::DoNotOptimize(l.value()());
    opt_.zero_grad();
    const auto start = std::chrono::steady_clock::now();
    l.backward();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    opt_.step();
    return took.count();
  }

 private:
  template <std::size_t R>
  static ein::Tensor<float, R> tensor(const ein::Extents<R>& extents, const std::vector<float>& values) {
    ein::Tensor<float, R> t(extents);
    std::copy(values.begin(), values.end(), t.data());
    return t;
  }

  [[nodiscard]] ein::Var<float, 0> loss() const {
    const auto h = ein::relu(ein::einsum<"ij,lj->li">(w1_, x_) + b1_);  // (one fused layer: einsum_node.hpp)
    const auto o = ein::einsum<"ij,lj->li">(w2_, h) + b2_;
    return ein::cross_entropy(o, y_);
  }

  ein::Var<float, 2> x_;
  std::vector<int> y_;
  ein::Var<float, 2> w1_, w2_;
  ein::Var<float, 1> b1_, b2_;
  ein::optim::SGD opt_;
};

}  // namespace bench
