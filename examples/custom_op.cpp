// Ops of your own, both kinds, checked and trained with:
//   1. an element-wise function with its derivative (ein::apply(f, v)): a
//      "soft clip" c tanh(x / c), written once and usable on tensors and Vars;
//   2. a Function with its own forward and backward (ein::apply(Op{}, inputs...)),
//      in the spirit of torch.autograd.Function: a row-wise affine map y = x w + b
//      whose backward is written by hand (b broadcast over the rows: the library
//      sums its gradient back).
// The program checks both gradients against central differences, then fits a
// small regression with them and SGD. Prints "gradients ok" and the final loss.
#include <cmath>
#include <cstdio>
#include <random>
#include <tuple>

#include <ein/autodiff.hpp>

struct SoftClip {  // c tanh(x / c)
  double c = 2;
  template <class T> T operator()(T x) const { return T(c) * std::tanh(x / T(c)); }
  template <class T> T derivative(T, T y) const { return T(1) - (y / T(c)) * (y / T(c)); }
};

struct Affine {  // y[n, o] = sum_i x[n, i] w[i, o] + b[o]
  ein::Tensor<double, 2> x, w;  // saved by forward for backward
  ein::Tensor<double, 2> forward(const ein::Tensor<double, 2>& in, const ein::Tensor<double, 2>& weight,
                                 const ein::Tensor<double, 1>& bias) {
    x = in;
    w = weight;
    ein::Tensor<double, 2> y = ein::einsum<"ni,io->no">(in, weight);
    for (ein::index_t n = 0; n < y.extent(0); ++n)
      for (ein::index_t o = 0; o < y.extent(1); ++o) y(n, o) += bias(o);
    return y;
  }
  auto backward(const ein::Tensor<double, 2>& g) const {
    ein::Tensor<double, 2> gx = ein::einsum<"no,io->ni">(g, w), gw = ein::einsum<"ni,no->io">(x, g);
    return std::tuple{gx, gw, g};  // b's gradient as [N, O]: summed over the rows by ein::apply
  }
};

namespace {

ein::Tensor<double, 2> random_matrix(ein::index_t rows, ein::index_t cols, std::mt19937& gen) {
  std::normal_distribution<double> normal;
  ein::Tensor<double, 2> t(rows, cols);
  for (ein::index_t k = 0; k < t.size(); ++k) t.data()[k] = normal(gen);
  return t;
}

/// The loss of the model on (x, y) as a function of w (a copy, so that it can be perturbed).
double loss_at(const ein::Tensor<double, 2>& x, const ein::Tensor<double, 2>& y, const ein::Tensor<double, 2>& w,
               const ein::Tensor<double, 1>& b) {
  const ein::no_grad off;
  auto out = ein::apply(SoftClip{}, ein::apply(Affine{}, ein::constant(x), ein::constant(w), ein::constant(b)));
  return ein::mse_loss(out, y).value()();
}

}  // namespace

int main() {
  std::mt19937 gen(3);
  const ein::Tensor<double, 2> x = random_matrix(64, 5, gen), w_true = random_matrix(5, 3, gen);
  ein::Tensor<double, 2> y = ein::apply(SoftClip{}, ein::einsum<"ni,io->no">(x, w_true));

  auto w = ein::param(random_matrix(5, 3, gen));
  auto b = ein::param(ein::Tensor<double, 1>(3));

  // Both ops' gradients against central differences, one weight at a time.
  auto loss = ein::mse_loss(ein::apply(SoftClip{}, ein::apply(Affine{}, ein::constant(x), w, b)), y);
  loss.backward();
  for (ein::index_t k = 0; k < w.value().size(); ++k) {
    ein::Tensor<double, 2> plus(w.value()), minus(w.value());
    const double h = 1e-6;
    plus.data()[k] += h;
    minus.data()[k] -= h;
    const double numeric = (loss_at(x, y, plus, b.value()) - loss_at(x, y, minus, b.value())) / (2 * h);
    if (std::abs(w.grad().data()[k] - numeric) > 1e-6 * (1 + std::abs(numeric))) {
      std::printf("gradient of w[%ld]: %g, central differences %g\n", long(k), w.grad().data()[k], numeric);
      return 1;
    }
  }
  std::printf("gradients ok\n");

  ein::optim::SGD opt({w, b}, {.lr = 0.2, .momentum = 0.9});
  double last = 0;
  for (int step = 0; step < 500; ++step) {
    opt.zero_grad();
    auto l = ein::mse_loss(ein::apply(SoftClip{}, ein::apply(Affine{}, ein::constant(x), w, b)), y);
    l.backward();
    opt.step();
    last = l.value()();
  }
  std::printf("final loss %.2e\n", last);
  return last < 1e-3 ? 0 : 1;
}
