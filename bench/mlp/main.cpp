// bench/mlp's driver: one training step (forward, backward, SGD) of the MLP
// 784-H-10 on a mini-batch of N, for ein, a hand-written Eigen floor and
// libtorch (when found), at every thread count, and the forward alone (with the
// tape recorded) to split forward from backward.
//
//   ein_bench_mlp [benchmark flags]                       the benchmarks
//   ein_bench_mlp --check                                  every implementation's losses agree over 5 steps
//   ein_bench_mlp --steps IMPL N H THREADS COUNT           COUNT steps, no timing harness (for /usr/bin/time -v);
//                                                          IMPL none: nothing, the baseline of peak memory
//
// Names: mlp_<step|forward>/<impl>/N:<n>/H:<h>/threads:<t>/real_time, e.g.
//   --benchmark_filter='mlp_step/.*/N:128/H:256/threads:1/'
// Counters: items_per_second (examples per second of wall time) and allocs:
// heap allocations per step after two warm-up steps: operator new, which this
// binary replaces, plus malloc called from the code compiled here (Eigen's own
// buffers), through the linker's --wrap=malloc. libtorch's tensors come from its
// own allocator in libc10 and are not seen. Layer: bench.
#include <benchmark/benchmark.h>
#include <dlfcn.h>

#include <Eigen/Core>
#ifdef _OPENMP
#include <omp.h>
#endif

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <new>
#include <string>
#include <vector>

#include "eigen_mlp.hpp"
#include "ein_mlp.hpp"
#include "problem.hpp"

// ---- allocation counting ----
namespace {
std::atomic<std::int64_t> g_new_calls{0}, g_malloc_calls{0};
}  // namespace

#ifdef EIN_BENCH_WRAP_MALLOC
extern "C" void* __real_malloc(std::size_t n);
extern "C" void* __wrap_malloc(std::size_t n) {
  g_malloc_calls.fetch_add(1, std::memory_order_relaxed);
  return __real_malloc(n);
}
#define EIN_BENCH_PLAIN_MALLOC __real_malloc
#else
#define EIN_BENCH_PLAIN_MALLOC std::malloc
#endif

namespace {
void* counted_new(std::size_t n, std::size_t align) {
  g_new_calls.fetch_add(1, std::memory_order_relaxed);
  if (n == 0) n = 1;
  if (align <= alignof(std::max_align_t)) return EIN_BENCH_PLAIN_MALLOC(n);
  return std::aligned_alloc(align, (n + align - 1) / align * align);
}
void* must(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
std::int64_t allocation_count() {
  return g_new_calls.load(std::memory_order_relaxed) + g_malloc_calls.load(std::memory_order_relaxed);
}
}  // namespace

void* operator new(std::size_t n) { return must(counted_new(n, 0)); }
void* operator new[](std::size_t n) { return must(counted_new(n, 0)); }
void* operator new(std::size_t n, std::align_val_t a) { return must(counted_new(n, std::size_t(a))); }
void* operator new[](std::size_t n, std::align_val_t a) { return must(counted_new(n, std::size_t(a))); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_new(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_new(n, 0); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_new(n, std::size_t(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_new(n, std::size_t(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace bench {

std::vector<Impl>& impls() {
  static std::vector<Impl> all;
  return all;
}

namespace {
std::vector<std::function<void(int)>>& thread_hooks() {
  static std::vector<std::function<void(int)>> hooks;
  return hooks;
}

/// Every library's thread count at once: Eigen's GEMMs, OpenMP (ein's loops),
/// OpenBLAS when loaded (libtorch's GEMMs), and each hook (libtorch's ATen).
void set_threads(int threads) {
  Eigen::setNbThreads(threads);
#ifdef _OPENMP
  omp_set_num_threads(threads);
#endif
  using SetThreads = void (*)(int);
  if (auto* openblas = reinterpret_cast<SetThreads>(dlsym(RTLD_DEFAULT, "openblas_set_num_threads")))
    openblas(threads);
  for (const auto& hook : thread_hooks()) hook(threads);
}

/// What a benchmark times: a whole step, the forward (with the loss), or the backward alone.
enum class Part { step, forward, backward };

void run_benchmark(benchmark::State& state, const Impl& impl, Part part) {
  const auto n = state.range(0), h = state.range(1);
  set_threads(int(state.range(2)));
  const Problem problem(n, h);
  const std::unique_ptr<Model> model = impl.make(problem);
  model->step();  // warm-up: optimizer state, first-touch buffers, thread pools
  model->step();
  if (part == Part::backward && model->timed_backward() < 0) {
    state.counters["allocs"] = std::numeric_limits<double>::quiet_NaN();  // (see below)
    state.SkipWithError("no separate backward");
    return;
  }
  const std::int64_t before = allocation_count();
  for (auto _ : state) {
    if (part == Part::backward) state.SetIterationTime(model->timed_backward());
    else benchmark::DoNotOptimize(part == Part::step ? model->step() : model->forward());
  }
  const std::int64_t allocations = allocation_count() - before;
  state.SetItemsProcessed(state.iterations() * n);
  // The GEMMs' FLOPs: forward 2 N H (784 + 10); backward dW2, dH (2 N H 10 each) and dW1 (2 N H 784).
  const double nh = double(n) * double(h), forward_flops = 2 * nh * double(inputs + classes),
               backward_flops = 2 * nh * double(inputs + 2 * classes);
  const double flops = part == Part::forward    ? forward_flops
                       : part == Part::backward ? backward_flops
                                                : forward_flops + backward_flops;
  state.counters["FLOPS"] = benchmark::Counter(flops, benchmark::Counter::kIsIterationInvariantRate,
                                               benchmark::Counter::kIs1000);
  // Every run has the counter (NaN where it is not counted: libtorch's own allocator):
  // the CSV reporter aborts when a run lacks a counter an earlier one had, which
  // --benchmark_enable_random_interleaving made happen whenever ein ran before torch.
  state.counters["allocs"] = impl.count_allocations ? double(allocations) / double(state.iterations())
                                                    : std::numeric_limits<double>::quiet_NaN();
}

void register_benchmarks() {
  for (const Impl& impl : impls())
    for (const Part part : {Part::step, Part::forward, Part::backward})
      for (const std::int64_t threads : {1, 2})
        for (const std::int64_t h : {256, 1024})
          for (const std::int64_t n : {32, 128, 1024}) {
            const char* prefix = part == Part::step ? "mlp_step/" : part == Part::forward ? "mlp_forward/" : "mlp_backward/";
            const std::string name = prefix + impl.name;
            auto* b = benchmark::RegisterBenchmark(name.c_str(), [&impl, part](benchmark::State& s) {
              run_benchmark(s, impl, part);
            });
            b->Args({n, h, threads})->ArgNames({"N", "H", "threads"})->Unit(benchmark::kMicrosecond);
            if (part == Part::backward) b->UseManualTime();  // (timed_backward's own clock: the backward alone)
            else b->UseRealTime();
          }
}

/// Five steps of every implementation on one problem: the losses must agree.
int check() {
  set_threads(1);
  const Problem problem(128, 256);
  std::vector<std::vector<float>> losses;
  std::vector<std::string> names;
  for (const Impl& impl : impls()) {
    if (!impl.checked) continue;
    names.push_back(impl.name);
    const auto model = impl.make(problem);
    std::vector<float>& l = losses.emplace_back();
    for (int s = 0; s < 5; ++s) l.push_back(model->step());
    std::printf("%-10s", impl.name.c_str());
    for (float v : l) std::printf("  %.6f", v);
    std::printf("\n");
  }
  for (std::size_t i = 1; i < losses.size(); ++i)
    for (std::size_t s = 0; s < losses[i].size(); ++s)
      if (std::abs(losses[i][s] - losses[0][s]) > 1e-4f * std::max(1.0f, std::abs(losses[0][s]))) {
        std::printf("MISMATCH: %s differs from %s at step %zu\n", names[i].c_str(), names[0].c_str(), s);
        return 1;
      }
  std::printf("all %zu implementations agree over 5 steps\n", losses.size());
  return 0;
}

/// COUNT steps of one implementation, for measuring peak memory from outside.
int steps(const std::string& name, std::int64_t n, std::int64_t h, int threads, std::int64_t count) {
  if (name == "none") return 0;  // the baseline: libraries loaded, nothing built
  for (const Impl& impl : impls()) {
    if (impl.name != name) continue;
    set_threads(threads);
    const Problem problem(n, h);
    const auto model = impl.make(problem);
    model->step();
    model->step();
    const std::int64_t before = allocation_count();
    const auto start = std::chrono::steady_clock::now();
    float loss = 0;
    for (std::int64_t s = 0; s < count; ++s) loss = model->step();
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    std::printf("%s N=%ld H=%ld threads=%d: %ld steps in %.3f s (%.1f us/step), final loss %.4f", name.c_str(),
                long(n), long(h), threads, long(count), seconds, 1e6 * seconds / double(count), loss);
    if (impl.count_allocations)
      std::printf(", %.2f heap allocations/step", double(allocation_count() - before) / double(count));
    std::printf("\n");
    return 0;
  }
  std::fprintf(stderr, "no implementation named %s\n", name.c_str());
  return 2;
}

}  // namespace

void add_thread_hook(std::function<void(int)> hook) { thread_hooks().push_back(std::move(hook)); }

}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  impls().push_back({"ein", [](const Problem& p) { return std::make_unique<EinMlp>(p); }, true});
  impls().push_back({"eigen", [](const Problem& p) { return std::make_unique<EigenMlp>(p); }, true});
#ifdef EIN_USE_CBLAS
  impls().push_back({"eigen_blas", [](const Problem& p) { return std::make_unique<EigenBlasMlp>(p); }, true});
  impls().push_back({"gemm", [](const Problem& p) { return std::make_unique<GemmFloor>(p); }, true, false});
#endif
#ifdef EIN_BENCH_HAVE_TORCH
  add_torch_impl();
#endif
  if (argc >= 2 && std::strcmp(argv[1], "--check") == 0) return check();
  if (argc >= 2 && std::strcmp(argv[1], "--steps") == 0) {
    if (argc != 7) {
      std::fprintf(stderr, "usage: %s --steps IMPL N H THREADS COUNT\n", argv[0]);
      return 2;
    }
    return steps(argv[2], std::atoll(argv[3]), std::atoll(argv[4]), std::atoi(argv[5]), std::atoll(argv[6]));
  }
  benchmark::AddCustomContext("ein_mlp", "784-H-10 MLP, float, SGD momentum 0.9; allocs = heap allocations per step");
#ifdef EIN_BENCH_HAVE_TORCH
  benchmark::AddCustomContext("torch", torch_version());
#endif
  if (const char* ob = std::getenv("OPENBLAS_NUM_THREADS")) benchmark::AddCustomContext("OPENBLAS_NUM_THREADS", ob);
  register_benchmarks();
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
