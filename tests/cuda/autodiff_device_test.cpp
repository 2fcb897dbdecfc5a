// The device autodiff against the CPU autodiff on the same inputs: every
// element-wise op and its gradient (each way operands line up), sum and mean,
// softmax and log_softmax, cross-entropy with device and host labels, einsum on
// Vars (GEMM-shaped, trace, sums within an operand, broadcasting, three
// operands, a Var used twice), tape semantics (no_grad, retain_graph, seeds,
// freed graphs), SGD and Adam steps, and a short MLP training run whose losses
// and accuracy follow the CPU's. Needs a GPU: without one, gpu_main.cpp prints
// "SKIPPED: no CUDA device" and exits 77 (ctest: skipped, never passed).
#include <cmath>
#include <random>
#include <stdexcept>
#include <vector>

#include <doctest/doctest.h>

#include "ein/autodiff.hpp"
#include "ein/cuda.hpp"
#include "ein/data/batches.hpp"

using ein::index_t;
using ein::Tensor;
namespace cu = ein::cuda;

namespace {

template <class T, std::size_t R>
Tensor<T, R> random_tensor(const ein::Extents<R>& extents, std::mt19937& gen, double low = -1, double high = 1) {
  Tensor<T, R> t(extents);
  std::uniform_real_distribution<double> u(low, high);
  for (index_t k = 0; k < t.size(); ++k) t.data()[k] = static_cast<T>(u(gen));
  return t;
}

template <class T>
double tolerance() {
  return std::is_same_v<T, float> ? 2e-4 : 1e-10;
}

template <class T, std::size_t R>
void check_close(const Tensor<T, R>& got, const Tensor<T, R>& want, double tol = tolerance<T>()) {
  REQUIRE(got.extents() == want.extents());
  for (index_t k = 0; k < got.size(); ++k) {
    const double a = got.data()[k], b = want.data()[k];
    INFO("element " << k << ": device " << a << ", CPU " << b);
    if (std::isnan(b)) CHECK(std::isnan(a));
    else if (std::isinf(b)) CHECK(a == b);
    else CHECK(std::abs(a - b) <= tol * (1 + std::abs(b)));
  }
}
template <class T, std::size_t R>
void check_close(const cu::Tensor<T, R>& got, const Tensor<T, R>& want, double tol = tolerance<T>()) {
  check_close(got.to_host(), want, tol);
}

/// A CPU Var and a device Var with the same value.
template <class T, std::size_t R>
struct Pair {
  ein::Var<T, R> cpu;
  cu::Var<T, R> gpu;
};
template <class T, std::size_t R>
Pair<T, R> param_pair(const Tensor<T, R>& value) {
  return {ein::param(Tensor<T, R>(value)), cu::param(value)};
}

/// sum(v * w) on each side for a fixed random w, then backward on both.
template <class T, std::size_t R>
void backward_weighted(const ein::Var<T, R>& c, const cu::Var<T, R>& g, std::mt19937& gen) {
  const auto w = random_tensor<T>(c.extents(), gen);
  ein::sum(c * ein::constant(Tensor<T, R>(w))).backward();
  ein::sum(g * cu::constant(w)).backward();
}

template <class T, std::size_t R>
void check_var(const ein::Var<T, R>& c, const cu::Var<T, R>& g) {
  check_close(g.value(), c.value());
}

}  // namespace

TEST_CASE_TEMPLATE("element-wise functions: values and gradients as on the CPU", T, float, double) {
  std::mt19937 gen(1);
  const auto x0 = random_tensor<T>(ein::Extents<2>{33, 17}, gen, 0.2, 2.5);
  const auto y0 = random_tensor<T>(ein::Extents<2>{33, 17}, gen, -2, 2);
  auto x = param_pair(x0), y = param_pair(y0);
  const T s = T(1.5);
  const ein::Var<T, 2> cpu[] = {-y.cpu,           y.cpu + s,           s + y.cpu,           y.cpu - s,
                                s - y.cpu,        y.cpu * s,           s * y.cpu,           y.cpu / s,
                                s / x.cpu,        ein::exp(y.cpu),     ein::log(x.cpu),     ein::sqrt(x.cpu),
                                ein::abs(y.cpu),  ein::tanh(y.cpu),    ein::sigmoid(y.cpu), ein::relu(y.cpu),
                                ein::pow(x.cpu, s)};
  const cu::Var<T, 2> gpu[] = {-y.gpu,          y.gpu + s,          s + y.gpu,          y.gpu - s,
                               s - y.gpu,       y.gpu * s,          s * y.gpu,          y.gpu / s,
                               s / x.gpu,       ein::exp(y.gpu),     ein::log(x.gpu),     ein::sqrt(x.gpu),
                               ein::abs(y.gpu),  ein::tanh(y.gpu),    ein::sigmoid(y.gpu), ein::relu(y.gpu),
                               ein::pow(x.gpu, s)};
  for (std::size_t i = 0; i < std::size(cpu); ++i) {
    INFO("op " << i);
    check_var(cpu[i], gpu[i]);
    backward_weighted(cpu[i], gpu[i], gen);
  }
  check_close(x.gpu.grad(), x.cpu.grad());
  check_close(y.gpu.grad(), y.cpu.grad());
}

TEST_CASE_TEMPLATE("binary ops in every lineup: values and gradients as on the CPU", T, float, double) {
  std::mt19937 gen(2);
  auto a = param_pair(random_tensor<T>(ein::Extents<2>{40, 24}, gen, 0.5, 2));
  auto b = param_pair(random_tensor<T>(ein::Extents<2>{40, 24}, gen, 0.5, 2));
  auto bias = param_pair(random_tensor<T>(ein::Extents<1>{24}, gen, 0.5, 2));
  auto s = param_pair(random_tensor<T>(ein::Extents<0>{}, gen, 0.5, 2));
  const auto run = [&](auto op_cpu, auto op_gpu) {
    const auto c = op_cpu(a.cpu, b.cpu) + op_cpu(a.cpu, bias.cpu) + op_cpu(bias.cpu, b.cpu) + op_cpu(a.cpu, s.cpu) +
                   op_cpu(s.cpu, b.cpu);
    const auto g = op_gpu(a.gpu, b.gpu) + op_gpu(a.gpu, bias.gpu) + op_gpu(bias.gpu, b.gpu) + op_gpu(a.gpu, s.gpu) +
                   op_gpu(s.gpu, b.gpu);
    check_var(c, g);
    backward_weighted(c, g, gen);
  };
  run([](const auto& p, const auto& q) { return p + q; }, [](const auto& p, const auto& q) { return p + q; });
  run([](const auto& p, const auto& q) { return p - q; }, [](const auto& p, const auto& q) { return p - q; });
  run([](const auto& p, const auto& q) { return p * q; }, [](const auto& p, const auto& q) { return p * q; });
  run([](const auto& p, const auto& q) { return p / q; }, [](const auto& p, const auto& q) { return p / q; });
  check_close(a.gpu.grad(), a.cpu.grad());
  check_close(b.gpu.grad(), b.cpu.grad());
  check_close(bias.gpu.grad(), bias.cpu.grad());
  check_close(s.gpu.grad(), s.cpu.grad(), std::is_same_v<T, float> ? 1e-3 : 1e-10);  // a sum in another order
  CHECK_THROWS_AS(a.gpu + cu::param(Tensor<T, 1>(ein::Extents<1>{5})), ein::shape_error);
}

TEST_CASE_TEMPLATE("sum, mean, softmax, log_softmax and mse_loss as on the CPU", T, float, double) {
  std::mt19937 gen(3);
  auto x = param_pair(random_tensor<T>(ein::Extents<3>{5, 30, 7}, gen, -6, 6));
  for (int dim = -1; dim < 3; ++dim) {
    INFO("dim " << dim);
    const auto c = ein::softmax(x.cpu, dim) + ein::log_softmax(x.cpu, dim);
    const auto g = ein::softmax(x.gpu, dim) + ein::log_softmax(x.gpu, dim);
    check_var(c, g);
    backward_weighted(c, g, gen);
  }
  const auto cs = ein::sum(x.cpu) + ein::mean(x.cpu) * T(3);
  const auto gs = ein::sum(x.gpu) + ein::mean(x.gpu) * T(3);
  check_close(gs.value(), cs.value(), std::is_same_v<T, float> ? 1e-5 : 1e-12);
  cs.backward();
  gs.backward();
  check_close(x.gpu.grad(), x.cpu.grad());
  CHECK_THROWS_AS(ein::softmax(x.gpu, 3), ein::shape_error);
  auto t = param_pair(random_tensor<T>(ein::Extents<3>{5, 30, 7}, gen));
  const auto cm = ein::mse_loss(x.cpu, t.cpu);
  const auto gm = ein::mse_loss(x.gpu, t.gpu);
  check_close(gm.value(), cm.value(), std::is_same_v<T, float> ? 1e-5 : 1e-12);
  cm.backward();
  gm.backward();
  check_close(x.gpu.grad(), x.cpu.grad());
  check_close(t.gpu.grad(), t.cpu.grad());
}

TEST_CASE_TEMPLATE("cross-entropy with device and host labels as on the CPU", T, float, double) {
  std::mt19937 gen(4);
  const index_t n = 300, c = 10;
  auto x = param_pair(random_tensor<T>(ein::Extents<2>{n, c}, gen, -8, 8));
  std::vector<int> labels(n);
  for (auto& l : labels) l = static_cast<int>(gen() % c);
  const auto lc = ein::cross_entropy(x.cpu, labels) * T(2);
  const auto lg = cu::cross_entropy(x.gpu, cu::Labels::from_host(labels)) +
                  ein::cross_entropy(x.gpu, std::span<const int>(labels));
  check_close(lg.value(), lc.value(), std::is_same_v<T, float> ? 1e-5 : 1e-12);
  lc.backward();
  lg.backward();
  check_close(x.gpu.grad(), x.cpu.grad());
  // A label out of range: thrown for host labels; NaN for device labels (no copy back to check them).
  labels[7] = static_cast<int>(c);
  CHECK_THROWS_AS(ein::cross_entropy(x.gpu, std::span<const int>(labels)), std::out_of_range);
  CHECK(std::isnan(cu::cross_entropy(x.gpu, cu::Labels::from_host(labels)).value().to_host()()));
  CHECK_THROWS_AS(cu::cross_entropy(x.gpu, cu::Labels(n - 1)), ein::shape_error);
}

namespace {
template <ein::fixed_string S, class T, std::size_t... R>
void check_einsum(std::mt19937& gen, const ein::Extents<R>&... extents) {
  INFO("spec " << S.view());
  auto pairs = std::make_tuple(param_pair(random_tensor<T>(extents, gen))...);
  const auto c = std::apply([](const auto&... p) { return ein::einsum<S>(p.cpu...); }, pairs);
  const auto g = std::apply([](const auto&... p) { return cu::einsum<S>(p.gpu...); }, pairs);
  check_var(c, g);
  backward_weighted(c, g, gen);
  std::apply([](const auto&... p) { (check_close(p.gpu.grad(), p.cpu.grad()), ...); }, pairs);
}
}  // namespace

TEST_CASE_TEMPLATE("einsum on Vars: values and gradients as on the CPU", T, float, double) {
  std::mt19937 gen(5);
  using E1 = ein::Extents<1>;
  using E2 = ein::Extents<2>;
  using E3 = ein::Extents<3>;
  check_einsum<"ij,lj->li", T>(gen, E2{64, 50}, E2{32, 50});
  check_einsum<"ij,jk->ik", T>(gen, E2{20, 30}, E2{30, 10});
  check_einsum<"bij,bjk->bik", T>(gen, E3{3, 8, 9}, E3{3, 9, 5});
  check_einsum<"ii->", T>(gen, E2{6, 6});
  check_einsum<"ij->i", T>(gen, E2{7, 9});
  check_einsum<"ij,k->k", T>(gen, E2{4, 5}, E1{3});
  check_einsum<"i,j->ij", T>(gen, E1{5}, E1{6});
  check_einsum<"...ij,...jk->...ik", T>(gen, E3{2, 3, 4}, E2{4, 5});
  check_einsum<"ij,ij->ij", T>(gen, E2{3, 1}, E2{3, 4});
  check_einsum<"ab,bc,cd->ad", T>(gen, E2{5, 6}, E2{6, 7}, E2{7, 3});
  // The same Var twice: both contributions.
  auto w = param_pair(random_tensor<T>(E2{8, 8}, gen));
  const auto c = ein::einsum<"ij,jk->ik">(w.cpu, w.cpu);
  const auto g = cu::einsum<"ij,jk->ik">(w.gpu, w.gpu);
  check_var(c, g);
  backward_weighted(c, g, gen);
  check_close(w.gpu.grad(), w.cpu.grad());
}

TEST_CASE_TEMPLATE("einsum on Vars with a spec known at run time: values and gradients as on the CPU", T, float,
                   double) {
  std::mt19937 gen(6);
  auto a = param_pair(random_tensor<T>(ein::Extents<2>{64, 50}, gen));
  auto b = param_pair(random_tensor<T>(ein::Extents<2>{32, 50}, gen));
  auto d = param_pair(random_tensor<T>(ein::Extents<2>{64, 7}, gen));
  const ein::Var<T, 2> c = ein::einsum("ij,lj->li", a.cpu, b.cpu);  // a GEMM: the fast path
  const cu::Var<T, 2> g = ein::einsum("ij,lj->li", a.gpu, b.gpu);
  check_var(c, g);
  backward_weighted(c, g, gen);
  const ein::Var<T, 1> c3 = ein::einsum("ij,lj,ik->k", a.cpu, b.cpu, d.cpu);  // three operands: planned
  const cu::Var<T, 1> g3 = ein::einsum("ij,lj,ik->k", a.gpu, b.gpu, d.gpu);
  check_var(c3, g3);
  backward_weighted(c3, g3, gen);
  check_close(a.gpu.grad(), a.cpu.grad());
  check_close(b.gpu.grad(), b.cpu.grad());
  check_close(d.gpu.grad(), d.cpu.grad());
}

TEST_CASE("tape semantics on the device: no_grad, retain_graph, seeds, freed graphs, constants") {
  std::mt19937 gen(6);
  const auto x0 = random_tensor<double>(ein::Extents<2>{4, 3}, gen);
  const auto x = cu::param(x0);
  {
    const ein::no_grad guard;
    CHECK_FALSE(ein::relu(x).requires_grad());
  }
  const auto y = ein::sum(ein::tanh(x) * 2.0);
  y.backward(ein::retain_graph);
  const auto once = x.grad().to_host();
  y.backward();
  const auto twice = x.grad().to_host();
  for (index_t k = 0; k < once.size(); ++k) CHECK(twice.data()[k] == doctest::Approx(2 * once.data()[k]));
  CHECK_THROWS_AS(y.backward(), ein::autodiff_error);
  x.zero_grad();
  const auto z = ein::tanh(x);
  z.backward(cu::Tensor<double, 2>::from_host(x0));  // seed = x0
  const auto seeded = x.grad().to_host();
  for (index_t k = 0; k < x0.size(); ++k) {
    const double t = std::tanh(x0.data()[k]);
    CHECK(seeded.data()[k] == doctest::Approx(x0.data()[k] * (1 - t * t)));
  }
  const auto k = cu::constant(x0);
  CHECK_THROWS_AS(ein::sum(k).backward(), ein::autodiff_error);
}

TEST_CASE_TEMPLATE("SGD and Adam steps on the device as on the CPU", T, float, double) {
  std::mt19937 gen(7);
  const ein::optim::SGDOptions sgd_options[] = {
      {.lr = 0.1}, {.lr = 0.05, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01},
      {.lr = 0.05, .momentum = 0.9, .nesterov = true}, {.lr = 0.1, .momentum = 0.5, .maximize = true}};
  const ein::optim::AdamOptions adam_options[] = {
      {.lr = 1e-2}, {.lr = 1e-2, .weight_decay = 0.1, .amsgrad = true}, {.lr = 1e-2, .maximize = true}};
  const auto run = [&](auto cpu_opt_tag, auto gpu_opt_tag, const auto& options) {
    using CpuOpt = typename decltype(cpu_opt_tag)::type;
    using GpuOpt = typename decltype(gpu_opt_tag)::type;
    auto w = param_pair(random_tensor<T>(ein::Extents<2>{13, 11}, gen));
    auto b = param_pair(random_tensor<T>(ein::Extents<1>{11}, gen));
    auto unused = param_pair(random_tensor<T>(ein::Extents<1>{3}, gen));  // no gradient: skipped
    CpuOpt cpu({w.cpu, b.cpu, unused.cpu}, options);
    GpuOpt gpu({w.gpu, b.gpu, unused.gpu}, options);
    for (int step = 0; step < 3; ++step) {
      cpu.zero_grad();
      gpu.zero_grad();
      backward_weighted(ein::tanh(w.cpu + b.cpu), ein::tanh(w.gpu + b.gpu), gen);
      cpu.step();
      gpu.step();
    }
    check_close(w.gpu.value(), w.cpu.value());
    check_close(b.gpu.value(), b.cpu.value());
    check_close(unused.gpu.value(), unused.cpu.value(), 0);
  };
  for (const auto& o : sgd_options)
    run(std::type_identity<ein::optim::SGD>{}, std::type_identity<cu::optim::SGD>{}, o);
  for (const auto& o : adam_options)
    run(std::type_identity<ein::optim::Adam>{}, std::type_identity<cu::optim::Adam>{}, o);
}

TEST_CASE("a short MLP training run on the device follows the CPU's") {
  // Separable synthetic data: 10 classes, each a Gaussian blob in 64 dimensions.
  std::mt19937 gen(8);
  const index_t n = 2000, d = 64, hidden = 128, classes = 10, batch = 100;
  const auto centres = random_tensor<float>(ein::Extents<2>{classes, d}, gen, -1, 1);
  std::normal_distribution<float> noise(0, 0.6f);
  Tensor<float, 2> x(n, d);
  std::vector<int> labels(n);
  for (index_t r = 0; r < n; ++r) {
    labels[r] = static_cast<int>(r % classes);
    for (index_t k = 0; k < d; ++k) x(r, k) = centres(labels[r], k) + noise(gen);
  }
  Tensor<float, 2> w1(hidden, d), w2(classes, hidden);
  ein::nn::kaiming_uniform(w1, gen, {.nonlinearity = ein::nn::Nonlinearity::relu});
  ein::nn::kaiming_uniform(w2, gen, {.nonlinearity = ein::nn::Nonlinearity::linear});
  auto W1 = param_pair(w1), W2 = param_pair(w2);
  auto b1 = param_pair(Tensor<float, 1>(hidden)), b2 = param_pair(Tensor<float, 1>(classes));
  ein::optim::SGD cpu_opt({W1.cpu, b1.cpu, W2.cpu, b2.cpu}, {.lr = 0.05, .momentum = 0.9});
  cu::optim::SGD gpu_opt({W1.gpu, b1.gpu, W2.gpu, b2.gpu}, {.lr = 0.05, .momentum = 0.9});
  // (the same batches through data::Batches on each device: rows copied on the host, gathered by a kernel here)
  ein::data::Batches<ein::Host> cpu_batches(x, labels);
  ein::data::Batches<cu::Device> gpu_batches(x, labels);
  std::vector<index_t> order(n);
  for (index_t i = 0; i < n; ++i) order[i] = (i * 7) % n;  // 7 and 2000 are coprime
  cpu_batches.set_order(order);
  gpu_batches.set_order(order);
  ein::nn::RunningScore<ein::Host> cpu_score;
  ein::nn::RunningScore<cu::Device> gpu_score;
  double last_cpu = 0, last_gpu = 0;
  for (int epoch = 0; epoch < 3; ++epoch)
    for (index_t first = 0; first < n; first += batch) {
      auto [xb, yb] = cpu_batches.batch(first, batch);
      const auto X = ein::constant(std::move(xb));
      const auto oc = ein::einsum<"ij,lj->li">(W2.cpu, ein::relu(ein::einsum<"ij,lj->li">(W1.cpu, X) + b1.cpu)) + b2.cpu;
      const auto lc = ein::cross_entropy(oc, yb);
      cpu_opt.zero_grad();
      lc.backward();
      cpu_opt.step();

      auto [xg, yg] = gpu_batches.batch(first, batch);
      const auto Xg = cu::constant(std::move(xg));
      const auto og = cu::einsum<"ij,lj->li">(W2.gpu, ein::relu(cu::einsum<"ij,lj->li">(W1.gpu, Xg) + b1.gpu)) + b2.gpu;
      const auto lg = cu::cross_entropy(og, yg);
      gpu_opt.zero_grad();
      lg.backward();
      gpu_opt.step();
      if (epoch == 2) {
        cpu_score.add(oc, yb, lc);
        gpu_score.add(og, yg, lg);
      }
      if (first == 0) {
        last_cpu = lc.value()();
        last_gpu = lg.value().to_host()();
        INFO("epoch " << epoch);
        CHECK(last_gpu == doctest::Approx(last_cpu).epsilon(1e-2));
      }
    }
  // Accuracy over the whole set, on each side.
  const auto accuracy = [&](const Tensor<float, 2>& logits) {
    index_t correct = 0;
    for (index_t r = 0; r < n; ++r) {
      index_t best = 0;
      for (index_t k = 1; k < classes; ++k)
        if (logits(r, best) < logits(r, k)) best = k;
      correct += best == labels[r];
    }
    return double(correct) / double(n);
  };
  const ein::no_grad guard;
  const auto Xall = ein::constant(Tensor<float, 2>(x));
  const double acc_cpu = accuracy(
      (ein::einsum<"ij,lj->li">(W2.cpu, ein::relu(ein::einsum<"ij,lj->li">(W1.cpu, Xall) + b1.cpu)) + b2.cpu).value());
  const auto Xall_gpu = cu::constant(x);
  const double acc_gpu = accuracy(
      (cu::einsum<"ij,lj->li">(W2.gpu, ein::relu(cu::einsum<"ij,lj->li">(W1.gpu, Xall_gpu) + b1.gpu)) + b2.gpu)
          .value()
          .to_host());
  MESSAGE("accuracy after 3 epochs: CPU " << acc_cpu << ", GPU " << acc_gpu);
  CHECK(acc_cpu > 0.9);
  CHECK(std::abs(acc_gpu - acc_cpu) <= 0.01);
  check_close(W1.gpu.value(), W1.cpu.value(), 1e-2);
  // the last epoch's running score, summed on each device
  const auto [cpu_loss, cpu_correct] = cpu_score.read();
  const auto [gpu_loss, gpu_correct] = gpu_score.read();
  CHECK(gpu_loss == doctest::Approx(cpu_loss).epsilon(1e-2));
  CHECK(std::abs(double(gpu_correct - cpu_correct)) <= 0.01 * double(n));
  CHECK(cpu_correct > n * 9 / 10);
}
