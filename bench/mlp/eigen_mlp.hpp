// The floor for bench/mlp: the same MLP written by hand with Eigen GEMMs on
// row-major matrices, its backward derived on paper, every buffer allocated
// once. No tape, no autodiff: about what ein's step could cost at best.
//
//   a = X W1ᵀ + b1   [N,H]      dO  = (softmax(o) - onehot(y)) / N
//   h = relu(a)      [N,H]      dW2 = dOᵀ h,  db2 = Σ_rows dO
//   o = h W2ᵀ + b2   [N,10]     dA  = (dO W2) ⊙ [a > 0]
//   loss = mean CE(o, y)        dW1 = dAᵀ X,  db1 = Σ_rows dA
//   SGD with momentum, PyTorch's form: v = μ v + g (v = g at the first step), W -= lr v.
// The five matrix products go through a policy: Eigen's own GEMM (`eigen`), or,
// where ein's large GEMMs use BLAS, the same cblas_sgemm ein calls (`eigen_blas`:
// the hand-written step on the same GEMM library). Layer: bench.
#pragma once

#include <Eigen/Core>

#include <chrono>
#include <cmath>
#include <vector>

#ifdef EIN_USE_CBLAS
#include <cblas.h>
#endif

#include <benchmark/benchmark.h>

#include "problem.hpp"

namespace bench {

using RowMatrix = Eigen::Matrix<float, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;

/// c = op(a) op(b), op transposing where asked, with Eigen's GEMM.
struct EigenProducts {
  static void product(RowMatrix& c, const RowMatrix& a, bool ta, const RowMatrix& b, bool tb) {
    if (ta && tb) c.noalias() = a.transpose() * b.transpose();
    else if (ta) c.noalias() = a.transpose() * b;
    else if (tb) c.noalias() = a * b.transpose();
    else c.noalias() = a * b;
  }
};

#ifdef EIN_USE_CBLAS
/// The same with cblas_sgemm (row-major operands as stored, transposes as flags).
struct BlasProducts {
  static void product(RowMatrix& c, const RowMatrix& a, bool ta, const RowMatrix& b, bool tb) {
    const int k = int(ta ? a.rows() : a.cols());
    cblas_sgemm(CblasRowMajor, ta ? CblasTrans : CblasNoTrans, tb ? CblasTrans : CblasNoTrans, int(c.rows()),
                int(c.cols()), k, 1.0f, a.data(), int(a.cols()), b.data(), int(b.cols()), 0.0f, c.data(),
                int(c.cols()));
  }
};
#endif

template <class Products>
class HandMlp final : public Model {
 public:
  using Matrix = RowMatrix;
  using Vector = Eigen::Matrix<float, 1, Eigen::Dynamic>;

  explicit HandMlp(const Problem& p)
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
    Products::product(a_, x_, false, w1_, true);
    a_.rowwise() += b1_;
    h_ = a_.cwiseMax(0.0f);
    Products::product(o_, h_, false, w2_, true);
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
    backward();
    update_all();
    return loss;
  }

  /// (The loss's gradient dO is the forward's here, from the same exponentials.)
  double timed_backward() override {
    benchmark::DoNotOptimize(forward());
    const auto start = std::chrono::steady_clock::now();
    backward();
    const std::chrono::duration<double> took = std::chrono::steady_clock::now() - start;
    update_all();
    return took.count();
  }

 private:
  void backward() {
    Products::product(g_w2_, d_o_, true, h_, false);
    g_b2_ = d_o_.colwise().sum();
    Products::product(d_h_, d_o_, false, w2_, false);
    d_h_ = (a_.array() > 0.0f).select(d_h_, 0.0f);
    Products::product(g_w1_, d_h_, true, x_, false);
    g_b1_ = d_h_.colwise().sum();
  }
  void update_all() {
    update(w1_, v_w1_, g_w1_);
    update(w2_, v_w2_, g_w2_);
    update(b1_, v_b1_, g_b1_);
    update(b2_, v_b2_, g_b2_);
    started_ = true;
  }

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

using EigenMlp = HandMlp<EigenProducts>;
#ifdef EIN_USE_CBLAS
using EigenBlasMlp = HandMlp<BlasProducts>;

/// The step's five GEMMs alone, through cblas_sgemm at the step's shapes (forward:
/// X W1^T, H W2^T; backward: dO^T H, dO W2, dH^T X), and nothing else: the GEMM's
/// GFLOP/s that a step's own is read against (`gemm`; no loss, left out of --check).
class GemmFloor final : public Model {
 public:
  explicit GemmFloor(const Problem& p)
      : x_(Eigen::Map<const RowMatrix>(p.x.data(), p.n, inputs)),
        w1_(Eigen::Map<const RowMatrix>(p.w1.data(), p.h, inputs)),
        w2_(Eigen::Map<const RowMatrix>(p.w2.data(), classes, p.h)), a_(p.n, p.h), o_(p.n, classes),
        d_o_(RowMatrix::Constant(p.n, classes, 1e-3f)), d_h_(p.n, p.h), g_w1_(p.h, inputs), g_w2_(classes, p.h) {}

  float forward() override {
    BlasProducts::product(a_, x_, false, w1_, true);
    BlasProducts::product(o_, a_, false, w2_, true);
    return o_(0, 0);
  }
  float step() override {
    const float first = forward();
    backward();
    return first;
  }
  double timed_backward() override {
    const auto start = std::chrono::steady_clock::now();
    backward();
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  }

 private:
  void backward() {
    BlasProducts::product(g_w2_, d_o_, true, a_, false);
    BlasProducts::product(d_h_, d_o_, false, w2_, false);
    BlasProducts::product(g_w1_, d_h_, true, x_, false);
  }
  RowMatrix x_, w1_, w2_, a_, o_, d_o_, d_h_, g_w1_, g_w2_;
};
#endif

}  // namespace bench
