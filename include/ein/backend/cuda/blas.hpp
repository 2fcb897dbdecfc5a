// CublasDevice: the Device policy of DeviceBackend on a real GPU. Temporaries
// come from the context's block cache, GEMM calls go to cuBLAS, loop steps to
// the kernels of src/cuda/loop.cu, all on the context's stream. Layer: backend (cuda).
#pragma once

#include <climits>
#include <cstddef>
#include <string>
#include <type_traits>

#include "ein/backend/cuda/context.hpp"
#include "ein/backend/cuda/device_backend.hpp"
#include "ein/backend/cuda/launch.hpp"
#include "ein/backend/cuda/precision.hpp"

namespace ein::cuda::detail {

template <class T>
class CublasDevice {
 public:
  CublasDevice(Context& ctx, Precision precision) : ctx_(ctx), precision_(precision) {}

  T* allocate(std::size_t bytes) { return static_cast<T*>(ctx_.cache().acquire(bytes)); }
  void deallocate(T* p, std::size_t bytes) { ctx_.cache().release(p, bytes); }

  void loop(const LoopKernel& k, const T* a, const T* b, T* out, T alpha, T beta) {
    launch_loop(k, a, b, out, alpha, beta, ctx_.stream());
  }

  void gemm(const GemmCall& c, T alpha, const T* x, const T* y, T beta, T* out) {
    const cublasOperation_t op_x = c.trans_first ? CUBLAS_OP_T : CUBLAS_OP_N;
    const cublasOperation_t op_y = c.trans_second ? CUBLAS_OP_T : CUBLAS_OP_N;
    const int m = narrow(c.m), n = narrow(c.n), k = narrow(c.k);
    const int ldx = narrow(c.ld_first), ldy = narrow(c.ld_second), ldc = narrow(c.ldc);
    const cudaDataType_t type = std::is_same_v<T, double> ? CUDA_R_64F : CUDA_R_32F;
    const cublasComputeType_t compute = compute_type();
    if (c.batch == 1) {
      EIN_CUDA_CHECK(cublasGemmEx(ctx_.blas(), op_x, op_y, m, n, k, &alpha, x, type, ldx, y, type, ldy, &beta, out,
                                  type, ldc, compute, CUBLAS_GEMM_DEFAULT));
    } else {
      EIN_CUDA_CHECK(cublasGemmStridedBatchedEx(ctx_.blas(), op_x, op_y, m, n, k, &alpha, x, type, ldx,
                                                c.stride_first, y, type, ldy, c.stride_second, &beta, out, type, ldc,
                                                c.stride_c, narrow(c.batch), compute, CUBLAS_GEMM_DEFAULT));
    }
  }

 private:
  cublasComputeType_t compute_type() const {
    if constexpr (std::is_same_v<T, double>) {
      return CUBLAS_COMPUTE_64F;
    } else {
      switch (precision_) {
        case Precision::tf32: return CUBLAS_COMPUTE_32F_FAST_TF32;
        case Precision::bf16: return CUBLAS_COMPUTE_32F_FAST_16BF;
        case Precision::fp32: break;
      }
      return CUBLAS_COMPUTE_32F;
    }
  }
  // cuBLAS's 32-bit interface: extents, leading dimensions and batch counts are int.
  static int narrow(index_t v) {
    if (v > INT_MAX) throw cuda_error("ein::cuda: a GEMM dimension of " + std::to_string(v) + " exceeds cuBLAS's int");
    return static_cast<int>(v);
  }

  Context& ctx_;
  Precision precision_;
};

}  // namespace ein::cuda::detail
