// What every implementation of bench/mlp trains on: one fixed mini-batch X [N,784]
// (uniform in [0, 1)), labels r % 10, and the same initial weights (PyTorch's
// nn.Linear default, U(-1/sqrt(fan_in), 1/sqrt(fan_in))), so that every
// implementation computes the same numbers. The step is SGD with momentum 0.9.
// Layer: bench.
#pragma once

#include <cmath>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

namespace bench {

inline constexpr std::int64_t inputs = 784, classes = 10;
inline constexpr float learning_rate = 0.01f, momentum = 0.9f;

struct Problem {
  std::int64_t n, h;
  std::vector<float> x, w1, b1, w2, b2;  // row-major: x [n, 784], w1 [h, 784], w2 [10, h]
  std::vector<int> y;

  Problem(std::int64_t n_, std::int64_t h_, std::uint32_t seed = 7) : n(n_), h(h_) {
    std::mt19937 gen(seed);
    // Numbers from the raw generator: std::uniform_real_distribution differs between standard libraries.
    const auto uniform = [&](float low, float high) { return low + (high - low) * float(gen() >> 8) * 0x1p-24f; };
    const auto fill = [&](std::vector<float>& v, std::size_t count, float bound) {
      v.resize(count);
      for (float& e : v) e = uniform(-bound, bound);
    };
    x.resize(std::size_t(n * inputs));
    for (float& e : x) e = uniform(0.0f, 1.0f);
    fill(w1, std::size_t(h * inputs), 1.0f / std::sqrt(float(inputs)));
    fill(b1, std::size_t(h), 1.0f / std::sqrt(float(inputs)));
    fill(w2, std::size_t(classes * h), 1.0f / std::sqrt(float(h)));
    fill(b2, std::size_t(classes), 1.0f / std::sqrt(float(h)));
    y.resize(std::size_t(n));
    for (std::int64_t r = 0; r < n; ++r) y[std::size_t(r)] = int(r % classes);
  }
};

/// One implementation's model, built on a Problem: step() trains once and
/// returns the loss; forward() computes the loss only (recording the tape, for
/// the autodiff libraries, as a training step does); timed_backward() trains once
/// and returns the seconds its backward alone took (from the loss to the
/// parameters' gradients, without zero_grad and the optimizer's step), or a
/// negative number where the implementation does not time it.
class Model {
 public:
  virtual ~Model() = default;
  virtual float step() = 0;
  virtual float forward() = 0;
  virtual double timed_backward() { return -1; }
};

struct Impl {
  std::string name;
  std::function<std::unique_ptr<Model>(const Problem&)> make;
  bool count_allocations;  // the counter sees ein's and Eigen's allocations, not libtorch's own allocator
  bool checked = true;     // its losses are compared by --check (not the GEMM floor's: it has none)
};

/// The registry, filled by each implementation's add_* function.
std::vector<Impl>& impls();
/// Called with the thread count before each benchmark (each library adds its own).
void add_thread_hook(std::function<void(int)> hook);

void add_torch_impl();       // torch_mlp.cpp, when libtorch is found
std::string torch_version();  // "" without libtorch

}  // namespace bench
