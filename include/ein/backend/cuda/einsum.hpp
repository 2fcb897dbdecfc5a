// ein::cuda::einsum<"spec">(tensors...): einsum on device tensors, with the
// compile-time spec checks and the plan of ein::einsum, run by DeviceBackend on
// cuBLAS and ein's kernels. Eager: returns a cuda::Tensor once the work is
// queued on the context's stream (nothing waits for it). einsum_into writes
// dest = alpha * einsum + beta * dest. Layer: backend (cuda).
#pragma once

#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>

#include "ein/backend/cuda/blas.hpp"
#include "ein/backend/cuda/device.hpp"
#include "ein/backend/cuda/labelled.hpp"
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
struct is_device_tensor : std::false_type {};
template <class T, std::size_t R>
struct is_device_tensor<Tensor<T, R>> : std::true_type {
  using value_type = T;
  static constexpr std::size_t rank = R;
};

template <class X>
concept DeviceTensor = is_device_tensor<std::remove_cvref_t<X>>::value;

template <class... Ops>
struct device_element {
  using type = float;  // no operand: the spec is diagnosed before anything uses it
  static constexpr bool same = true;
};
template <class First, class... Rest>
struct device_element<First, Rest...> {
  using type = typename is_device_tensor<std::remove_cvref_t<First>>::value_type;
  static constexpr bool same =
      (std::is_same_v<type, typename is_device_tensor<std::remove_cvref_t<Rest>>::value_type> && ...);
};


[[noreturn]] inline void fail(std::string_view text, const std::string& what) {
  throw std::invalid_argument("ein::cuda::" + error_prefix(text) + what);
}

/// The context every operand (and dest) is used on: the first one's. Operands on
/// another context of the same device are waited for; another device is an error.
template <class T, std::size_t R>
void join_context(Context*& ctx, const Tensor<T, R>& t, int k, std::string_view text) {
  if (t.data() == nullptr && element_count(t.extents()) > 0)
    fail(text, "operand " + std::to_string(k) + " holds no tensor (default-constructed or moved-from)");
  if (t.data() == nullptr) return;
  Context& c = t.context();
  if (!ctx) {
    ctx = &c;
  } else if (&c != ctx) {
    if (c.device() != ctx->device())
      fail(text, "operand " + std::to_string(k) + " is on device " + std::to_string(c.device()) + ", not " +
                     std::to_string(ctx->device()));
    c.synchronize();
  }
}

/// dest = alpha * einsum(ops) + beta * dest on ctx's device.
template <class T>
void run(Context& ctx, Precision precision, const BoundSpec& bound, std::string_view text,
         const ein::detail::Strided<const T>* ops, int n, const ein::detail::Strided<T>& dest, T alpha, T beta) {
  ctx.activate();
  CublasDevice<T> device(ctx, precision);
  DeviceBackend<T, CublasDevice<T>> be(device);
  ein::detail::execute_on<T>(be, bound, text, ops, n, dest, alpha, beta);
}

/// Whether dest's memory is one of the operands' (they would be read while written).
template <class T, std::size_t RD, std::size_t... R>
bool aliases(const Tensor<T, RD>& dest, const Tensor<T, R>&... ops) {
  const auto* begin = dest.data();
  const auto* end = begin + dest.size();
  return begin && ((ops.data() && ops.data() < end && begin < ops.data() + ops.size()) || ...);
}

template <fixed_string S, class T, std::size_t RD, std::size_t... R>
void einsum_into_checked(Tensor<T, RD>& dest, const Options& options, const Tensor<T, R>&... ops) {
  using Source = ein::detail::StaticSpec<S, static_cast<int>(R)...>;
  constexpr const BoundSpec& bound = Source::value;
  const std::string_view text = S.view();
  const std::array<ein::detail::Strided<const T>, sizeof...(R) + 1> operands = [&] {
    int k = 0;
    return std::array<ein::detail::Strided<const T>, sizeof...(R) + 1>{
        labelled_dense<const T, R>(ops.data(), ops.extents(), bound.inputs[k++])..., ein::detail::Strided<const T>{}};
  }();
  std::array<index_t, max_labels> extent{};
  ein::detail::resolve_extents(bound, text, operands.data(), static_cast<int>(sizeof...(R)), extent.data());
  for (std::size_t d = 0; d < RD; ++d)
    if (dest.extent(d) != extent[bound.output.labels[d]])
      throw shape_error(error_prefix(text) + "destination axis " + std::to_string(d) + " is " +
                        std::to_string(dest.extent(d)) + ", the result's is " +
                        std::to_string(extent[bound.output.labels[d]]));
  if (dest.size() == 0) return;
  Context* ctx = nullptr;
  join_context(ctx, dest, -1, text);
  int k = 0;
  (join_context(ctx, ops, k++, text), ...);
  const T alpha = static_cast<T>(options.alpha), beta = static_cast<T>(options.beta);
  if (aliases(dest, ops...)) {  // through a temporary: dest = alpha * tmp + beta * dest
    Tensor<T, RD> tmp(uninitialized, dest.extents(), *ctx);
    run<T>(*ctx, options.precision, bound, text, operands.data(), static_cast<int>(sizeof...(R)),
           labelled_dense<T, RD>(tmp.data(), tmp.extents(), bound.output), T(1), T(0));
    const auto out = labelled_dense<T, RD>(dest.data(), dest.extents(), bound.output);
    CublasDevice<T> device(*ctx, options.precision);
    DeviceBackend<T, CublasDevice<T>> be(device);
    be.loop(ein::detail::as_const(labelled_dense<T, RD>(tmp.data(), tmp.extents(), bound.output)), nullptr, out, alpha,
            beta);
    return;
  }
  run<T>(*ctx, options.precision, bound, text, operands.data(), static_cast<int>(sizeof...(R)),
         labelled_dense<T, RD>(dest.data(), dest.extents(), bound.output), alpha, beta);
}

}  // namespace detail

/// einsum on device tensors, spec checked at compile time (same diagnostics as
/// ein::einsum): `cuda::Tensor<float, 2> C = cuda::einsum<"ij,jk->ik">(A, B);`
/// Runs on the first operand's context; the result lives there.
template <fixed_string S, detail::DeviceTensor... Ops>
auto einsum(const Options& options, const Ops&... ops) {
  static_assert(detail::device_element<Ops...>::same, "einsum: all operands must have the same element type");
  using T = typename detail::device_element<Ops...>::type;
  using Source = ein::detail::StaticSpec<S, static_cast<int>(detail::is_device_tensor<Ops>::rank)...>;
  if constexpr (Source::value.error.failed()) {
    diagnostic::report<S, Source::value.error>();
    return ein::detail::DiagnosedEinsum{};
  } else {
    constexpr std::size_t RO = static_cast<std::size_t>(Source::value.output.rank);
    const std::array<ein::detail::Strided<const T>, sizeof...(Ops) + 1> operands = [&] {
      int k = 0;
      return std::array<ein::detail::Strided<const T>, sizeof...(Ops) + 1>{
          detail::labelled_dense<const T, detail::is_device_tensor<Ops>::rank>(ops.data(), ops.extents(),
                                                                        Source::value.inputs[k++])...,
          ein::detail::Strided<const T>{}};
    }();
    std::array<index_t, max_labels> extent{};
    ein::detail::resolve_extents(Source::value, S.view(), operands.data(), static_cast<int>(sizeof...(Ops)),
                                 extent.data());
    Extents<RO> out{};
    for (std::size_t d = 0; d < RO; ++d) out[d] = extent[Source::value.output.labels[d]];
    Context* ctx = nullptr;
    int k = 0;
    (detail::join_context(ctx, ops, k++, S.view()), ...);
    if (!ctx) ctx = &Context::current();
    // Every element is written (beta 0), unless a zero extent leaves a sum empty.
    bool empty_operand = false;
    ((empty_operand = empty_operand || ops.size() == 0), ...);
    Tensor<T, RO> result = empty_operand ? Tensor<T, RO>(out, *ctx) : Tensor<T, RO>(uninitialized, out, *ctx);
    detail::einsum_into_checked<S>(result, Options{options.precision, 1.0, 0.0}, ops...);
    return result;
  }
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
  static_assert(detail::device_element<Tensor<T, RD>, Ops...>::same,
                "einsum_into: all operands and the destination must have the same element type");
  using Source = ein::detail::StaticSpec<S, static_cast<int>(detail::is_device_tensor<Ops>::rank)...>;
  if constexpr (Source::value.error.failed()) {
    diagnostic::report<S, Source::value.error>();
  } else {
    static_assert(static_cast<std::size_t>(Source::value.output.rank) == RD,
                  "einsum_into: the destination's rank differs from the spec's output");
    if constexpr (static_cast<std::size_t>(Source::value.output.rank) == RD) detail::einsum_into_checked<S>(dest, options, ops...);
  }
}

template <fixed_string S, class T, std::size_t RD, detail::DeviceTensor... Ops>
void einsum_into(Tensor<T, RD>& dest, const Ops&... ops) {
  einsum_into<S>(dest, Options{}, ops...);
}

/// ein::einsum of CUDA tensors lands here (expr/einsum.hpp), so that code written
/// with ein::einsum runs on either device.
template <fixed_string S, detail::DeviceTensor... Ops>
auto device_einsum(Device, const Ops&... ops) {
  return ein::cuda::einsum<S>(ops...);  // (qualified: ein::einsum is a candidate by ADL too)
}

}  // namespace ein::cuda
