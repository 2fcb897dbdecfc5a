// SGD and Adam against updates computed by hand with PyTorch's algorithms (the
// expected values come from a plain transcription of torch.optim.SGD / Adam in
// double, three steps with fixed gradients), mixed parameter lists, skipped
// parameters, no allocation after the first step, and a small training run; the
// device-neutral cases again on the emulated CUDA device (autodiff_optim_emulated_cuda_test).
#include <random>
#include <stdexcept>
#include <string>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <doctest/doctest.h>

#include "device_under_test.hpp"
#include "counting_new.hpp"
#include "ein/autodiff.hpp"

using ein::Tensor;

namespace {
using Steps = std::vector<std::array<double, 2>>;

/// n values drawn from [-2, 2) (positive: their magnitudes).
template <class T>
std::vector<T> random_values(ein::index_t n, std::mt19937& rng, bool positive) {
  std::uniform_real_distribution<double> u(-2, 2);
  std::vector<T> x(static_cast<std::size_t>(n));
  for (T& e : x) e = static_cast<T>(positive ? std::abs(u(rng)) : u(rng));
  return x;
}

/// Three steps of `Opt` on p = (1, -2) with gradients (0.5, -1), (0.1, 0.3), (-0.2, 0.4),
/// written straight into p's gradient as a backward would; p after each step.
template <class T, class Opt, class Options>
void check_steps(const Options& options, const Steps& expected, double tolerance) {
  const auto p = ein::test::param(Tensor<T, 1>({2}, {1, -2}));
  Opt opt({p}, options);
  const Steps grads{{0.5, -1.0}, {0.1, 0.3}, {-0.2, 0.4}};
  for (std::size_t s = 0; s < grads.size(); ++s) {
    opt.zero_grad();
    p.grad()(0) = static_cast<T>(grads[s][0]);
    p.grad()(1) = static_cast<T>(grads[s][1]);
    opt.step();
    CAPTURE(s);
    CHECK(static_cast<double>(p.value()(0)) == doctest::Approx(expected[s][0]).epsilon(tolerance));
    CHECK(static_cast<double>(p.value()(1)) == doctest::Approx(expected[s][1]).epsilon(tolerance));
  }
}
}  // namespace

TEST_CASE_TEMPLATE("SGD matches PyTorch's updates", T, float, double) {
  using ein::optim::SGD;
  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-13;
  SUBCASE("plain") {
    check_steps<T, SGD>(ein::optim::SGDOptions{.lr = 0.1}, {{0.95, -1.9}, {0.94, -1.93}, {0.96, -1.97}}, tol);
  }
  SUBCASE("momentum") {
    check_steps<T, SGD>(SGD::Options{.lr = 0.1, .momentum = 0.9},
                        {{0.95, -1.9}, {0.8949999999999999, -1.8399999999999999}, {0.8654999999999999, -1.8259999999999998}},
                        tol);
  }
  SUBCASE("momentum, dampening, weight decay") {
    check_steps<T, SGD>(SGD::Options{.lr = 0.1, .momentum = 0.9, .dampening = 0.1, .weight_decay = 0.01},
                        {{0.949, -1.898}, {0.8932458999999999, -1.8314918}, {0.8602632886899999, -1.80598607738}}, tol);
  }
  SUBCASE("nesterov, weight decay") {
    check_steps<T, SGD>(SGD::Options{.lr = 0.1, .momentum = 0.9, .weight_decay = 0.1, .nesterov = true},
                        {{0.886, -1.772}, {0.801566, -1.698132}, {0.765319646, -1.664334292}}, tol);
  }
  SUBCASE("maximize") {
    check_steps<T, SGD>(SGD::Options{.lr = 0.1, .maximize = true},
                        {{1.05, -2.1}, {1.06, -2.0700000000000003}, {1.04, -2.0300000000000002}}, tol);
  }
}

TEST_CASE_TEMPLATE("Adam matches PyTorch's updates", T, float, double) {
  using ein::optim::Adam;
  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-12;
  SUBCASE("defaults, lr 0.1") {
    check_steps<T, Adam>(Adam::Options{.lr = 0.1},
                         {{0.900000002, -1.900000001},
                          {0.8196959063846517, -1.8572151424292265},
                          {0.7852605318354889, -1.8492092384765841}},
                         tol);
  }
  SUBCASE("betas, eps, weight decay") {
    check_steps<T, Adam>(Adam::Options{.lr = 0.1, .betas = {0.8, 0.9}, .eps = 1e-6, .weight_decay = 0.1},
                         {{0.9000001666663889, -1.900000083333264},
                          {0.8145000816059933, -1.8430882954196808},
                          {0.7660664352643094, -1.8147715297185076}},
                         tol);
  }
  SUBCASE("amsgrad keeps the largest second moment") {
    check_steps<T, Adam>(Adam::Options{.lr = 0.1, .betas = {0.9, 0.5}, .amsgrad = true},
                         {{0.900000002, -1.900000001},
                          {0.8290937217089079, -1.8613238476402656},
                          {0.8002931085681679, -1.8544898037537518}},
                         tol);
    check_steps<T, Adam>(Adam::Options{.lr = 0.1, .betas = {0.9, 0.5}},
                         {{0.900000002, -1.900000001},
                          {0.8035087771461987, -1.8496479383178588},
                          {0.7595882544695939, -1.839516477660706}},
                         tol);
  }
  SUBCASE("maximize") {
    check_steps<T, Adam>(Adam::Options{.lr = 0.1, .maximize = true},
                         {{1.099999998, -2.099999999},
                          {1.1803040936153482, -2.1427848575707737},
                          {1.214739468164511, -2.150790761523416}},
                         tol);
  }
}

TEST_CASE("one optimizer over Vars of several ranks and both element types") {
  const auto w = ein::test::param(Tensor<float, 2>({1, 2}, {1, 2}));
  const auto b = ein::test::param(Tensor<double, 1>({1}, {3}));
  const auto s = ein::test::param(Tensor<float, 0>({}, {4}));
  const auto unused = ein::test::param(Tensor<double, 1>({1}, {5}));
  const auto frozen = ein::test::constant(Tensor<float, 1>({1}, {6}));
  ein::optim::SGD opt({w, b, s, unused, frozen}, {.lr = 0.5f});
  w.grad()(0, 1) = 1;
  b.grad()(0) = 2;
  s.grad()() = -2;
  opt.step();
  CHECK(w.value()(0, 0) == 1.0f);
  CHECK(w.value()(0, 1) == 1.5f);
  CHECK(b.value()(0) == 2.0);
  CHECK(s.value()() == 5.0f);
  CHECK(unused.value()(0) == 5.0);  // no gradient yet: skipped, as PyTorch's grad None
  CHECK(frozen.value()(0) == 6.0f);
  opt.zero_grad();
  CHECK(w.grad()(0, 1) == 0.0f);
  CHECK(b.grad()(0) == 0.0);
  CHECK(opt.parameters().size() == 5);
  opt.options().lr = 0.25;  // a schedule
  w.grad()(0, 0) = 4;
  opt.step();
  CHECK(w.value()(0, 0) == 0.0f);
}

TEST_CASE("steps after the first allocate nothing") {
  const auto w = ein::test::param(Tensor<float, 2>(8, 4));
  const auto b = ein::test::param(Tensor<double, 1>(8));
  ein::optim::Adam adam({w, b}, {.lr = 1e-2, .amsgrad = true});
  ein::optim::SGD sgd({w, b}, {.lr = 1e-2, .momentum = 0.9});
  w.grad().fill(0.5f);
  b.grad().fill(-0.25);
  adam.step();
  sgd.step();
  CHECK(ein::test::allocations_in([&] {
          for (int i = 0; i < 5; ++i) {
            adam.step();
            sgd.step();
            adam.zero_grad();
            sgd.zero_grad();
          }
        }) == 0);
}

TEST_CASE("optimizer options are checked") {
  const auto w = ein::test::param(Tensor<float, 1>(2));
  CHECK_THROWS_AS((ein::optim::SGD({w}, {.lr = -1})), std::invalid_argument);
  CHECK_THROWS_AS((ein::optim::SGD({w}, {.lr = 0.1, .nesterov = true})), std::invalid_argument);
  CHECK_THROWS_AS((ein::optim::Adam({w}, {.betas = {0.9, 1.0}})), std::invalid_argument);
  CHECK_THROWS_AS((ein::optim::Adam({w}, {.eps = -1})), std::invalid_argument);
  // a parameter resized after its state was made
  ein::optim::Adam adam({w});
  w.grad().fill(1);
  adam.step();
  w.mutable_value() = ein::test::Device::from_host(Tensor<float, 1>(3));
  w.node()->zero_grad();
  CHECK_THROWS_AS(adam.step(), ein::shape_error);
}

// PyTorch warns of a duplicate parameter (and will reject it); ein stepped it
// twice per step(). Both optimizers now reject it, naming both positions.
TEST_CASE("a Var listed twice in one optimizer is rejected") {
  const auto w = ein::test::param(Tensor<float, 1>({2}, {1, 2}));
  const auto b = ein::test::param(Tensor<double, 1>({2}, {1, 2}));
  const auto same = w;  // a copy of a Var is the same parameter
  CHECK_THROWS_AS((ein::optim::SGD({w, b, w})), std::invalid_argument);
  CHECK_THROWS_AS((ein::optim::Adam({w, same})), std::invalid_argument);
  try {
    ein::optim::SGD sgd({w, b, same}, {.lr = 0.1});
    FAIL("no exception");
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()) == "SGD: parameter 2 is parameter 0 again (a Var listed twice would be stepped twice)");
  }
  // equal values are not the same Var
  const auto twin = ein::test::param(Tensor<float, 1>({2}, {1, 2}));
  ein::optim::SGD sgd({w, twin}, {.lr = 0.5});
  w.grad().fill(1);
  twin.grad().fill(1);
  sgd.step();
  CHECK(w.value()(0) == 0.5f);  // stepped once
  CHECK(twin.value()(0) == 0.5f);
}

TEST_CASE("a small classifier trains: einsum, bias, relu, cross_entropy, Adam") {
  // Two Gaussian blobs in 2-D, labels 0 and 1.
  std::mt19937 gen(3);
  std::normal_distribution<float> noise(0.0f, 0.5f);
  Tensor<float, 2> points(32, 2);
  std::vector<int> labels(32);
  for (int n = 0; n < 32; ++n) {
    labels[n] = n % 2;
    points(n, 0) = (labels[n] ? 1.5f : -1.5f) + noise(gen);
    points(n, 1) = (labels[n] ? -1.0f : 1.0f) + noise(gen);
  }
  const auto x = ein::test::constant(points);
  const auto w1 = ein::test::param(Tensor<float, 2>(8, 2));
  const auto b1 = ein::test::param(Tensor<float, 1>(8));
  const auto w2 = ein::test::param(Tensor<float, 2>(2, 8));
  const auto b2 = ein::test::param(Tensor<float, 1>(2));
  ein::nn::kaiming_uniform(w1, 1);
  ein::nn::kaiming_uniform(w2, 2);
  ein::optim::Adam opt({w1, b1, w2, b2}, {.lr = 0.05f});
  float first = 0, last = 0;
  for (int step = 0; step < 60; ++step) {
    const auto hidden = ein::relu(ein::einsum<"hi,ni->nh">(w1, x) + b1);
    const auto logits = ein::einsum<"ch,nh->nc">(w2, hidden) + b2;
    const auto loss = ein::cross_entropy(logits, labels);
    opt.zero_grad();
    loss.backward(ein::retain_graph);  // retain: see semantics_test.cpp on run_backward
    opt.step();
    if (step == 0) first = loss.value()();
    last = loss.value()();
  }
  CHECK(last < 0.25f * first);
  CHECK(last < 0.1f);
}

#ifndef EIN_TEST_ON_EMULATED_CUDA  // (host Vars beside a test device of the optimizers' own, the host's loops)
// The optimizers are written once for every device: each parameter is stepped by
// its own device's table (optim/parameter.hpp's UpdateDevice), found through
// ParameterTraits. A test device: host memory, its own table, which counts its
// calls and runs the host's loops. A list mixing it with host Vars steps each on
// its own device, with the same values.
namespace {
struct TableCalls {
  int zeros = 0, sgd = 0, adam = 0;
};
TableCalls table_calls;

template <class T>
struct CountingDevice {
  static std::shared_ptr<T> zeros(void* context, ein::index_t n) {
    CHECK(context == &table_calls);
    ++table_calls.zeros;
    return ein::detail::host_update_device<T>.zeros(nullptr, n);
  }
  static void sgd(void* context, ein::index_t n, T* p, const T* g, T* b, const ein::math::SgdArgs<T>& args) {
    CHECK(context == &table_calls);
    ++table_calls.sgd;
    ein::detail::host_update_device<T>.sgd(nullptr, n, p, g, b, args);
  }
  static void adam(void* context, ein::index_t n, T* p, const T* g, T* m, T* v, T* v_max,
                   const ein::math::AdamArgs<T>& args) {
    CHECK(context == &table_calls);
    ++table_calls.adam;
    ein::detail::host_update_device<T>.adam(nullptr, n, p, g, m, v, v_max, args);
  }
  static constexpr ein::optim::UpdateDevice<T> table{&zeros, &sgd, &adam};
};

/// A Var on the counting device (a host Var underneath).
template <class T, std::size_t R>
struct CountingVar {
  ein::Var<T, R> var;
  [[nodiscard]] const auto& node() const { return var.node(); }
};
}  // namespace

template <class T, std::size_t R>
struct ein::optim::ParameterTraits<CountingVar<T, R>> {
  using element_type = T;
  static Access<T> access(ein::detail::Node& n) {
    Access<T> at = ParameterTraits<ein::Var<T, R>>::access(n);
    at.device = &CountingDevice<T>::table;
    at.context = &table_calls;
    return at;
  }
};

TEST_CASE_TEMPLATE("an optimizer steps each parameter on its own device's table", Opt, ein::optim::SGD,
                   ein::optim::Adam) {
  table_calls = {};
  const auto options = [] {
    if constexpr (std::is_same_v<Opt, ein::optim::SGD>) return ein::optim::SGDOptions{.lr = 0.1, .momentum = 0.9};
    else return ein::optim::AdamOptions{.lr = 0.1, .amsgrad = true};
  }();
  const auto host_w = ein::param(Tensor<float, 2>({2, 2}, {1, -2, 3, 0.5f}));
  const auto host_b = ein::param(Tensor<double, 1>({3}, {0.25, -1, 2}));
  const CountingVar<float, 2> dev_w{ein::param(Tensor<float, 2>({2, 2}, {1, -2, 3, 0.5f}))};
  const CountingVar<double, 1> dev_b{ein::param(Tensor<double, 1>({3}, {0.25, -1, 2}))};
  Opt opt({host_w, dev_w, host_b, dev_b}, options);
  for (int step = 0; step < 3; ++step) {
    opt.zero_grad();
    for (auto* g : {&host_w.grad(), &dev_w.var.grad()})
      for (ein::index_t i = 0; i < 4; ++i) g->data()[i] = 0.3f * float(i + step) - 0.5f;
    for (auto* g : {&host_b.grad(), &dev_b.var.grad()})
      for (ein::index_t i = 0; i < 3; ++i) g->data()[i] = 0.7 - 0.4 * double(i * step);
    opt.step();
  }
  // the device's table ran the steps of its two parameters, and made their state
  const int steps = std::is_same_v<Opt, ein::optim::SGD> ? table_calls.sgd : table_calls.adam;
  CHECK(steps == 2 * 3);
  CHECK(table_calls.sgd + table_calls.adam == steps);
  CHECK(table_calls.zeros == (std::is_same_v<Opt, ein::optim::SGD> ? 2 : 2 * 3));  // momentum; m, v, v_max
  for (ein::index_t i = 0; i < 4; ++i) CHECK(dev_w.var.value().data()[i] == host_w.value().data()[i]);
  for (ein::index_t i = 0; i < 3; ++i) CHECK(dev_b.var.value().data()[i] == host_b.value().data()[i]);
  CHECK(host_w.value()(0, 0) != 1.0f);  // (stepped at all)
}

// The host's Adam loop runs math::adam_update's operations a vector of lanes at a
// time (optim/parameter.hpp's host_adam): every element as the one-element rule
// gives it, whatever its place (whole vectors and the tail), in each of the rule's cases.
TEST_CASE_TEMPLATE("the host's vector Adam loop equals the one-element rule", T, float, double) {
  const ein::index_t n = 1003;
  std::mt19937 rng(7);
  const auto random = [&](bool positive) { return random_values<T>(n, rng, positive); };
  for (const bool amsgrad : {false, true})
    for (const bool maximize : {false, true})
      for (const double weight_decay : {0.0, 0.01})
        for (const double beta1 : {0.9, 0.3}) {  // (lerp's two forms: 1 - beta1 below and above 1/2)
          CAPTURE(amsgrad);
          CAPTURE(maximize);
          CAPTURE(weight_decay);
          CAPTURE(beta1);
          const ein::math::AdamArgs<T> args{T(0.01),       T(0.3), T(weight_decay), T(1e-8), T(1 - beta1),
                                            T(0.999),      T(0.001), maximize};
          const std::vector<T> g = random(false);
          std::vector<T> p = random(false), m = random(false), v = random(true), v_max = random(true);
          std::vector<T> p1 = p, m1 = m, v1 = v, v_max1 = v_max;
          ein::detail::host_adam<T>(nullptr, n, p.data(), g.data(), m.data(), v.data(),
                                    amsgrad ? v_max.data() : nullptr, args);
          for (std::size_t k = 0; k < p1.size(); ++k)
            ein::math::adam_update(p1[k], g[k], m1[k], v1[k], amsgrad ? &v_max1[k] : nullptr, args);
          int differ = 0;
          for (std::size_t k = 0; k < p1.size(); ++k)
            differ += p[k] != p1[k] || m[k] != m1[k] || v[k] != v1[k] || v_max[k] != v_max1[k];
          CHECK(differ == 0);
        }
}
TEST_CASE_TEMPLATE("the host's SGD and Adam split a large parameter over the threads with the bits of one loop", T,
                   float, double) {
  // 40037 elements: past parallel_pass_elements, and not a multiple of the 64-element
  // split, so the last thread's share ends in the scalar tail.
  const ein::index_t n = 40037;
  static_assert(40037 >= ein::detail::parallel_pass_elements);
  std::mt19937 rng(11);
  const auto random = [&](bool positive) { return random_values<T>(n, rng, positive); };
  const std::vector<T> g = random(false), p0 = random(false), m0 = random(false), v0 = random(true);
  const ein::math::SgdArgs<T> sgd{T(0.1), T(0.01), T(0.9), T(0.9), true, false, true};
  const ein::math::AdamArgs<T> adam{T(0.01), T(0.3), T(0.01), T(1e-8), T(0.1), T(0.999), T(0.001), false};
  // Each update on `threads` threads (1: one call, the reference).
  const auto run = [&](int threads) {
    std::vector<T> p = p0, b = m0, q = p0, m = m0, v = v0, v_max = v0;
#ifdef _OPENMP
    const int before = omp_get_max_threads();
    omp_set_num_threads(threads);
#endif
    ein::detail::host_sgd<T>(nullptr, n, p.data(), g.data(), b.data(), sgd);
    ein::detail::host_adam<T>(nullptr, n, q.data(), g.data(), m.data(), v.data(), v_max.data(), adam);
#ifdef _OPENMP
    omp_set_num_threads(before);
#endif
    (void)threads;
    return std::vector<std::vector<T>>{p, b, q, m, v, v_max};
  };
  const auto one = run(1);
  for (const int threads : {2, 3}) {
    CAPTURE(threads);
    const auto split = run(threads);
    int differ = 0;
    for (std::size_t a = 0; a < one.size(); ++a)
      for (std::size_t k = 0; k < one[a].size(); ++k) differ += one[a][k] != split[a][k];
    CHECK(differ == 0);
    CHECK(split[0][0] != p0[0]);  // (stepped at all)
    CHECK(split[2][static_cast<std::size_t>(n - 1)] != p0[static_cast<std::size_t>(n - 1)]);
  }
}
#endif
