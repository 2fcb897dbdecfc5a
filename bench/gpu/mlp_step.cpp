// One training step of the README's MLP (784-H-10, ReLU, cross-entropy, SGD
// with momentum) on the CPU backend and on the GPU, in the same binary, on the
// same random data and initial weights:
//   - the median step time of each, and the GPU's speed-up (issue 5's target: 10x
//     at N = 1024, H = 1024 against the CPU on 2 threads);
//   - the CUDA memory copies issued inside GPU steps, counted by wrappers of the
//     runtime's cudaMemcpy* (this binary's definitions take the place of
//     libcudart's): host<->device copies must be 0;
//   - after one step from the same state, the largest parameter difference
//     between the two backends.
// Prints one line per measure and `mlp_step: PASS` or `mlp_step: FAIL (...)`;
// exits 0, 1 (a check failed) or 77 (no CUDA device).
//
//   mlp_step [--n 1024] [--hidden 1024] [--steps 20] [--threads 2] [--min-speedup 10]
#include <dlfcn.h>

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <string_view>
#include <vector>

#include <Eigen/Core>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <ein/autodiff.hpp>
#include <ein/cuda.hpp>
#include <ein/data/batches.hpp>

// --- cudaMemcpy* counters -----------------------------------------------------

namespace {
std::atomic<long> host_device_copies{0}, device_copies{0};

/// Counts one copy: device-to-device apart, everything else touches the host.
void count_copy(cudaMemcpyKind kind, const void* dst, const void* src) {
  if (kind == cudaMemcpyDefault) {
    cudaPointerAttributes a{}, b{};
    const bool dst_device = cudaPointerGetAttributes(&a, dst) == cudaSuccess && a.type == cudaMemoryTypeDevice;
    const bool src_device = cudaPointerGetAttributes(&b, src) == cudaSuccess && b.type == cudaMemoryTypeDevice;
    (void)cudaGetLastError();
    kind = dst_device && src_device ? cudaMemcpyDeviceToDevice : cudaMemcpyHostToDevice;
  }
  if (kind == cudaMemcpyDeviceToDevice) ++device_copies;
  else ++host_device_copies;
}

template <class F>
F next_symbol(const char* name) {
  void* f = dlsym(RTLD_NEXT, name);
  if (f == nullptr) {
    std::fprintf(stderr, "mlp_step: %s not found in the CUDA runtime\n", name);
    std::abort();
  }
  return reinterpret_cast<F>(f);
}
}  // namespace

extern "C" {
cudaError_t cudaMemcpy(void* dst, const void* src, size_t count, cudaMemcpyKind kind) {
  static const auto real = next_symbol<cudaError_t (*)(void*, const void*, size_t, cudaMemcpyKind)>("cudaMemcpy");
  count_copy(kind, dst, src);
  return real(dst, src, count, kind);
}
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t count, cudaMemcpyKind kind, cudaStream_t stream) {
  static const auto real =
      next_symbol<cudaError_t (*)(void*, const void*, size_t, cudaMemcpyKind, cudaStream_t)>("cudaMemcpyAsync");
  count_copy(kind, dst, src);
  return real(dst, src, count, kind, stream);
}
cudaError_t cudaMemcpy2D(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height,
                         cudaMemcpyKind kind) {
  static const auto real =
      next_symbol<cudaError_t (*)(void*, size_t, const void*, size_t, size_t, size_t, cudaMemcpyKind)>("cudaMemcpy2D");
  count_copy(kind, dst, src);
  return real(dst, dpitch, src, spitch, width, height, kind);
}
cudaError_t cudaMemcpy2DAsync(void* dst, size_t dpitch, const void* src, size_t spitch, size_t width, size_t height,
                              cudaMemcpyKind kind, cudaStream_t stream) {
  static const auto real = next_symbol<cudaError_t (*)(void*, size_t, const void*, size_t, size_t, size_t,
                                                       cudaMemcpyKind, cudaStream_t)>("cudaMemcpy2DAsync");
  count_copy(kind, dst, src);
  return real(dst, dpitch, src, spitch, width, height, kind, stream);
}
}

// --- the benchmark ------------------------------------------------------------

namespace {

using ein::index_t;
using Clock = std::chrono::steady_clock;

struct Options {
  index_t n = 1024, hidden = 1024;
  int steps = 20, threads = 2;
  double min_speedup = 10;
};

Options parse(int argc, char** argv) {
  Options o;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string_view arg = argv[i];
    const double v = std::atof(argv[i + 1]);
    if (arg == "--n") o.n = static_cast<index_t>(v);
    else if (arg == "--hidden") o.hidden = static_cast<index_t>(v);
    else if (arg == "--steps") o.steps = static_cast<int>(v);
    else if (arg == "--threads") o.threads = static_cast<int>(v);
    else if (arg == "--min-speedup") o.min_speedup = v;
    else {
      std::fprintf(stderr, "mlp_step: unknown option %s\n", argv[i]);
      std::exit(2);
    }
  }
  return o;
}

constexpr index_t inputs = 784, classes = 10;
constexpr float lr = 0.05f, momentum = 0.9f;

struct Data {
  ein::Tensor<float, 2> x;  // [4 N, 784]: batches are drawn from it
  std::vector<int> labels;
  std::vector<index_t> order;  // a permutation of its rows
  ein::Tensor<float, 2> W1, W2;
  ein::Tensor<float, 1> b1, b2;
};

Data make_data(const Options& o) {
  std::mt19937 gen(7);
  std::normal_distribution<float> normal;
  Data d;
  const index_t rows = 4 * o.n;
  d.x = ein::Tensor<float, 2>(rows, inputs);
  for (index_t k = 0; k < d.x.size(); ++k) d.x.data()[k] = normal(gen);
  d.labels.resize(static_cast<std::size_t>(rows));
  for (auto& l : d.labels) l = static_cast<int>(gen() % classes);
  d.order.resize(static_cast<std::size_t>(rows));
  for (index_t i = 0; i < rows; ++i) d.order[static_cast<std::size_t>(i)] = (i * 7919) % rows;
  d.W1 = ein::Tensor<float, 2>(o.hidden, inputs);
  d.W2 = ein::Tensor<float, 2>(classes, o.hidden);
  d.b1 = ein::Tensor<float, 1>(o.hidden);
  d.b2 = ein::Tensor<float, 1>(classes);
  ein::nn::kaiming_uniform(d.W1, gen, {.nonlinearity = ein::nn::Nonlinearity::relu});
  ein::nn::kaiming_uniform(d.W2, gen, {.nonlinearity = ein::nn::Nonlinearity::linear});
  return d;
}

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

/// The step on device D, written once: the model on D's Vars, its batches gathered
/// where D reads them (ein::data::Batches: on the GPU the data is copied once, and
/// a step copies nothing to or from the host).
template <class D>
struct Run {
  ein::data::Batches<D> batches;
  ein::Var<float, 2, D> W1, W2;
  ein::Var<float, 1, D> b1, b2;
  ein::optim::SGD opt;

  explicit Run(const Data& d)
      : batches(d.x, d.labels),
        W1(ein::param(ein::to<D>(d.W1))),
        W2(ein::param(ein::to<D>(d.W2))),
        b1(ein::param(ein::to<D>(d.b1))),
        b2(ein::param(ein::to<D>(d.b2))),
        opt({W1, b1, W2, b2}, {.lr = lr, .momentum = momentum}) {
    batches.set_order(d.order);
  }

  void step(index_t batch, index_t n) {
    auto [x, y] = batches.batch(batch * n, n);
    const auto X = ein::constant(std::move(x));
    const auto h = ein::relu(ein::einsum<"ij,lj->li">(W1, X) + b1);
    const auto loss = ein::cross_entropy(ein::einsum<"ij,lj->li">(W2, h) + b2, y);
    opt.zero_grad();
    loss.backward();
    opt.step();
  }
};

template <class T, std::size_t R>
double max_difference(const ein::Tensor<T, R>& a, const ein::Tensor<T, R>& b) {
  double m = 0;
  for (index_t k = 0; k < a.size(); ++k) m = std::max(m, std::abs(double(a.data()[k]) - double(b.data()[k])));
  return m;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  if (!ein::cuda::device_available()) {
    std::printf("SKIPPED: no CUDA device\n");
    return 77;
  }
  try {
    Eigen::setNbThreads(o.threads);
#ifdef _OPENMP
    omp_set_num_threads(o.threads);
#endif
    ein::cuda::Context& ctx = ein::cuda::Context::current();
    cudaDeviceProp props{};
    ein::cuda::check(cudaGetDeviceProperties(&props, ctx.device()), "cudaGetDeviceProperties");
    const Data d = make_data(o);
    std::printf("mlp_step: N=%ld H=%ld, SGD momentum %g, device %s, CPU %d thread%s\n", static_cast<long>(o.n),
                static_cast<long>(o.hidden), double(momentum), props.name, o.threads, o.threads == 1 ? "" : "s");

    // One step of each from the same state on the same batch: the same parameters.
    Run<ein::Host> cpu(d);
    Run<ein::cuda::Device> gpu(d);
    cpu.step(0, o.n);
    gpu.step(0, o.n);
    const double diff = std::max({max_difference(cpu.W1.value(), ein::to_host(gpu.W1.value())),
                                  max_difference(cpu.b1.value(), ein::to_host(gpu.b1.value())),
                                  max_difference(cpu.W2.value(), ein::to_host(gpu.W2.value())),
                                  max_difference(cpu.b2.value(), ein::to_host(gpu.b2.value()))});
    std::printf("  after one step, largest parameter difference CPU vs GPU: %.3g\n", diff);

    std::vector<double> cpu_times;
    for (int s = 0; s < std::max(3, o.steps / 4); ++s) {
      const auto t0 = Clock::now();
      cpu.step((s + 1) % 4, o.n);
      cpu_times.push_back(std::chrono::duration<double>(Clock::now() - t0).count());
    }
    // GPU: warm up (the block caches fill), then count copies over the timed steps.
    for (int s = 0; s < 3; ++s) gpu.step(s % 4, o.n);
    ctx.synchronize();
    std::vector<double> gpu_times;
    const long copies_before = host_device_copies, d2d_before = device_copies;
    for (int rep = 0; rep < 5; ++rep) {
      const auto t0 = Clock::now();
      for (int s = 0; s < o.steps; ++s) gpu.step(s % 4, o.n);
      ctx.synchronize();
      gpu_times.push_back(std::chrono::duration<double>(Clock::now() - t0).count() / o.steps);
    }
    const long copies = host_device_copies - copies_before, d2d = device_copies - d2d_before;

    const double tc = median(cpu_times), tg = median(gpu_times), speedup = tc / tg;
    std::printf("  CPU step %.3f ms (median of %zu)\n", 1e3 * tc, cpu_times.size());
    std::printf("  GPU step %.3f ms (median of %zu runs of %d steps)\n", 1e3 * tg, gpu_times.size(), o.steps);
    std::printf("  speed-up %.1fx (target >= %gx)\n", speedup, o.min_speedup);
    std::printf("  copies in %d GPU steps: host<->device %ld, device-to-device %ld\n", 5 * o.steps, copies, d2d);
    std::string failed;
    if (copies != 0) failed += " host-device copies in a step;";
    if (speedup < o.min_speedup) failed += " speed-up below target;";
    if (!(diff < 1e-3)) failed += " CPU and GPU parameters differ;";
    if (failed.empty()) std::printf("mlp_step: PASS\n");
    else std::printf("mlp_step: FAIL (%s )\n", failed.c_str());
    return failed.empty() ? 0 : 1;
  } catch (const std::exception& e) {
    std::printf("mlp_step: FAIL (%s)\n", e.what());
    return 1;
  }
}
