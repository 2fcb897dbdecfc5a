// ein::cuda::Var<T, R>: ein::Var on the CUDA device (ein::Var<T, R, ein::cuda::Device>),
// with the leaves that copy a host tensor to the device. Every op, loss and
// optimizer of ein takes it as it takes a host Var; ein::cuda::einsum records its
// einsums. Layer: backend (cuda), autodiff.
#pragma once

#include <type_traits>

#include "ein/autodiff/var.hpp"
#include "ein/backend/cuda/device.hpp"

namespace ein::cuda {

template <class T, std::size_t R>
using Var = ein::Var<T, R, Device>;

/// A leaf that requires a gradient, holding a device tensor.
template <class T, std::size_t R>
Var<T, R> param(Tensor<T, R> value) {
  return ein::param(std::move(value));
}
/// A leaf that requires a gradient, holding a device copy of a host tensor.
template <class T, std::size_t R>
Var<T, R> param(const ein::Tensor<T, R>& host, Context& ctx = Context::current()) {
  return ein::param(Tensor<T, R>::from_host(host, ctx));
}
/// A leaf that does not require a gradient.
template <class T, std::size_t R>
Var<T, R> constant(Tensor<T, R> value) {
  return ein::constant(std::move(value));
}
/// A leaf that does not require a gradient, holding a device copy of a host tensor.
template <class T, std::size_t R>
Var<T, R> constant(const ein::Tensor<T, R>& host, Context& ctx = Context::current()) {
  return ein::constant(Tensor<T, R>::from_host(host, ctx));
}

/// An ein::cuda::Var of any element type and rank.
template <class X>
concept DeviceVarType = VarType<X> && std::is_same_v<typename std::remove_cvref_t<X>::device_type, Device>;

}  // namespace ein::cuda
