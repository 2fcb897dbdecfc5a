// ein::cuda::einsum on ein::cuda::Vars: ein::einsum's, which records one tape
// node on any device (autodiff/einsum.hpp), the forward and each gradient einsum
// run by the device's table (cuBLAS at FP32, ein's kernels). Layer: backend (cuda), autodiff.
#pragma once

#include "ein/autodiff/einsum.hpp"
#include "ein/backend/cuda/autodiff/var.hpp"

namespace ein::cuda {

/// `ein::cuda::einsum<"ij,lj->li">(W1, X)` on device Vars: the same as ein::einsum.
template <fixed_string S, DeviceVarType... Ops>
auto einsum(const Ops&... ops) {
  return ein::einsum<S>(ops...);
}

}  // namespace ein::cuda
