// ein::cuda::einsum<"spec">(tensors...): ein::einsum on device tensors
// (expr/device_einsum.hpp: the compile-time spec checks and the plan of the host,
// run by DeviceBackend on cuBLAS and ein's kernels) evaluated at once, with a
// choice of GEMM precision. Returns a cuda::Tensor once the work is queued on the
// first operand's stream (nothing waits for it). einsum_into writes
// dest = alpha * einsum + beta * dest. Layer: backend (cuda).
#pragma once

#include <type_traits>

#include "ein/backend/cuda/device.hpp"
#include "ein/backend/cuda/precision.hpp"
#include "ein/backend/cuda/tensor.hpp"
#include "ein/expr/einsum.hpp"

namespace ein::cuda {

/// How an einsum runs: GEMM precision, and for einsum_into the scales of
/// dest = alpha * einsum + beta * dest (converted to the element type).
struct Options {
  Precision precision = Precision::fp32;
  double alpha = 1.0;
  double beta = 0.0;
};

namespace detail {
template <class X>
concept DeviceTensor = std::is_same_v<ein::detail::device_of_t<X>, Device>;
}  // namespace detail

/// einsum on device tensors, evaluated now: `cuda::Tensor<float, 2> C = cuda::einsum<"ij,jk->ik">(A, B);`
/// (ein::einsum<S>(A, B) is the same, lazy.) Runs on the first operand's context; the result lives there.
template <fixed_string S, detail::DeviceTensor... Ops>
auto einsum(const Options& options, const Ops&... ops) {
  const detail::PrecisionScope scope(options.precision);
  auto e = ein::einsum<S>(ops...);
  if constexpr (std::is_same_v<decltype(e), ein::detail::DiagnosedEinsum>) return e;
  else return e.eval();
}
template <fixed_string S, detail::DeviceTensor... Ops>
auto einsum(const Ops&... ops) {
  return einsum<S>(Options{}, ops...);
}
template <fixed_string S, detail::DeviceTensor... Ops>
auto einsum(Precision precision, const Ops&... ops) {
  return einsum<S>(Options{precision}, ops...);
}

/// dest = options.alpha * einsum(ops) + options.beta * dest; dest must have the
/// result's extents (else ein::shape_error). With beta = 1 it accumulates (gradients).
/// dest may be one of the operands (then a temporary is used).
template <fixed_string S, class T, std::size_t RD, detail::DeviceTensor... Ops>
void einsum_into(Tensor<T, RD>& dest, const Options& options, const Ops&... ops) {
  const detail::PrecisionScope scope(options.precision);
  auto e = ein::einsum<S>(ops...);
  if constexpr (!std::is_same_v<decltype(e), ein::detail::DiagnosedEinsum>) {
    static_assert(std::is_same_v<typename decltype(e)::value_type, T>,
                  "einsum_into: all operands and the destination must have the same element type");
    static_assert(decltype(e)::rank == RD, "einsum_into: the destination's rank differs from the spec's output");
    if constexpr (std::is_same_v<typename decltype(e)::value_type, T> && decltype(e)::rank == RD)
      e.evaluate_into(dest, static_cast<T>(options.alpha), static_cast<T>(options.beta));
  }
}
template <fixed_string S, class T, std::size_t RD, detail::DeviceTensor... Ops>
void einsum_into(Tensor<T, RD>& dest, const Ops&... ops) {
  einsum_into<S>(dest, Options{}, ops...);
}

}  // namespace ein::cuda
