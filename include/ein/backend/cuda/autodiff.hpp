// ein::cuda's autodiff: the CUDA device's side of ein's one training stack (Var on
// the device, einsum on it, labels on the device, the optimizers' update table),
// with ein/autodiff.hpp's ops, losses and optimizers, which take device Vars as
// they take host ones. Included by ein/cuda.hpp. Umbrella.
#pragma once

#include "ein/backend/cuda/autodiff/buffer.hpp"
#include "ein/backend/cuda/autodiff/einsum.hpp"
#include "ein/backend/cuda/autodiff/kernels.hpp"
#include "ein/backend/cuda/autodiff/var.hpp"
#include "ein/backend/cuda/nn/loss.hpp"
#include "ein/backend/cuda/optim/parameter.hpp"
