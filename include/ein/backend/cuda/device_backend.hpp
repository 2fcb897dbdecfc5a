// DeviceBackend: the Backend of the lowering (lower/pairwise.hpp) for memory the host
// does not read. It turns each step into POD work (LoopKernel, GemmCall) and
// hands it to a Device policy:
//   T*   allocate(std::size_t bytes)            a stream-ordered temporary
//   void deallocate(T*, std::size_t bytes)      gives it back (stream-ordered)
//   void loop(kernel, a, b_or_null, out, alpha, beta)
//   void gemm(call, alpha, first, second, beta, c)   one strided-batched GEMM
// CublasDevice (blas.hpp) runs them on a GPU; the emulated-device test runs
// them on the CPU. No CUDA here. Layer: backend (cuda).
#pragma once

#include <cstddef>
#include <vector>

#include "ein/backend/cuda/gemm_mapping.hpp"
#include "ein/backend/cuda/kernels.hpp"
#include "ein/plan/label_set.hpp"
#include "ein/tensor/strided.hpp"

namespace ein::cuda::detail {

using ein::detail::ix;
using ein::detail::Strided;

/// The LoopKernel of out = alpha * contract(a [, b]) + beta * out (lower/loop_nest.hpp).
template <class T>
LoopKernel make_loop_kernel(const Strided<const T>& a, const Strided<const T>* b, const Strided<T>& out) {
  LoopKernel k;
  k.has_b = b != nullptr;
  ein::LabelSet in_labels, out_labels;
  for (int d = 0; d < a.rank; ++d) in_labels.add(a.labels[ix(d)]);
  if (b)
    for (int d = 0; d < b->rank; ++d) in_labels.add(b->labels[ix(d)]);
  for (int d = 0; d < out.rank; ++d) {
    const int l = out.labels[ix(d)];
    out_labels.add(l);
    const std::size_t o = ix(k.n_outer++);
    k.outer_extent[o] = out.extents[ix(d)];
    k.outer_sa[o] = a.stride_of(l);
    k.outer_sb[o] = b ? b->stride_of(l) : 0;
    k.outer_so[o] = out.strides[ix(d)];
    k.outer_count *= out.extents[ix(d)];
  }
  (in_labels - out_labels).for_each([&](int l) {
    const int da = a.axis_of(l);
    const index_t extent = da >= 0 ? a.extents[ix(da)] : b->extents[ix(b->axis_of(l))];
    const std::size_t i = ix(k.n_inner++);
    k.inner_extent[i] = extent;
    k.inner_sa[i] = a.stride_of(l);
    k.inner_sb[i] = b ? b->stride_of(l) : 0;
    k.inner_count *= extent;
  });
  return k;
}

template <class T, class Device>
class DeviceBackend {
 public:
  explicit DeviceBackend(Device& device) : device_(device) {}
  DeviceBackend(const DeviceBackend&) = delete;
  DeviceBackend& operator=(const DeviceBackend&) = delete;
  // Temporaries go back when the evaluation ends; work still queued on the stream
  // that reads them runs before any later use (stream order).
  ~DeviceBackend() {
    for (const Block& b : blocks_) device_.deallocate(b.data, b.bytes);
  }

  Strided<T> dense(const unsigned char* labels, int rank, const index_t* label_extent) {
    index_t size = 0;
    Strided<T> s = ein::detail::dense_layout<T>(labels, rank, label_extent, size);
    if (size > 0) {
      const std::size_t bytes = static_cast<std::size_t>(size) * sizeof(T);
      blocks_.reserve(4);
      s.data = device_.allocate(bytes);
      blocks_.push_back({s.data, bytes});
    }
    return s;
  }
  void loop(const Strided<const T>& a, const Strided<const T>* b, const Strided<T>& out, T alpha, T beta) {
    const LoopKernel k = make_loop_kernel<T>(a, b, out);
    if (k.outer_count == 0) return;
    device_.loop(k, a.data, b ? b->data : nullptr, out.data, alpha, beta);
  }
  void gemm(T alpha, const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb, T beta, T* c,
            const MatrixLayout& lc, const BatchLoop& batch) {
    const GemmLaunch g = map_gemm(la, lb, lc, batch);
    if (g.call.m == 0 || g.call.n == 0 || g.call.batch == 0) return;
    for_each_gemm(g, [&](index_t oa, index_t ob, index_t oc) {
      const T* pa = a + oa;
      const T* pb = b + ob;
      device_.gemm(g.call, alpha, g.call.swapped ? pb : pa, g.call.swapped ? pa : pb, beta, c + oc);
    });
  }

 private:
  struct Block {
    T* data;
    std::size_t bytes;
  };
  Device& device_;
  std::vector<Block> blocks_;
};

}  // namespace ein::cuda::detail
