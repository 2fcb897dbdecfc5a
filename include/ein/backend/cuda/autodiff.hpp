// ein::cuda's autodiff, nn ops and optimizers: cuda::Var and einsum on it,
// element-wise ops and reductions, softmax and losses, SGD and Adam, all on
// device tensors. Included by ein/cuda.hpp. Umbrella.
#pragma once

#include "ein/backend/cuda/autodiff/buffer.hpp"
#include "ein/backend/cuda/autodiff/einsum.hpp"
#include "ein/backend/cuda/autodiff/kernels.hpp"
#include "ein/backend/cuda/autodiff/ops.hpp"
#include "ein/backend/cuda/autodiff/var.hpp"
#include "ein/backend/cuda/nn/loss.hpp"
#include "ein/backend/cuda/nn/softmax.hpp"
#include "ein/backend/cuda/optim/parameter.hpp"
