// cuda_error, and check(): CUDA runtime and cuBLAS statuses turned into
// exceptions that name the call and the status. Layer: backend (cuda).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <stdexcept>
#include <string>

namespace ein::cuda {

/// A failed CUDA runtime or cuBLAS call: `what()` reads
/// `cudaMallocAsync(&p, bytes, s): out of memory (cudaErrorMemoryAllocation)`.
class cuda_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

namespace detail {
inline const char* cublas_status_name(cublasStatus_t s) {
  switch (s) {
    case CUBLAS_STATUS_SUCCESS: return "CUBLAS_STATUS_SUCCESS";
    case CUBLAS_STATUS_NOT_INITIALIZED: return "CUBLAS_STATUS_NOT_INITIALIZED";
    case CUBLAS_STATUS_ALLOC_FAILED: return "CUBLAS_STATUS_ALLOC_FAILED";
    case CUBLAS_STATUS_INVALID_VALUE: return "CUBLAS_STATUS_INVALID_VALUE";
    case CUBLAS_STATUS_ARCH_MISMATCH: return "CUBLAS_STATUS_ARCH_MISMATCH";
    case CUBLAS_STATUS_MAPPING_ERROR: return "CUBLAS_STATUS_MAPPING_ERROR";
    case CUBLAS_STATUS_EXECUTION_FAILED: return "CUBLAS_STATUS_EXECUTION_FAILED";
    case CUBLAS_STATUS_INTERNAL_ERROR: return "CUBLAS_STATUS_INTERNAL_ERROR";
    case CUBLAS_STATUS_NOT_SUPPORTED: return "CUBLAS_STATUS_NOT_SUPPORTED";
    case CUBLAS_STATUS_LICENSE_ERROR: return "CUBLAS_STATUS_LICENSE_ERROR";
    default: return "unknown cuBLAS status";
  }
}
}  // namespace detail

/// Throws cuda_error unless `status` is cudaSuccess; `call` is the call's source text.
inline void check(cudaError_t status, const char* call) {
  if (status == cudaSuccess) return;
  throw cuda_error(std::string(call) + ": " + cudaGetErrorString(status) + " (" + cudaGetErrorName(status) + ")");
}

/// Throws cuda_error unless `status` is CUBLAS_STATUS_SUCCESS.
inline void check(cublasStatus_t status, const char* call) {
  if (status == CUBLAS_STATUS_SUCCESS) return;
  throw cuda_error(std::string(call) + ": " + detail::cublas_status_name(status));
}

}  // namespace ein::cuda

/// Checks a CUDA runtime or cuBLAS call: EIN_CUDA_CHECK(cudaMemsetAsync(p, 0, n, s));
#define EIN_CUDA_CHECK(call) ::ein::cuda::check((call), #call)
