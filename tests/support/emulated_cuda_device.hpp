// A CPU stand-in for CublasDevice (backend/cuda/blas.hpp): the calls DeviceBackend
// (backend/cuda/device_backend.hpp) makes, each cuBLAS call run by a reference
// column-major strided-batched GEMM and each kernel by a host loop over the kernels'
// own per-element functions (backend/cuda/kernels.hpp). Every element address it
// touches is checked to lie inside a live buffer (add_range, or its own
// allocations), so a wrong leading dimension or batch stride fails a test as it
// would corrupt memory on a GPU. Needs no GPU and no CUDA toolkit.
#pragma once

#include <doctest/doctest.h>

#include <algorithm>
#include <limits>
#include <memory>
#include <string_view>
#include <vector>

#include "counting_device.hpp"
#include "ein/backend/cuda/device_backend.hpp"

namespace ein::test {

/// A CPU stand-in for CublasDevice: same calls, reference arithmetic, bounds checked.
template <class T>
class EmulatedDevice {
  using GemmCall = ein::cuda::detail::GemmCall;
  using LoopKernel = ein::cuda::detail::LoopKernel;

 public:
  struct Counts {
    int gemm_calls = 0, loop_calls = 0, block_reduce_calls = 0, allocations = 0;
  };

  void add_range(const T* begin, index_t count) { ranges_.push_back({begin, count}); }

  T* allocate(std::size_t bytes) {
    ++counts.allocations;
    const std::size_t n = bytes / sizeof(T);
    // NaN-filled: a temporary read before it is written shows up in the result.
    blocks_.push_back(std::make_unique<T[]>(n));
    for (std::size_t i = 0; i < n; ++i) blocks_.back()[i] = std::numeric_limits<T>::quiet_NaN();
    add_range(blocks_.back().get(), static_cast<index_t>(n));
    return blocks_.back().get();
  }
  void deallocate(T* p, std::size_t) {
    for (auto& r : ranges_)
      if (r.begin == p) r.count = 0;  // later use is out of range
  }

  void loop(const LoopKernel& k, const T* a, const T* b, T* out, T alpha, T beta) {
    using namespace ein::cuda::detail;
    ++counts.loop_calls;
    check_loop(k, a, b, out);
    if (choose_loop_kernel(k) == LoopVariant::block_reduce) {
      ++counts.block_reduce_calls;
      std::vector<T> partial(loop_block);
      for (index_t o = 0; o < k.outer_count; ++o) {
        index_t oa, ob, oo;
        loop_outer_offsets(k, o, oa, ob, oo);
        for (int t = 0; t < loop_block; ++t) partial[t] = loop_partial_sum(k, a, b, oa, ob, t, loop_block);
        for (int half = loop_block / 2; half > 0; half /= 2)
          for (int t = 0; t < half; ++t) partial[t] += partial[t + half];
        loop_store(out, oo, partial[0], alpha, beta);
      }
    } else {
      for (index_t o = 0; o < k.outer_count; ++o) {
        index_t oa, ob, oo;
        loop_outer_offsets(k, o, oa, ob, oo);
        loop_store(out, oo, loop_sum(k, a, b, oa, ob), alpha, beta);
      }
    }
  }

  // cuBLAS: C[i + j*ldc] = alpha * sum_l op(X)(i, l) op(Y)(l, j) + beta * C (C not read when beta is 0).
  void gemm(const GemmCall& c, T alpha, const T* x, const T* y, T beta, T* out) {
    ++counts.gemm_calls;
    calls.push_back(c);
    REQUIRE(c.m > 0);
    REQUIRE(c.n > 0);
    REQUIRE(c.ld_first >= std::max<index_t>(1, c.trans_first ? c.k : c.m));
    REQUIRE(c.ld_second >= std::max<index_t>(1, c.trans_second ? c.n : c.k));
    REQUIRE(c.ldc >= std::max<index_t>(1, c.m));
    for (index_t p = 0; p < c.batch; ++p) {
      const T* X = x + p * c.stride_first;
      const T* Y = y + p * c.stride_second;
      T* C = out + p * c.stride_c;
      for (index_t j = 0; j < c.n; ++j)
        for (index_t i = 0; i < c.m; ++i) {
          T acc = T(0);
          for (index_t l = 0; l < c.k; ++l) {
            const T* xe = c.trans_first ? X + l + i * c.ld_first : X + i + l * c.ld_first;
            const T* ye = c.trans_second ? Y + j + l * c.ld_second : Y + l + j * c.ld_second;
            check(xe);
            check(ye);
            acc += *xe * *ye;
          }
          T* ce = C + i + j * c.ldc;
          check(ce);
          *ce = beta == T(0) ? alpha * acc : alpha * acc + beta * *ce;
        }
    }
  }

  Counts counts;
  std::vector<GemmCall> calls;

 private:
  struct Range {
    const T* begin;
    index_t count;
  };
  void check(const T* p) const {
    for (const Range& r : ranges_)
      if (p >= r.begin && p < r.begin + r.count) return;
    FAIL("emulated device: an access outside every live buffer");
  }
  // Every corner of the loop's index space is inside a buffer.
  void check_loop(const LoopKernel& k, const T* a, const T* b, T* out) const {
    if (k.outer_count == 0) return;
    for (index_t o : {index_t(0), k.outer_count - 1}) {
      index_t oa, ob, oo;
      ein::cuda::detail::loop_outer_offsets(k, o, oa, ob, oo);
      check(out + oo);
      if (k.inner_count == 0) continue;
      for (index_t s : {index_t(0), k.inner_count - 1}) {
        index_t ia, ib;
        ein::cuda::detail::loop_inner_offsets(k, s, ia, ib);
        check(a + oa + ia);
        if (b) check(b + ob + ib);
      }
    }
  }
  std::vector<Range> ranges_;
  std::vector<std::unique_ptr<T[]>> blocks_;
};

/// The CUDA device's lowering (DeviceBackend: GEMM layouts, kernel choices, its own
/// temporaries) on the emulated device, with every tensor of the call a live buffer.
struct EmulatedLowering {
  template <class T, class F, class... On>
  static void lowered(std::string_view, F&& f, const On&... on) {
    EmulatedDevice<T> device;
    (device.add_range(on.data(), on.size()), ...);
    ein::cuda::detail::DeviceBackend<T, EmulatedDevice<T>> be(device);
    f(be);
  }
};
/// The counting device with the CUDA device's einsum lowering: einsum on its tensors
/// and Vars runs as on a GPU, on the CPU.
using EmulatedCuda = CountingDevice<EmulatedLowering>;

}  // namespace ein::test
