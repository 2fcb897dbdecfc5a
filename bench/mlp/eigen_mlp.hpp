// The floor for bench/mlp: the same MLP written by hand with Eigen GEMMs on
// row-major matrices, its backward derived on paper, every buffer allocated
// once. No tape, no autodiff: about what ein's step could cost at best.
//
//   a = X W1ᵀ + b1   [N,H]      dO  = (softmax(o) - onehot(y)) / N
//   h = relu(a)      [N,H]      dW2 = dOᵀ h,  db2 = Σ_rows dO
//   o = h W2ᵀ + b2   [N,10]     dA  = (dO W2) ⊙ [a > 0]
//   loss = mean CE(o, y)        dW1 = dAᵀ X,  db1 = Σ_rows dA
//   SGD with momentum, PyTorch's form: v = μ v + g (v = g at the first step), W -= lr v.
// Layer: bench.
#pragma once

#include <Eigen/Core>

#include <cmath>
#include <vector>

#include "problem.hpp"

namespace bench {

class EigenMlp final : public Model {
 public:
  using Matrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
  using Vector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

  explicit EigenMlp(const Problem& p)
      : x_(Eigen::Map<const Matrix>(p.x.data(), p.n, inputs)),
        y_(p.y),
        w1_(Eigen::Map<const Matrix>(p.w1.data(), p.h, inputs)),
        w2_(Eigen::Map<const Matrix>(p.w2.data(), classes, p.h)),
        b1_(Eigen::Map<const Vector>(p.b1.data(), p.h)),
        b2_(Eigen::Map<const Vector>(p.b2.data(), classes)),
        v_w1_(Matrix::Zero(p.h, inputs)), v_w2_(Matrix::Zero(classes, p.h)),
        v_b1_(Vector::Zero(p.h)), v_b2_(Vector::Zero(classes)),
        g_w1_(p.h, inputs), g_w2_(classes, p.h), g_b1_(p.h), g_b2_(classes),
        a_(p.n, p.h), h_(p.n, p.h), o_(p.n, classes), d_o_(p.n, classes), d_h_(p.n, p.h) {}

  /// Logits, the loss, and dO (the start of the backward, from the same exponentials).
  float forward() override {
    a_.noalias() = x_ * w1_.transpose();
    a_.rowwise() += b1_;
    h_ = a_.cwiseMax(0.0f);
    o_.noalias() = h_ * w2_.transpose();
    o_.rowwise() += b2_;
    const Eigen::Index n = x_.rows();
    const float inv_n = 1.0f / float(n);
    double loss = 0;
    for (Eigen::Index r = 0; r < n; ++r) {
      const float m = o_.row(r).maxCoeff();
      d_o_.row(r) = (o_.row(r).array() - m).exp();
      const float sum = d_o_.row(r).sum();
      loss += std::log(sum) + m - o_(r, y_[std::size_t(r)]);
      d_o_.row(r) *= inv_n / sum;
      d_o_(r, y_[std::size_t(r)]) -= inv_n;
    }
    return float(loss / double(n));
  }

  float step() override {
    const float loss = forward();
    g_w2_.noalias() = d_o_.transpose() * h_;
    g_b2_ = d_o_.colwise().sum();
    d_h_.noalias() = d_o_ * w2_;
    d_h_ = (a_.array() > 0.0f).select(d_h_, 0.0f);
    g_w1_.noalias() = d_h_.transpose() * x_;
    g_b1_ = d_h_.colwise().sum();
    update(w1_, v_w1_, g_w1_);
    update(w2_, v_w2_, g_w2_);
    update(b1_, v_b1_, g_b1_);
    update(b2_, v_b2_, g_b2_);
    started_ = true;
    return loss;
  }

 private:
  template <class M>
  void update(M& w, M& v, const M& g) const {
    if (started_) v = momentum * v + g;
    else v = g;
    w -= learning_rate * v;
  }

  Matrix x_;
  std::vector<int> y_;
  Matrix w1_, w2_;
  Vector b1_, b2_;
  Matrix v_w1_, v_w2_;
  Vector v_b1_, v_b2_;
  Matrix g_w1_, g_w2_;
  Vector g_b1_, g_b2_;
  Matrix a_, h_, o_, d_o_, d_h_;
  bool started_ = false;
};

}  // namespace bench
