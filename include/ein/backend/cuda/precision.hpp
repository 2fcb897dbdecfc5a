// Precision: how float GEMM steps use the tensor cores, in the spirit of JAX's
// `precision` argument. Layer: backend (cuda).
#pragma once

namespace ein::cuda {

/// The arithmetic of the GEMM steps of a float einsum (double is always FP64;
/// element-wise kernels, reductions and permutations are always exact FP32/FP64):
///   fp32  FP32 inputs, FP32 accumulation (CUBLAS_COMPUTE_32F), the default;
///   tf32  inputs rounded to TF32 (10-bit mantissa), FP32 accumulation
///         (CUBLAS_COMPUTE_32F_FAST_TF32);
///   bf16  inputs rounded to BF16 (7-bit mantissa), FP32 accumulation
///         (CUBLAS_COMPUTE_32F_FAST_16BF). Tensors stay float in memory.
enum class Precision : unsigned char { fp32, tf32, bf16 };

inline const char* to_string(Precision p) {
  switch (p) {
    case Precision::fp32: return "fp32";
    case Precision::tf32: return "tf32";
    case Precision::bf16: return "bf16";
  }
  return "?";
}

namespace detail {
/// The GEMM precision of this thread's device einsums: fp32 but inside a
/// PrecisionScope (ein::cuda::einsum's precision argument).
inline Precision& thread_precision() {
  thread_local Precision precision = Precision::fp32;
  return precision;
}
class PrecisionScope {
 public:
  explicit PrecisionScope(Precision p) : saved_(thread_precision()) { thread_precision() = p; }
  PrecisionScope(const PrecisionScope&) = delete;
  PrecisionScope& operator=(const PrecisionScope&) = delete;
  ~PrecisionScope() { thread_precision() = saved_; }

 private:
  Precision saved_;
};
}  // namespace detail

}  // namespace ein::cuda
