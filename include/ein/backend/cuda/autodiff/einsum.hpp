// einsum on ein::cuda::Vars: one device tape node per einsum, as the CPU's
// (include/ein/autodiff/einsum.hpp). The forward and, for each operand that
// requires a gradient, the gradient einsum derived at compile time
// (spec/derive.hpp) run through the shared lowering (execute_on) on
// DeviceBackend with cuBLAS, the gradient accumulated in place (beta = 1).
// GEMM steps run at FP32 (Precision::fp32). Layer: backend (cuda), autodiff.
#pragma once

#include <array>
#include <memory>
#include <tuple>
#include <utility>

#include "ein/autodiff/einsum.hpp"
#include "ein/backend/cuda/autodiff/gradient.hpp"
#include "ein/backend/cuda/autodiff/var.hpp"
#include "ein/backend/cuda/blas.hpp"
#include "ein/expr/contraction.hpp"
#include "ein/expr/einsum.hpp"
#include "ein/spec/diagnose.hpp"

namespace ein::cuda {
namespace detail {

/// dest = alpha * einsum(ops) + beta * dest on ctx's GPU.
template <class T>
void execute_on_device(Context& ctx, const BoundSpec& spec, std::string_view text,
                       const ein::detail::Strided<const T>* ops, int n, const ein::detail::Strided<T>& dest, T alpha,
                       T beta) {
  CublasDevice<T> device(ctx, Precision::fp32);
  DeviceBackend<T, CublasDevice<T>> be(device);
  ein::detail::execute_on<T>(be, spec, text, ops, n, dest, alpha, beta);
}

}  // namespace detail

/// einsum of device Vars (all on one context): evaluates now on the GPU and
/// records one tape node whose rule runs each operand's gradient einsum.
/// `ein::cuda::einsum<"ij,lj->li">(W1, X)`; the spec is checked at compile time.
template <fixed_string S, DeviceVarType... Ops>
auto einsum(const Ops&... ops) {
  using T = typename std::tuple_element_t<0, std::tuple<Ops...>>::value_type;
  static_assert((std::is_same_v<T, typename Ops::value_type> && ...),
                "einsum: all operands must have the same element type");
  using Source = ein::detail::StaticSpec<S, static_cast<int>(Ops::var_rank)...>;
  if constexpr (Source::value.error.failed()) {
    diagnostic::report<S, Source::value.error>();
    return ein::detail::DiagnosedEinsum{};
  } else {
    constexpr std::size_t R = Source::value.output.rank;
    constexpr std::size_t N = sizeof...(Ops);
    Context& ctx = std::get<0>(std::tie(ops...)).context();
    const std::array<ein::detail::Strided<const T>, N> values = [&] {
      int k = 0;
      return std::array<ein::detail::Strided<const T>, N>{
          detail::labelled_dense<const T>(ops.value().data(), ops.extents(), Source::value.inputs[k++])...};
    }();
    std::array<index_t, max_labels> label_extent{};
    ein::detail::resolve_extents(Source::value, S.view(), values.data(), static_cast<int>(N), label_extent.data());
    Extents<R> extents{};
    for (std::size_t d = 0; d < R; ++d) extents[d] = label_extent[Source::value.output.labels[d]];
    Tensor<T, R> value(extents, ctx);
    detail::execute_on_device<T>(ctx, Source::value, S.view(), values.data(), static_cast<int>(N),
                                 detail::labelled_dense<T>(value.data(), extents, Source::value.output), T(1), T(0));

    using Grads = ein::detail::GradientSpecs<Source, std::make_index_sequence<N>>;  // (the host einsum's)
    auto rule = [](ein::detail::NodeOf<T, R, Device>& self, auto&... in) {
      const std::array<ein::detail::Strided<const T>, N> values = [&] {
        int k = 0;
        return std::array<ein::detail::Strided<const T>, N>{detail::labelled_dense<const T>(
            in.value().data(), in.value().extents(), Source::value.inputs[k++])...};
      }();
      const auto seed = detail::labelled_dense<const T>(self.grad().data(), self.value().extents(), Source::value.output);
      Context& context = self.value().context();
      detail::CublasDevice<T> device(context, Precision::fp32);
      detail::DeviceBackend<T, detail::CublasDevice<T>> be(device);
      const auto inputs = std::forward_as_tuple(in...);
      const auto one = [&]<std::size_t K>(std::integral_constant<std::size_t, K>) {
        auto& node = std::get<K>(inputs);
        if (!node.requires_grad()) return;
        const auto grad_k =
            detail::labelled_dense<T>(node.grad().data(), node.value().extents(), Source::value.inputs[K]);
        detail::accumulate_gradient_on<T>(be, Source::value, Grads::of[K], S.view(), static_cast<int>(K),
                                          values.data(), seed, grad_k);
      };
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        (one(std::integral_constant<std::size_t, K>{}), ...);
      }(std::make_index_sequence<N>{});
    };
    return ein::detail::record<T, R>(std::move(value), std::move(rule), ops.node()...);
  }
}

/// ein::einsum of CUDA Vars lands here (autodiff/einsum.hpp), so a model written
/// with ein::einsum runs on either device.
template <fixed_string S, DeviceVarType... Ops>
auto device_einsum(Device, const Ops&... ops) {
  return ein::cuda::einsum<S>(ops...);  // (qualified: ein::einsum is a candidate by ADL too)
}

}  // namespace ein::cuda
