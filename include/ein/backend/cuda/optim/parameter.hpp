// The CUDA device's side of ein::optim: how a Parameter reaches an ein::cuda::Var
// (ParameterTraits) and the device's update table (state buffers as device tensors,
// the SGD and Adam kernels on the Var's stream). The optimizers themselves are
// ein::optim's, written once for every device; ein::cuda::optim names them too.
// Layer: backend (cuda), optim.
#pragma once

#include <memory>

#include "ein/backend/cuda/autodiff/kernels.hpp"
#include "ein/backend/cuda/autodiff/var.hpp"
#include "ein/backend/cuda/context.hpp"
#include "ein/backend/cuda/error.hpp"
#include "ein/optim/adam.hpp"
#include "ein/optim/parameter.hpp"
#include "ein/optim/sgd.hpp"

namespace ein::cuda::detail {

template <class T>
std::shared_ptr<T> device_zeros(void* context, index_t n) {
  auto t = std::make_shared<Tensor<T, 1>>(Extents<1>{n}, *static_cast<Context*>(context));
  return std::shared_ptr<T>(t, t->data());  // (the tensor lives as long as the pointer)
}
template <class T>
void device_sgd(void* context, index_t n, T* p, const T* g, T* b, const math::SgdArgs<T>& args) {
  kernels::sgd_step(static_cast<Context*>(context)->stream(), n, p, g, b, args);
}
template <class T>
void device_adam(void* context, index_t n, T* p, const T* g, T* m, T* v, T* v_max, const math::AdamArgs<T>& args) {
  kernels::adam_step(static_cast<Context*>(context)->stream(), n, p, g, m, v, v_max, args);
}
template <class T>
void device_to_host(void* context, index_t n, const T* from, T* host) {
  if (n == 0) return;
  const Context& c = *static_cast<Context*>(context);
  EIN_CUDA_CHECK(cudaMemcpyAsync(host, from, std::size_t(n) * sizeof(T), cudaMemcpyDeviceToHost, c.stream()));
  c.synchronize();
}
template <class T>
void device_from_host(void* context, index_t n, const T* host, T* to) {
  if (n == 0) return;
  const Context& c = *static_cast<Context*>(context);
  EIN_CUDA_CHECK(cudaMemcpyAsync(to, host, std::size_t(n) * sizeof(T), cudaMemcpyHostToDevice, c.stream()));
  c.synchronize();
}
template <class T>
inline constexpr ein::optim::UpdateDevice<T> update_device{&device_zeros<T>, &device_sgd<T>, &device_adam<T>,
                                                           &device_to_host<T>, &device_from_host<T>};

}  // namespace ein::cuda::detail

namespace ein::optim {

/// A device Var: its elements and gradient on the device, its context's stream.
template <class T, std::size_t R>
struct ParameterTraits<cuda::Var<T, R>> {
  using element_type = T;
  static Access<T> access(ein::detail::Node& n) {
    auto& node = static_cast<ein::detail::NodeOf<T, R, cuda::Device>&>(n);
    return {node.mutable_value().data(), node.has_grad() ? node.grad().data() : nullptr, node.value().size(),
            &cuda::detail::update_device<T>, &node.value().context(), node.value().extents()};
  }
};

}  // namespace ein::optim

namespace ein::cuda::optim {

using ein::optim::Adam;
using ein::optim::AdamOptions;
using ein::optim::Parameter;
using ein::optim::SGD;
using ein::optim::SGDOptions;

}  // namespace ein::cuda::optim
