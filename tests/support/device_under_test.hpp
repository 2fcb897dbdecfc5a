// The device a test suite runs on: the host, or, where EIN_TEST_ON_EMULATED_CUDA is
// defined, the emulated CUDA device (emulated_cuda_device.hpp: the counting device's
// table with the GPU's einsum lowering on reference cuBLAS and kernels). The autodiff,
// nn and optim suites are written once against ein::test::Device and built both ways
// (tests/autodiff/CMakeLists.txt). ein::test::Var, param and constant make Vars there
// from host tensors.
#pragma once

#include <cstddef>
#include <type_traits>
#include <utility>

#include "counting_device.hpp"
#ifdef EIN_TEST_ON_EMULATED_CUDA
#include "emulated_cuda_device.hpp"
#endif

namespace ein::test {

#ifdef EIN_TEST_ON_EMULATED_CUDA
using Device = EmulatedCuda;
#else
using Device = ein::Host;
#endif
inline constexpr bool on_host = std::is_same_v<Device, ein::Host>;

/// A Var of the device under test.
template <class T, std::size_t R>
using Var = ein::Var<T, R, Device>;
/// A leaf of the device under test holding `value`'s elements: one that requires a gradient.
template <class T, std::size_t R>
Var<T, R> param(ein::Tensor<T, R> value) {
  return ein::param(ein::Tensor<T, R, Device>(std::move(value)));
}
/// ... and one that does not.
template <class T, std::size_t R>
Var<T, R> constant(ein::Tensor<T, R> value) {
  return ein::constant(ein::Tensor<T, R, Device>(std::move(value)));
}

}  // namespace ein::test
