// ein's GPU backend, opt-in (target ein::cuda): device tensors and contexts,
// einsum on device tensors lowered to cuBLAS and CUDA kernels. Host code that
// includes this compiles with the host compiler; nvcc is only for ein's own
// kernels (src/cuda). ein/ein.hpp never includes it.
#pragma once

#include "ein/backend/cuda/context.hpp"
#include "ein/backend/cuda/error.hpp"
#include "ein/backend/cuda/tensor.hpp"
#include "ein/backend/cuda/einsum.hpp"
#include "ein/backend/cuda/precision.hpp"
#include "ein/autodiff.hpp"
#include "ein/backend/cuda/autodiff.hpp"
