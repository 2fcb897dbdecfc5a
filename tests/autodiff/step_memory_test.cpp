// Memory of a training step (issue 12): the lecture's MLP step (two einsum layers
// with bias, ReLU, cross-entropy, backward, SGD or Adam, zero_grad) makes no heap
// allocation after its first run; a changed batch size re-plans without leaking;
// the pool's cache stays within its stated bound (tensor/memory_pool.hpp).
//
// Counted: every operator new (replaced here), and malloc, calloc, realloc,
// aligned_alloc and posix_memalign called from code compiled into this program
// (ein's headers, Eigen's GEMM buffers), through the linker's --wrap. Calls made
// inside shared libraries (OpenBLAS keeps its own buffers) are not seen.
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include <doctest/doctest.h>

#include "ein/autodiff.hpp"

// The allocators under the wraps; operator new (counting_new.hpp) allocates with
// them, so that its own malloc is not counted twice.
extern "C" {
void* __real_malloc(std::size_t n);
void* __real_calloc(std::size_t n, std::size_t size);
void* __real_realloc(void* p, std::size_t n);
void* __real_aligned_alloc(std::size_t align, std::size_t n);
int __real_posix_memalign(void** p, std::size_t align, std::size_t n);
}
#define EIN_TEST_UNWRAPPED_MALLOC __real_malloc
#define EIN_TEST_UNWRAPPED_ALIGNED_ALLOC __real_aligned_alloc
#include "counting_new.hpp"

namespace {
void count() { ein::test::heap_allocations.fetch_add(1, std::memory_order_relaxed); }
}  // namespace

extern "C" {
void* __wrap_malloc(std::size_t n) {
  count();
  return __real_malloc(n);
}
void* __wrap_calloc(std::size_t n, std::size_t size) {
  count();
  return __real_calloc(n, size);
}
void* __wrap_realloc(void* p, std::size_t n) {
  count();
  return __real_realloc(p, n);
}
void* __wrap_aligned_alloc(std::size_t align, std::size_t n) {
  count();
  return __real_aligned_alloc(align, n);
}
int __wrap_posix_memalign(void** p, std::size_t align, std::size_t n) {
  count();
  return __real_posix_memalign(p, align, n);
}
}

namespace {
using ein::Tensor;
constexpr ein::index_t inputs = 784, classes = 10;

Tensor<float, 2> random_matrix(ein::index_t rows, ein::index_t cols, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.f, 0.05f);
  Tensor<float, 2> t({rows, cols});
  for (ein::index_t i = 0; i < t.size(); ++i) t.data()[i] = normal(rng);
  return t;
}

/// The lecture's MLP 784-H-10 and its optimizer.
template <class Optimizer>
struct Mlp {
  ein::Var<float, 2> w1, w2;
  ein::Var<float, 1> b1, b2;
  Optimizer opt;

  template <class Options>
  Mlp(ein::index_t hidden, const Options& options)
      : w1(ein::param(random_matrix(hidden, inputs, 1))), w2(ein::param(random_matrix(classes, hidden, 2))),
        b1(ein::param(Tensor<float, 1>({hidden}))), b2(ein::param(Tensor<float, 1>({classes}))),
        opt({w1, b1, w2, b2}, options) {}

  /// One step on a mini-batch x [N, 784] with labels y; the loss.
  float step(const ein::Var<float, 2>& x, const std::vector<int>& y) {
    const auto h = ein::relu(ein::einsum<"ij,lj->li">(w1, x) + b1);  // (one fused layer)
    const auto o = ein::einsum<"ij,lj->li">(w2, h) + b2;
    const auto loss = ein::cross_entropy(o, y);
    opt.zero_grad();
    loss.backward();
    opt.step();
    return loss.value()();
  }
};

struct Batch {
  ein::Var<float, 2> x;
  std::vector<int> y;
};
Batch batch(ein::index_t n) {
  Batch b{ein::constant(random_matrix(n, inputs, 3)), std::vector<int>(static_cast<std::size_t>(n))};
  for (std::size_t r = 0; r < b.y.size(); ++r) b.y[r] = static_cast<int>(r % classes);
  return b;
}

/// Heap allocations made by `steps` calls of f.
template <class F>
long allocations_of(int steps, F&& f) {
  return ein::test::allocations_in([&] {
    for (int s = 0; s < steps; ++s) f();
  });
}
}  // namespace

TEST_CASE("a training step allocates nothing after its first (SGD with momentum, Adam)") {
  for (const ein::index_t hidden : {48, 256}) {
    for (const ein::index_t n : {32, 128}) {
      CAPTURE(hidden);
      CAPTURE(n);
      const Batch b = batch(n);
      Mlp<ein::optim::SGD> sgd(hidden, ein::optim::SGDOptions{.lr = 0.05f, .momentum = 0.9f});
      Mlp<ein::optim::Adam> adam(hidden, ein::optim::AdamOptions{.lr = 1e-3f});
      float first = 0, last = 0;
      first = sgd.step(b.x, b.y);  // warm-up: the pool takes each block from the system once
      CHECK(allocations_of(5, [&] { last = sgd.step(b.x, b.y); }) == 0);
      CHECK(last < first);  // (it trains)
      adam.step(b.x, b.y);
      CHECK(allocations_of(5, [&] { adam.step(b.x, b.y); }) == 0);
    }
  }
}

TEST_CASE("a changed batch size re-plans: the new sizes are cached, the old ones do not leak") {
  Mlp<ein::optim::SGD> mlp(64, ein::optim::SGDOptions{.lr = 0.05f, .momentum = 0.9f});
  const Batch full = batch(128), last = batch(80);  // an epoch's last, shorter batch
  mlp.step(full.x, full.y);
  const std::size_t in_use = ein::memory_pool_stats().in_use_bytes;  // parameters, momenta, batches
  mlp.step(last.x, last.y);
  CHECK(allocations_of(4, [&] {
          mlp.step(full.x, full.y);
          mlp.step(last.x, last.y);
        }) == 0);
  CHECK(ein::memory_pool_stats().in_use_bytes == in_use);

  // A new batch size every step: each costs the system allocations of its new
  // sizes, and the cache stays within twice the peak in use plus 16 MiB.
  for (ein::index_t n = 1; n <= 40; ++n) {
    const Batch b = batch(n);
    mlp.step(b.x, b.y);
  }
  const ein::MemoryPoolStats stats = ein::memory_pool_stats();
  CHECK(stats.in_use_bytes == in_use);
  CHECK(stats.cached_bytes <= 2 * stats.peak_in_use_bytes + (std::size_t(16) << 20));
}

TEST_CASE("the pool hands a freed block to the next request of its size, and back to the system on release") {
  ein::release_cached_memory();
  const ein::MemoryPoolStats empty = ein::memory_pool_stats();
  CHECK(empty.cached_bytes == 0);
  const float* first = nullptr;
  {
    const Tensor<float, 2> t({100, 10});  // 4000 bytes: 63 granules of 64
    first = t.data();
    CHECK(ein::memory_pool_stats().in_use_bytes == empty.in_use_bytes + 4032);
  }
  CHECK(ein::memory_pool_stats().cached_bytes == 4032);
  {
    const Tensor<float, 1> same({1000});  // the same bytes, another shape: the same block
    CHECK(same.data() == first);
    CHECK(ein::memory_pool_stats().system_allocations == empty.system_allocations + 1);
    CHECK(reinterpret_cast<std::uintptr_t>(same.data()) % 64 == 0);
    const Tensor<double, 1> other({1000});  // other bytes: a block of its own
    CHECK(ein::memory_pool_stats().system_allocations == empty.system_allocations + 2);
  }
  ein::release_cached_memory();
  CHECK(ein::memory_pool_stats().cached_bytes == 0);
  CHECK(ein::memory_pool_stats().in_use_bytes == empty.in_use_bytes);
}

TEST_CASE("past its bound, the cache lets the least recently used sizes go") {
  ein::release_cached_memory();
  const std::size_t peak = ein::memory_pool_stats().in_use_bytes + (std::size_t(1) << 20) + 64 * 64;
  const std::size_t bound = 2 * peak + (std::size_t(16) << 20);
  // 64 sizes of a little over 1 MiB, each used once: 64 MiB if all were kept.
  for (ein::index_t k = 0; k < 64; ++k) {
    const Tensor<float, 1> t({(ein::index_t(1) << 18) + 16 * k});
    CHECK(ein::memory_pool_stats().peak_in_use_bytes <= peak);
  }
  const ein::MemoryPoolStats after = ein::memory_pool_stats();
  CHECK(after.cached_bytes <= bound);
  CHECK(after.cached_bytes + (std::size_t(2) << 20) > bound);  // (full up to a block)
  {
    const Tensor<float, 1> recent({(ein::index_t(1) << 18) + 16 * 63});  // the last size is still cached
    CHECK(ein::memory_pool_stats().system_allocations == after.system_allocations);
    const Tensor<float, 1> oldest({ein::index_t(1) << 18});  // the first went back to the system
    CHECK(ein::memory_pool_stats().system_allocations == after.system_allocations + 1);
  }
  ein::release_cached_memory();
}
