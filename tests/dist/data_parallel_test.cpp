// ein::dist under `mpirun -np 2` (tests/dist/CMakeLists.txt): parameters broadcast
// from rank 0; 100 data-parallel steps (SGD with momentum, Adam) of an einsum MLP
// in float and double, each rank on its slice of the global batch, against the same
// model trained here on the whole batch by one process: the losses agree at every
// step (1e-5 relative in float, 1e-12 in double) and every rank ends with
// bit-identical parameters; mismatched parameter lists are reported by every rank;
// parameters on a device (a staged stand-in: host memory reached through its
// table's copies) go through the host. Its own main: MPI first, then doctest.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cmath>
#include <cstring>
#include <random>
#include <string>
#include <vector>

#include "ein/autodiff.hpp"
#include "ein/dist/mpi.hpp"

namespace {

const ein::dist::Communicator* world = nullptr;
using ein::index_t;

template <class T>
struct Model {
  ein::Var<T, 2> W1, W2;
  ein::Var<T, 1> b1, b2;
  Model(index_t d, index_t h, index_t c, unsigned seed)
      : W1(ein::param(ein::Tensor<T, 2>(h, d))), W2(ein::param(ein::Tensor<T, 2>(c, h))),
        b1(ein::param(bias(h, seed))), b2(ein::param(ein::Tensor<T, 1>(c))) {
    std::mt19937 gen(seed);
    ein::nn::kaiming_uniform(W1, gen, {.nonlinearity = ein::nn::Nonlinearity::relu});
    ein::nn::kaiming_uniform(W2, gen, {.nonlinearity = ein::nn::Nonlinearity::linear});
  }
  static ein::Tensor<T, 1> bias(index_t h, unsigned seed) {
    std::mt19937 gen(seed + 100);
    std::uniform_real_distribution<double> u(-0.1, 0.1);
    ein::Tensor<T, 1> b(h);
    for (index_t i = 0; i < h; ++i) b.data()[i] = T(u(gen));
    return b;
  }
  [[nodiscard]] std::vector<ein::optim::Parameter> parameters() const { return {W1, b1, W2, b2}; }
  [[nodiscard]] ein::Var<T, 0> loss(const ein::Tensor<T, 2>& x, const std::vector<int>& y) const {
    const auto h = ein::relu(ein::einsum<"ij,lj->li">(W1, ein::constant(x)) + b1);
    return ein::cross_entropy(ein::einsum<"ij,lj->li">(W2, h) + b2, y);
  }
};

/// A synthetic data set, the same on every rank: n examples of d features, c classes.
template <class T>
struct Data {
  ein::Tensor<T, 2> x;
  std::vector<int> y;
  Data(index_t n, index_t d, int c) : x(n, d), y(static_cast<std::size_t>(n)) {
    std::mt19937 gen(7);
    std::normal_distribution<double> g;
    for (index_t i = 0; i < n * d; ++i) x.data()[i] = T(g(gen));
    for (auto& label : y) label = static_cast<int>(gen() % unsigned(c));
  }
  /// Rows `rows` as one batch.
  std::pair<ein::Tensor<T, 2>, std::vector<int>> rows(std::span<const index_t> rows) const {
    const index_t d = x.extent(1);
    ein::Tensor<T, 2> b(static_cast<index_t>(rows.size()), d);
    std::vector<int> labels;
    for (std::size_t r = 0; r < rows.size(); ++r) {
      std::memcpy(b.data() + index_t(r) * d, x.data() + rows[r] * d, std::size_t(d) * sizeof(T));
      labels.push_back(y[static_cast<std::size_t>(rows[r])]);
    }
    return {std::move(b), std::move(labels)};
  }
};

/// Whether every rank holds exactly rank 0's values of `params`.
bool identical_across_ranks(const std::vector<ein::optim::Parameter>& params) {
  int same = 1;
  for (const auto& p : params)
    p.visit([&]<class T>(const ein::optim::Access<T>& at) {
      std::vector<T> root(at.value, at.value + at.size);
      MPI_Bcast(root.data(), static_cast<int>(at.size), ein::dist::mpi_type<T>(), 0, world->handle());
      same = same && std::memcmp(root.data(), at.value, std::size_t(at.size) * sizeof(T)) == 0;
    });
  int all = 0;
  MPI_Allreduce(&same, &all, 1, MPI_INT, MPI_MIN, world->handle());
  return all == 1;
}

/// How a data-parallel step averages: after backward (loss.backward(); step(weight))
/// or during it (backward(loss, weight); step()).
enum class Averaging { after_backward, during_backward };

template <class T, class Optimizer, class Options>
void train_and_compare(Options options, index_t global_batch, double tolerance,
                       Averaging averaging = Averaging::after_backward) {
  constexpr index_t n = 1024, d = 20, h = 32;
  constexpr int classes = 5, steps = 100;
  const Data<T> data(n, d, classes);
  // rank 1 starts from other weights: the broadcast must make them rank 0's
  Model<T> parallel(d, h, classes, 3 + unsigned(world->rank())), single(d, h, classes, 3);
  ein::dist::DataParallel opt(*world, Optimizer(parallel.parameters(), options), 1024);  // (small buckets: several per step)
  Optimizer reference(single.parameters(), options);
  ein::dist::ShardedSampler sampler(n, global_batch, 11, world->rank(), world->size());
  const ein::dist::ShardedSampler whole(n, global_batch, 11, 0, 1);
  double worst = 0;
  for (int step = 0; step < steps; ++step) {
    const index_t s = step % sampler.steps();
    if (s == 0) {
      sampler.set_epoch(std::uint64_t(step / sampler.steps()));
    }
    ein::dist::ShardedSampler all = whole;
    all.set_epoch(std::uint64_t(step / sampler.steps()));
    const auto [x, y] = data.rows(sampler.local_batch(s));
    opt.zero_grad();
    const auto loss = parallel.loss(x, y);
    if (averaging == Averaging::during_backward) {
      opt.backward(loss, double(x.extent(0)));
      // (started within backward: here right after its last rule, which completes W1
      // and b1, since 1 KiB buckets put b2, W2, b1 and W1's first elements in one;
      // the two-layer case below starts buckets before the last rule)
      if (world->size() > 1) CHECK(opt.averager().started_during_backward() >= 1);
      opt.step();
    } else {
      loss.backward();
      opt.step(double(x.extent(0)));
    }
    const double global_loss = world->sum(double(loss.value()()) * double(x.extent(0))) / double(sampler.global_size(s));

    const auto [xa, ya] = data.rows(all.local_batch(s));
    reference.zero_grad();
    const auto ref = single.loss(xa, ya);
    ref.backward();
    reference.step();
    const double err = std::abs(global_loss - double(ref.value()())) / std::abs(double(ref.value()()));
    worst = std::max(worst, err);
  }
  CAPTURE(world->rank());
  MESSAGE("largest relative loss difference over ", steps, " steps: ", worst);
  CHECK(worst <= tolerance);
  CHECK(opt.averager().allreduce_calls() >= 4);  // (buckets of 1 KiB: 837 gradients in four or more)
  CHECK(identical_across_ranks(parallel.parameters()));
}

/// A device whose memory the optimizers and ein::dist reach only through its table:
/// host memory underneath, with staging copies that count themselves (the path a
/// GPU's parameters take: ein::cuda's table copies on the Var's stream).
int staged_copies = 0;
template <class T>
struct StagedDevice {
  static void copy(void*, index_t n, const T* from, T* to) {
    ++staged_copies;
    std::memcpy(to, from, std::size_t(n) * sizeof(T));
  }
  static constexpr ein::optim::UpdateDevice<T> table{&ein::detail::host_zeros<T>, &ein::detail::host_sgd<T>,
                                                     &ein::detail::host_adam<T>, &copy, &copy};
};
template <class T, std::size_t R>
struct StagedVar {
  ein::Var<T, R> var;
  [[nodiscard]] const auto& node() const { return var.node(); }
};

}  // namespace

template <class T, std::size_t R>
struct ein::optim::ParameterTraits<StagedVar<T, R>> {
  using element_type = T;
  static Access<T> access(ein::detail::Node& n) {
    Access<T> at = ParameterTraits<ein::Var<T, R>>::access(n);
    at.device = &StagedDevice<T>::table;
    at.context = &staged_copies;  // (not the host's null context: ein::dist must stage)
    return at;
  }
};

TEST_CASE("parameters on a device are broadcast and averaged through host staging") {
  staged_copies = 0;
  const StagedVar<float, 2> w{ein::param(ein::Tensor<float, 2>({2, 2}, {1, 2, 3, float(world->rank())}))};
  const StagedVar<double, 1> b{ein::param(ein::Tensor<double, 1>({2}, {0.5, double(world->rank())}))};
  ein::dist::DataParallel opt(*world, ein::optim::SGD({w, b}, {.lr = 0.1}));
  CHECK(w.var.value().data()[3] == 0.0f);  // rank 0's values
  CHECK(b.var.value().data()[1] == 0.0);
  opt.zero_grad();
  (ein::sum(w.var * w.var) * float(world->rank() + 1)).backward();
  ein::sum(b.var).backward();
  opt.step();
  // gradients: 2 w (rank + 1), averaged over ranks 1 and 2: 2 w * 1.5; b's: 1
  const float mean_factor = world->size() == 2 ? 1.5f : 1.0f;
  CHECK(w.var.value().data()[1] == doctest::Approx(2 - 0.1 * 2 * 2 * mean_factor));
  CHECK(b.var.value().data()[0] == doctest::Approx(0.5 - 0.1));
  // one copy per parameter for the broadcast (out on rank 0, in on the others), two for the averaging
  CHECK(staged_copies == 6);
  // Averaged during backward: a gradient leaves the device when packed, comes back in
  // step(). b (laid out first: the last parameter) is not reached, so its bucket
  // waits for step(), and w's, started in order after it, waits too.
  staged_copies = 0;
  opt.zero_grad();
  opt.backward(ein::sum(w.var * w.var) * float(world->rank() + 1));
  CHECK(opt.averager().started_during_backward() == 0);
  opt.step();
  if (world->size() > 1) CHECK(opt.averager().allreduce_calls() == 2);
  CHECK(staged_copies == (world->size() > 1 ? 4 : 0));
  const double w1 = 2 - 0.1 * 2 * 2 * mean_factor;  // (after the first step)
  CHECK(w.var.value().data()[1] == doctest::Approx(w1 - 0.1 * 2 * w1 * mean_factor));
  CHECK(b.var.value().data()[0] == doctest::Approx(0.4));  // (its gradient zero)
}

TEST_CASE("broadcast_parameters: every rank starts from rank 0's parameters") {
  auto w = ein::param(ein::Tensor<float, 2>({2, 3}, {1, 2, 3, 4, 5, float(world->rank())}));
  auto b = ein::param(ein::Tensor<double, 1>({2}, {0.5, -double(world->rank())}));
  ein::dist::broadcast_parameters(*world, {w, b});
  CHECK(w.value().data()[5] == 0.0f);
  CHECK(b.value().data()[1] == 0.0);
  CHECK(identical_across_ranks({w, b}));
}

TEST_CASE("broadcast_parameters: a parameter of another shape is named by every rank") {
  const index_t r = world->rank() == 1 ? 4 : 3, c = world->rank() == 1 ? 3 : 4;
  auto b = ein::param(ein::Tensor<float, 1>(5));
  auto w = ein::param(ein::Tensor<float, 2>(r, c));
  std::string message;
  try {
    ein::dist::broadcast_parameters(*world, {b, w});
  } catch (const std::invalid_argument& e) {
    message = e.what();
  }
  if (world->size() > 1)
    CHECK(message == "ein::dist::broadcast_parameters: parameter 1 is float[4, 3] on rank 1, float[3, 4] on rank 0 "
                     "(every process must list the same parameters, in the same order)");
  // a missing parameter, and another element type
  std::vector<ein::optim::Parameter> fewer{b};
  if (world->rank() == 0) fewer.push_back(w);
  message.clear();
  try {
    ein::dist::broadcast_parameters(*world, fewer);
  } catch (const std::invalid_argument& e) {
    message = e.what();
  }
  if (world->size() > 1) CHECK(message.find("parameter 1 is no such parameter on rank 1, float[3, 4] on rank 0") != std::string::npos);
}

TEST_CASE("GradientAverager: a parameter used on some ranks only is named on every rank") {
  auto w = ein::param(ein::Tensor<double, 1>({3}, {1, 2, 3}));
  auto v = ein::param(ein::Tensor<double, 1>({3}, {1, 2, 3}));
  ein::dist::GradientAverager avg(*world, {w, v});
  auto loss = ein::sum(w * w);
  if (world->rank() == 0) loss = loss + ein::sum(v);
  loss.backward();
  if (world->size() > 1)
    CHECK_THROWS_WITH_AS(avg.average(), doctest::Contains("parameter 1 has a gradient on 1 of 2 processes"),
                         std::logic_error);
}

TEST_CASE("GradientAverager: the weighted mean over ranks") {
  auto w = ein::param(ein::Tensor<float, 1>({2}, {0, 0}));
  ein::dist::GradientAverager avg(*world, {w});
  w.grad().data()[0] = float(world->rank() + 1);  // ranks 0 and 1: 1 and 2, weights 1 and 3
  w.grad().data()[1] = 4;
  avg.average(world->rank() == 0 ? 1.0 : 3.0);
  if (world->size() == 2) CHECK(w.grad().data()[0] == doctest::Approx((1 * 1 + 2 * 3) / 4.0));
  CHECK(w.grad().data()[1] == 4.0f);
}

TEST_CASE_TEMPLATE("100 data-parallel steps: the single-process losses, bit-identical parameters", T, float, double) {
  const double tolerance = std::is_same_v<T, float> ? 1e-5 : 1e-12;
  SUBCASE("SGD with momentum") {
    train_and_compare<T, ein::optim::SGD>(ein::optim::SGDOptions{.lr = 0.05, .momentum = 0.9}, 128, tolerance);
  }
  // (a global batch of 127: slices of 63 and 64, which the gradient weights must balance)
  SUBCASE("Adam") { train_and_compare<T, ein::optim::Adam>(ein::optim::AdamOptions{.lr = 1e-3}, 127, tolerance); }
  SUBCASE("SGD with momentum, averaged during backward") {
    train_and_compare<T, ein::optim::SGD>(ein::optim::SGDOptions{.lr = 0.05, .momentum = 0.9}, 128, tolerance,
                                          Averaging::during_backward);
  }
  SUBCASE("Adam, averaged during backward") {
    train_and_compare<T, ein::optim::Adam>(ein::optim::AdamOptions{.lr = 1e-3}, 127, tolerance,
                                           Averaging::during_backward);
  }
}

TEST_CASE("DataParallel::backward: the averaging overlaps backward, step() finishes it") {
  // Two layers: the second's gradients are complete while the first's are computed.
  auto w1 = ein::param(ein::Tensor<double, 2>({2, 2}, {1, 2, 3, 4}));
  auto w2 = ein::param(ein::Tensor<double, 1>({2}, {0.5, -1}));
  auto unused = ein::param(ein::Tensor<double, 1>({1}, {7}));  // (backward reaches it on no process)
  ein::dist::DataParallel opt(*world, ein::optim::SGD({unused, w1, w2}, {.lr = 1}), 8);  // (one element a bucket)
  const auto x = ein::constant(ein::Tensor<double, 1>({2}, {1.0 + world->rank(), 1}));
  const auto loss = [&] { return ein::einsum<"i,i->">(w2, ein::einsum<"ij,j->i">(w1, x)); };
  opt.zero_grad();
  opt.backward(loss(), 1.0);
  // Buckets of one double, parameters last to first: w2's two, w1's four, unused's
  // one. Backward completed w2 and w1, so their six started within it; unused's was
  // left for step().
  if (world->size() > 1) CHECK(opt.averager().started_during_backward() == 6);
  CHECK_THROWS_AS(opt.step(2.0), std::logic_error);  // (another weight than backward's: the round still ends)
  if (world->size() > 1) CHECK(opt.averager().allreduce_calls() == 7);
  // dL/dw2 = w1 x, dL/dw1 = w2 x^T; x's first element is 1 + rank: its mean over ranks
  const double x0 = world->size() == 2 ? 1.5 : 1.0;
  CHECK(w1.grad().data()[0] == doctest::Approx(0.5 * x0));
  CHECK(w1.grad().data()[3] == doctest::Approx(-1.0));
  CHECK(w2.grad().data()[0] == doctest::Approx(1 * x0 + 2));
  opt.zero_grad();
  opt.backward(loss(), 1.0);
  opt.step(1.0);  // (the same weight: accepted)
  CHECK(w2.value().data()[1] == doctest::Approx(-1 - (3 * x0 + 4)));
  CHECK(unused.value().data()[0] == 7.0);  // (no gradient: not stepped)
}

int main(int argc, char** argv) {
  ein::dist::Communicator comm(&argc, &argv);
  world = &comm;
  doctest::Context context(argc, argv);
  const int failed = context.run();
  const int any = comm.sum(failed != 0 ? 1 : 0) > 0 ? 1 : 0;
  if (comm.is_root()) std::printf("ein::dist test: %d processes, %s\n", comm.size(), any ? "FAILED" : "passed");
  return any;
}
