// The device autodiff's per-element math (ein/backend/cuda/autodiff/element.hpp),
// compiled for the host, against the CPU autodiff on the same inputs: every
// element-wise function and its partial, the binary ops with the way each
// operand's gradient gathers (one to one, per column for a bias, everything for
// a rank-0 operand), softmax and log_softmax along an inner and an outer axis,
// cross-entropy, and SGD and Adam steps. Runs without a GPU: what the kernels
// compute is checked here; tests/cuda/autodiff_device_test.cpp checks that the
// kernels compute it.
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include "ein/autodiff.hpp"
#include "ein/backend/cuda/autodiff/element.hpp"

using ein::index_t;
using ein::Tensor;
namespace el = ein::cuda::element;

namespace {

template <class T, std::size_t R>
Tensor<T, R> random_tensor(const ein::Extents<R>& extents, std::mt19937& gen, double low = -1, double high = 1) {
  Tensor<T, R> t(extents);
  std::uniform_real_distribution<double> u(low, high);
  for (index_t k = 0; k < t.size(); ++k) t.data()[k] = static_cast<T>(u(gen));
  return t;
}

/// |a - b| within a relative tolerance (exact for equal infinities and NaNs).
template <class T>
bool close(T a, T b, double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::abs(double(a) - double(b)) <= tol * (1 + std::abs(double(b)));
}
template <class T, std::size_t R>
void check_close(const Tensor<T, R>& got, const Tensor<T, R>& want, double tol = std::is_same_v<T, float> ? 1e-5 : 1e-12) {
  REQUIRE(got.extents() == want.extents());
  for (index_t k = 0; k < got.size(); ++k) {
    INFO("element " << k << ": " << got.data()[k] << " vs " << want.data()[k]);
    CHECK(close(got.data()[k], want.data()[k], tol));
  }
}

/// The seed: sum(v * w) for a fixed random w, so each element's gradient differs.
template <class T, std::size_t R>
ein::Var<T, 0> weigh(const ein::Var<T, R>& v, const Tensor<T, R>& w) {
  return ein::sum(v * ein::constant(Tensor<T, R>(w)));
}

struct UnaryCase {
  el::UnaryOp op;
  double s;
  double low, high;  // input range
};

template <class T>
ein::Var<T, 2> cpu_unary(const ein::Var<T, 2>& x, const UnaryCase& c) {
  const T s = static_cast<T>(c.s);
  switch (c.op) {
    case el::UnaryOp::neg: return -x;
    case el::UnaryOp::add: return x + s;
    case el::UnaryOp::sub: return x - s;
    case el::UnaryOp::rsub: return s - x;
    case el::UnaryOp::mul: return x * s;
    case el::UnaryOp::div: return x / s;
    case el::UnaryOp::rdiv: return s / x;
    case el::UnaryOp::exp: return ein::exp(x);
    case el::UnaryOp::log: return ein::log(x);
    case el::UnaryOp::sqrt: return ein::sqrt(x);
    case el::UnaryOp::abs: return ein::abs(x);
    case el::UnaryOp::tanh: return ein::tanh(x);
    case el::UnaryOp::sigmoid: return ein::sigmoid(x);
    case el::UnaryOp::relu: return ein::relu(x);
    case el::UnaryOp::pow: return ein::pow(x, s);
    case el::UnaryOp::leaky_relu: return ein::leaky_relu(x, c.s);
    case el::UnaryOp::gelu: return ein::gelu(x);
    case el::UnaryOp::silu: return ein::silu(x);
  }
  return x;
}

}  // namespace

TEST_CASE_TEMPLATE("element-wise functions and partials match the CPU rules", T, float, double) {
  const UnaryCase cases[] = {
      {el::UnaryOp::neg, 0, -2, 2},     {el::UnaryOp::add, 1.5, -2, 2},  {el::UnaryOp::sub, 1.5, -2, 2},
      {el::UnaryOp::rsub, 1.5, -2, 2},  {el::UnaryOp::mul, -3, -2, 2},   {el::UnaryOp::div, 4, -2, 2},
      {el::UnaryOp::rdiv, 2, 0.5, 3},   {el::UnaryOp::exp, 0, -3, 3},    {el::UnaryOp::log, 0, 0.1, 4},
      {el::UnaryOp::sqrt, 0, 0.1, 4},   {el::UnaryOp::abs, 0, -2, 2},    {el::UnaryOp::tanh, 0, -3, 3},
      {el::UnaryOp::sigmoid, 0, -30, 30}, {el::UnaryOp::relu, 0, -2, 2}, {el::UnaryOp::pow, 2.5, 0.1, 3},
      {el::UnaryOp::pow, 0, 0.1, 3},    {el::UnaryOp::leaky_relu, 0.2, -2, 2}, {el::UnaryOp::gelu, 0, -4, 4},
      {el::UnaryOp::silu, 0, -6, 6},
  };
  std::mt19937 gen(5);
  for (const UnaryCase& c : cases) {
    INFO("op " << static_cast<int>(c.op) << " s " << c.s);
    const Tensor<T, 2> x0 = random_tensor<T>(ein::Extents<2>{4, 5}, gen, c.low, c.high);
    const Tensor<T, 2> w = random_tensor<T>(ein::Extents<2>{4, 5}, gen);
    const auto x = ein::param(Tensor<T, 2>(x0));
    const auto z = cpu_unary(x, c);
    weigh(z, w).backward();
    Tensor<T, 2> value(x0.extents()), grad(x0.extents());
    for (index_t k = 0; k < x0.size(); ++k) {
      const T s = static_cast<T>(c.s);
      value.data()[k] = el::unary_value(c.op, x0.data()[k], s);
      grad.data()[k] += w.data()[k] * el::unary_partial(c.op, x0.data()[k], value.data()[k], s);
    }
    check_close(value, z.value());
    check_close(grad, x.grad());
  }
}

TEST_CASE_TEMPLATE("kinks and poles: the CPU's (PyTorch's) values", T, float, double) {
  const T inf = std::numeric_limits<T>::infinity();
  CHECK(el::unary_partial(el::UnaryOp::abs, T(0), T(0), T(0)) == T(0));
  CHECK(el::unary_partial(el::UnaryOp::relu, T(0), T(0), T(0)) == T(0));
  CHECK(el::unary_partial(el::UnaryOp::sqrt, T(0), T(0), T(0)) == inf);
  CHECK(el::unary_partial(el::UnaryOp::log, T(0), -inf, T(0)) == inf);
  CHECK(el::unary_partial(el::UnaryOp::pow, T(0), T(1), T(0)) == T(0));
  CHECK(std::isnan(el::unary_value(el::UnaryOp::relu, std::numeric_limits<T>::quiet_NaN(), T(0))));
  CHECK(el::unary_value(el::UnaryOp::sigmoid, T(-1000), T(0)) == T(0));
  CHECK(el::unary_value(el::UnaryOp::sigmoid, T(1000), T(0)) == T(1));
}

namespace {

/// The device rule of a binary op, run on the host as the kernels run it:
/// forward by the lineup, each operand's gradient gathered as gather_of says.
template <class T>
void emulate_binary(el::BinaryOp op, const el::Lineup& l, const T* x, const T* y, const T* g, T* z, T* gx, T* gy) {
  for (std::int64_t k = 0; k < l.outer * l.inner; ++k) {
    const std::int64_t o = k / l.inner, i = k % l.inner;
    z[k] = el::binary_value(op, x[o * l.a_outer + i * l.a_inner], y[o * l.b_outer + i * l.b_inner]);
  }
  for (int which = 0; which < 2; ++which) {
    T* grad = which == 0 ? gx : gy;
    const std::int64_t so = which == 0 ? l.a_outer : l.b_outer, si = which == 0 ? l.a_inner : l.b_inner;
    const auto partial = [&](std::int64_t o, std::int64_t i) {
      const std::int64_t k = o * l.inner + i;
      const T xv = x[o * l.a_outer + i * l.a_inner], yv = y[o * l.b_outer + i * l.b_inner];
      return g[k] * (which == 0 ? el::binary_dx(op, xv, yv, z[k]) : el::binary_dy(op, xv, yv, z[k]));
    };
    switch (el::gather_of(so, si, l.outer)) {
      case el::Gather::each:
        for (std::int64_t k = 0; k < l.outer * l.inner; ++k) grad[(k / l.inner) * so + (k % l.inner) * si] += partial(k / l.inner, k % l.inner);
        break;
      case el::Gather::columns:  // 8 row groups per column, added in order
        for (std::int64_t i = 0; i < l.inner; ++i) {
          T group[8] = {};
          for (std::int64_t o = 0; o < l.outer; ++o) group[o % 8] += partial(o, i);
          T sum = grad[i * si];
          for (const T p : group) sum += p;
          grad[i * si] = sum;
        }
        break;
      case el::Gather::all: {
        double acc = 0;
        for (std::int64_t k = 0; k < l.outer * l.inner; ++k) acc += partial(k / l.inner, k % l.inner);
        grad[0] += static_cast<T>(acc);
        break;
      }
    }
  }
}

template <el::BinaryOp Op, class T, std::size_t RA, std::size_t RB>
auto cpu_binary(const ein::Var<T, RA>& a, const ein::Var<T, RB>& b) {
  if constexpr (Op == el::BinaryOp::add) return a + b;
  else if constexpr (Op == el::BinaryOp::sub) return a - b;
  else if constexpr (Op == el::BinaryOp::mul) return a * b;
  else return a / b;
}

template <el::BinaryOp Op, class T, std::size_t RA, std::size_t RB>
void check_binary(const ein::Extents<RA>& ea, const ein::Extents<RB>& eb) {
  std::mt19937 gen(11);
  const auto a0 = random_tensor<T>(ea, gen, 0.5, 2), b0 = random_tensor<T>(eb, gen, 0.5, 2);
  const auto a = ein::param(Tensor<T, RA>(a0)), b = ein::param(Tensor<T, RB>(b0));
  const auto z = cpu_binary<Op>(a, b);
  const auto w = random_tensor<T>(z.extents(), gen);
  weigh(z, w).backward();
  const ein::detail::Lineup cl = ein::detail::line_up("op", ea, eb);
  const el::Lineup l{cl.outer, cl.inner, cl.a_outer, cl.a_inner, cl.b_outer, cl.b_inner};
  Tensor<T, std::max(RA, RB)> value(z.extents());
  Tensor<T, RA> ga(ea);
  Tensor<T, RB> gb(eb);
  emulate_binary(Op, l, a0.data(), b0.data(), w.data(), value.data(), ga.data(), gb.data());
  check_close(value, z.value());
  check_close(ga, a.grad(), std::is_same_v<T, float> ? 1e-4 : 1e-12);
  check_close(gb, b.grad(), std::is_same_v<T, float> ? 1e-4 : 1e-12);
}

template <el::BinaryOp Op, class T>
void check_binary_lineups() {
  check_binary<Op, T>(ein::Extents<2>{3, 4}, ein::Extents<2>{3, 4});  // same extents: one to one
  check_binary<Op, T>(ein::Extents<2>{5, 4}, ein::Extents<1>{4});     // a bias: per column
  check_binary<Op, T>(ein::Extents<2>{37, 6}, ein::Extents<1>{6});    // a bias over more rows than row groups
  check_binary<Op, T>(ein::Extents<1>{4}, ein::Extents<3>{2, 3, 4});  // a bias on the left
  check_binary<Op, T>(ein::Extents<1>{4}, ein::Extents<2>{1, 4});     // one row: the bias maps one to one
  check_binary<Op, T>(ein::Extents<2>{3, 4}, ein::Extents<0>{});      // a rank-0 operand: everything
  check_binary<Op, T>(ein::Extents<0>{}, ein::Extents<1>{7});
}

}  // namespace

TEST_CASE_TEMPLATE("binary ops: values and gathered gradients match the CPU rules", T, float, double) {
  check_binary_lineups<el::BinaryOp::add, T>();
  check_binary_lineups<el::BinaryOp::sub, T>();
  check_binary_lineups<el::BinaryOp::mul, T>();
  check_binary_lineups<el::BinaryOp::div, T>();
}

TEST_CASE_TEMPLATE("softmax and log_softmax rules match the CPU along every axis", T, float, double) {
  std::mt19937 gen(3);
  for (const bool log : {false, true})
    for (int dim = 0; dim < 3; ++dim) {
      INFO((log ? "log_softmax" : "softmax") << " dim " << dim);
      const ein::Extents<3> e{3, 4, 5};
      const auto x0 = random_tensor<T>(e, gen, -5, 5);
      const auto w = random_tensor<T>(e, gen);
      const auto x = ein::param(Tensor<T, 3>(x0));
      const auto y = log ? ein::log_softmax(x, dim) : ein::softmax(x, dim);
      weigh(y, w).backward();
      const ein::detail::AxisSplit s = ein::detail::split_at_axis("softmax", e, dim);
      Tensor<T, 3> value(e), grad(e);
      // As softmax_forward_kernel and softmax_backward_kernel, one line at a time.
      for (index_t line = 0; line < s.outer * s.inner; ++line) {
        const index_t first = (line / s.inner) * s.n * s.inner + line % s.inner;
        const auto st = el::line_stats(x0.data() + first, s.n, s.inner);
        for (index_t k = 0; k < s.n; ++k) {
          const index_t at = first + k * s.inner;
          value.data()[at] = log ? x0.data()[at] - st.max - st.log_sum : el::exp_of(x0.data()[at] - st.max - st.log_sum);
        }
        T total = 0;
        for (index_t k = 0; k < s.n; ++k) {
          const index_t at = first + k * s.inner;
          total += log ? w.data()[at] : w.data()[at] * value.data()[at];
        }
        for (index_t k = 0; k < s.n; ++k) {
          const index_t at = first + k * s.inner;
          grad.data()[at] += log ? el::log_softmax_partial(w.data()[at], value.data()[at], total)
                                 : el::softmax_partial(w.data()[at], value.data()[at], total);
        }
      }
      check_close(value, y.value());
      check_close(grad, x.grad());
    }
}

TEST_CASE_TEMPLATE("line_stats: -inf lines shift by 0, +inf by +inf, NaN propagates", T, float, double) {
  const T inf = std::numeric_limits<T>::infinity(), nan = std::numeric_limits<T>::quiet_NaN();
  const T big[] = {T(1e4), T(-1e4), T(0)};
  const auto st = el::line_stats(big, 3, 1);
  CHECK(st.max == T(1e4));
  CHECK(close(st.log_sum, T(std::log1p(std::exp(-1e4) + std::exp(-2e4)))));
  const T none[] = {-inf, -inf};
  CHECK(el::line_stats(none, 2, 1).max == T(0));
  CHECK(el::line_stats(none, 2, 1).log_sum == -inf);
  const T with_inf[] = {inf, T(0), T(0)};  // PyTorch's softmax of [inf, 0, 0] is NaN throughout
  CHECK(el::line_stats(with_inf, 3, 1).max == inf);
  CHECK(std::isnan(el::line_stats(with_inf, 3, 1).log_sum));
  const T with_nan[] = {T(1), nan, T(2)};
  CHECK(el::line_stats(with_nan, 3, 1).max == T(2));  // std::max's: the NaN is skipped
  CHECK(std::isnan(el::line_stats(with_nan, 3, 1).log_sum));
  const T strided[] = {T(1), T(9), T(3), T(9), T(2)};
  CHECK(el::line_stats(strided, 3, 2).max == T(3));
}

TEST_CASE_TEMPLATE("cross-entropy rule matches the CPU's fused node", T, float, double) {
  std::mt19937 gen(8);
  const index_t n = 6, c = 5;
  const auto x0 = random_tensor<T>(ein::Extents<2>{n, c}, gen, -4, 4);
  const std::vector<int> labels{0, 4, 2, 2, 1, 3};
  const auto x = ein::param(Tensor<T, 2>(x0));
  const auto loss = ein::cross_entropy(x, labels) * T(1.7);  // a loss gradient other than 1
  loss.backward();
  // As cross_entropy_rows, cross_entropy_mean and cross_entropy_backward_kernel.
  std::vector<T> lse(n);
  double total = 0;
  for (index_t r = 0; r < n; ++r) {
    const auto st = el::line_stats(x0.data() + r * c, c, 1);
    lse[r] = st.max + st.log_sum;
    total += lse[r] - x0.data()[r * c + labels[r]];
  }
  const T value = static_cast<T>(total / double(n));
  CHECK(close(T(value * T(1.7)), loss.value()()));
  Tensor<T, 2> grad(x0.extents());
  const T g_mean = T(1.7) / static_cast<T>(n);
  for (index_t k = 0; k < n * c; ++k)
    grad.data()[k] = el::cross_entropy_accumulate(grad.data()[k], x0.data()[k], lse[k / c], g_mean, k % c == labels[k / c]);
  check_close(grad, x.grad());
}

namespace {
/// Three steps of an ein::optim optimizer on a Var with fixed gradients, and the
/// same three steps through `update(p, g, k, step)` on plain arrays.
template <class T, class Optimizer, class Options, class Update>
void check_optimizer(const Options& options, Update update) {
  std::mt19937 gen(21);
  const auto p0 = random_tensor<T>(ein::Extents<1>{9}, gen);
  const auto w = ein::param(Tensor<T, 1>(p0));
  Optimizer opt({w}, options);
  std::vector<T> p(p0.data(), p0.data() + p0.size());
  for (int step = 1; step <= 3; ++step) {
    const auto g = random_tensor<T>(ein::Extents<1>{9}, gen);
    opt.zero_grad();
    for (index_t k = 0; k < 9; ++k) w.grad().data()[k] = g.data()[k];
    opt.step();
    for (index_t k = 0; k < 9; ++k) update(p[k], g.data()[k], k, step);
  }
  for (index_t k = 0; k < 9; ++k) CHECK(close(p[k], w.value().data()[k], std::is_same_v<T, float> ? 1e-6 : 1e-14));
}
}  // namespace

TEST_CASE_TEMPLATE("SGD update matches ein::optim::SGD", T, float, double) {
  const ein::optim::SGDOptions variants[] = {
      {.lr = 0.1},
      {.lr = 0.1, .momentum = 0.9},
      {.lr = 0.05, .momentum = 0.8, .dampening = 0.3, .weight_decay = 0.01},
      {.lr = 0.05, .momentum = 0.9, .weight_decay = 0.02, .nesterov = true},
      {.lr = 0.1, .momentum = 0.5, .maximize = true},
  };
  for (const auto& o : variants) {
    std::vector<T> b(9);
    check_optimizer<T, ein::optim::SGD>(o, [&](T& p, T g, index_t k, int step) {
      const el::SgdArgs<T> a{static_cast<T>(o.lr), static_cast<T>(o.weight_decay), static_cast<T>(o.momentum),
                             static_cast<T>(1.0 - o.dampening), o.nesterov, o.maximize, step > 1};
      el::sgd_update(p, g, a.momentum != T(0) ? &b[k] : nullptr, a);
    });
  }
}

TEST_CASE_TEMPLATE("Adam update matches ein::optim::Adam", T, float, double) {
  const ein::optim::AdamOptions variants[] = {
      {.lr = 1e-2},
      {.lr = 1e-2, .betas = {0.8, 0.99}, .weight_decay = 0.1},
      {.lr = 1e-2, .amsgrad = true},
      {.lr = 1e-2, .eps = 1e-6, .maximize = true},
  };
  for (const auto& o : variants) {
    std::vector<T> m(9), v(9), v_max(9);
    check_optimizer<T, ein::optim::Adam>(o, [&](T& p, T g, index_t k, int step) {
      const double t = step;
      const el::AdamArgs<T> a{static_cast<T>(o.lr / (1.0 - std::pow(o.betas[0], t))),
                              static_cast<T>(std::sqrt(1.0 - std::pow(o.betas[1], t))),
                              static_cast<T>(o.weight_decay),
                              static_cast<T>(o.eps),
                              static_cast<T>(1.0 - o.betas[0]),
                              static_cast<T>(o.betas[1]),
                              static_cast<T>(1.0 - o.betas[1]),
                              o.maximize};
      el::adam_update(p, g, m[k], v[k], o.amsgrad ? &v_max[k] : nullptr, a);
    });
  }
}
