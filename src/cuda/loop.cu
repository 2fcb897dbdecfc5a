// The direct-loop and fill kernels and their host launchers (launch.hpp).
// Kernel bodies are the per-element functions of kernels.hpp, shared with the
// emulated-device test. Compiled by nvcc into ein::cuda; includes no Eigen.
#include "ein/backend/cuda/launch.hpp"

#include "ein/backend/cuda/error.hpp"

namespace ein::cuda::detail {
namespace {

// A launch reports a bad configuration only through cudaGetLastError.
void check_launch(const char* kernel) { check(cudaGetLastError(), kernel); }

template <class T>
__global__ void fill_kernel(T* p, index_t n, T value) {
  for (index_t i = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; i < n;
       i += static_cast<index_t>(gridDim.x) * blockDim.x)
    fill_element(p, i, value);
}

// 1. per_element: one thread per output element (grid-stride loop).
template <class T>
__global__ void __launch_bounds__(loop_block) loop_per_element(const LoopKernel k, const T* a, const T* b, T* out,
                                                                T alpha, T beta) {
  for (index_t o = blockIdx.x * static_cast<index_t>(blockDim.x) + threadIdx.x; o < k.outer_count;
       o += static_cast<index_t>(gridDim.x) * blockDim.x) {
    index_t oa, ob, oo;
    loop_outer_offsets(k, o, oa, ob, oo);
    loop_store(out, oo, loop_sum(k, a, b, oa, ob), alpha, beta);
  }
}

// 2. block_reduce: one block per output element, a shared-memory tree sum.
template <class T>
__global__ void __launch_bounds__(loop_block) loop_block_reduce(const LoopKernel k, const T* a, const T* b, T* out,
                                                                 T alpha, T beta) {
  __shared__ T partial[loop_block];
  for (index_t o = blockIdx.x; o < k.outer_count; o += gridDim.x) {
    index_t oa, ob, oo;
    loop_outer_offsets(k, o, oa, ob, oo);
    partial[threadIdx.x] = loop_partial_sum(k, a, b, oa, ob, threadIdx.x, loop_block);
    __syncthreads();
    for (int half = loop_block / 2; half > 0; half /= 2) {
      if (static_cast<int>(threadIdx.x) < half) partial[threadIdx.x] += partial[threadIdx.x + half];
      __syncthreads();
    }
    if (threadIdx.x == 0) loop_store(out, oo, partial[0], alpha, beta);
    __syncthreads();  // partial[] is rewritten for the next output element
  }
}

unsigned grid_for(index_t work) {
  const index_t blocks = (work + loop_block - 1) / loop_block;
  return static_cast<unsigned>(blocks < 65535 * 16 ? (blocks > 0 ? blocks : 1) : 65535 * 16);
}

template <class T>
void fill(T* p, index_t n, T value, cudaStream_t stream) {
  if (n == 0) return;
  fill_kernel<T><<<grid_for(n), loop_block, 0, stream>>>(p, n, value);
  check_launch("fill_kernel<<<...>>>");
}

template <class T>
void loop(const LoopKernel& k, const T* a, const T* b, T* out, T alpha, T beta, cudaStream_t stream) {
  if (k.outer_count == 0) return;
  if (choose_loop_kernel(k) == LoopVariant::block_reduce) {
    const unsigned blocks = static_cast<unsigned>(k.outer_count < 65535 * 16 ? k.outer_count : 65535 * 16);
    loop_block_reduce<T><<<blocks, loop_block, 0, stream>>>(k, a, b, out, alpha, beta);
    check_launch("loop_block_reduce<<<...>>>");
  } else {
    loop_per_element<T><<<grid_for(k.outer_count), loop_block, 0, stream>>>(k, a, b, out, alpha, beta);
    check_launch("loop_per_element<<<...>>>");
  }
}

}  // namespace

void launch_fill(float* p, index_t n, float value, cudaStream_t stream) { fill(p, n, value, stream); }
void launch_fill(double* p, index_t n, double value, cudaStream_t stream) { fill(p, n, value, stream); }

void launch_loop(const LoopKernel& k, const float* a, const float* b, float* out, float alpha, float beta,
                 cudaStream_t stream) {
  loop(k, a, b, out, alpha, beta, stream);
}
void launch_loop(const LoopKernel& k, const double* a, const double* b, double* out, double alpha, double beta,
                 cudaStream_t stream) {
  loop(k, a, b, out, alpha, beta, stream);
}

}  // namespace ein::cuda::detail
