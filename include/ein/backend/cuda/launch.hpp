// The host launchers of ein's CUDA kernels (src/cuda/*.cu, library ein::cuda).
// Plain functions on POD descriptors: the .cu files never see ein's templates,
// and code that calls these needs no nvcc. Layer: backend (cuda).
#pragma once

#include <cuda_runtime.h>

#include "ein/backend/cuda/kernels.hpp"

namespace ein::cuda::detail {

/// p[0, n) = value.
void launch_fill(float* p, index_t n, float value, cudaStream_t stream);
void launch_fill(double* p, index_t n, double value, cudaStream_t stream);

/// out = alpha * contract(a [, b]) + beta * out as LoopKernel describes it
/// (lower/loop_nest.hpp semantics); b may be null. Picks the per-element or the
/// block-reduction kernel (choose_loop_kernel).
void launch_loop(const LoopKernel& k, const float* a, const float* b, float* out, float alpha, float beta,
                 cudaStream_t stream);
void launch_loop(const LoopKernel& k, const double* a, const double* b, double* out, double alpha, double beta,
                 cudaStream_t stream);

}  // namespace ein::cuda::detail
