// The entry points: ein::einsum<"spec">(...) (spec checked at compile time),
// ein::einsum("spec", ...) (spec known at run time; throws), and
// ein::einsum_path, which returns the plan either would run. Layer: expr.
#pragma once

#include <string_view>
#include <tuple>
#include <type_traits>

#include "ein/backend/host_device.hpp"
#include "ein/expr/contraction.hpp"
#include "ein/expr/device_einsum.hpp"
#include "ein/expr/path.hpp"
#include "ein/spec/diagnose.hpp"

namespace ein {
namespace detail {

template <class... Ops>
struct common_element {
  using type = float;  // no operand: the spec is diagnosed (wrong operand count) before anything uses it
};
template <class First, class... Rest>
struct common_element<First, Rest...> {
  using type = typename operand_info<First>::value_type;
  static constexpr bool same = (std::is_same_v<type, typename operand_info<Rest>::value_type> && ...);
};

/// What einsum returns when the spec was diagnosed. It converts to anything
/// default-constructible, so the diagnostic stays the only error the user sees.
struct DiagnosedEinsum {
  template <class X>
  operator X() const {  // NOLINT: silences the follow-on conversion error
    return X();
  }
  [[nodiscard]] DiagnosedEinsum eval() const { return {}; }
};

template <class T, class... Ops>
std::array<Strided<const T>, sizeof...(Ops)> labelled_operands(const BoundSpec& bound, const Ops&... ops) {
  std::size_t k = 0;
  return {labelled(operand_traits<std::remove_cvref_t<Ops>>::view(ops), bound.inputs[k++])...};
}

template <class T, std::size_t N>
Path path_of(const BoundSpec& bound, std::string_view text, const std::array<Strided<const T>, N>& operands) {
  std::array<index_t, max_labels> extent{};
  resolve_extents(bound, text, operands.data(), static_cast<int>(N), extent.data());
  Strided<T> dest;  // only its labels and extents matter
  dest.rank = bound.output.rank;
  for (std::size_t d = 0; d < ix(dest.rank); ++d) {
    dest.labels[d] = bound.output.labels[d];
    dest.extents[d] = extent[dest.labels[d]];
  }
  Path path = describe_path<T>(bound, text, operands.data(), static_cast<int>(N), dest);
  show_product_path<T, N>(bound, operands, extent.data(), dest, path);
  return path;
}

template <class... Ops>
constexpr bool same_element_type() {
  if constexpr (sizeof...(Ops) == 0) return true;
  else return common_element<Ops...>::same;
}

}  // namespace detail

/// A lazy einsum of the operands, with its spec parsed and checked at compile time:
/// `ein::Tensor<float, 2> C = ein::einsum<"ij,jk->ik">(A, B);`
template <fixed_string S, EinsumOperand... Ops>
auto einsum(Ops&&... ops) {
  static_assert(detail::same_element_type<Ops...>(), "einsum: all operands must have the same element type");
  using T = typename detail::common_element<Ops...>::type;
  using Source = detail::StaticSpec<S, static_cast<int>(detail::operand_info<Ops>::rank)...>;
  if constexpr (Source::value.error.failed()) {
    diagnostic::report<S, Source::value.error>();
    return detail::DiagnosedEinsum{};
  } else {
    return Contraction<T, Source::value.output.rank, Source, detail::holder_t<Ops>...>(
        Source{}, detail::make_holder(std::forward<Ops>(ops))...);
  }
}

/// A lazy einsum whose spec is known only at run time. Throws ein::spec_error for a
/// bad spec (same grammar, same messages as the compile-time checks). The spec is
/// bound once per thread, text and operand ranks (expr/runtime_spec.hpp), and takes
/// the compile-time entry point's fast paths.
template <EinsumOperand... Ops>
auto einsum(std::string_view spec, Ops&&... ops) {
  static_assert(detail::same_element_type<Ops...>(), "einsum: all operands must have the same element type");
  using T = typename detail::common_element<Ops...>::type;
  const int ranks[] = {static_cast<int>(detail::operand_info<Ops>::rank)..., 0};
  return RuntimeContraction<T, detail::holder_t<Ops>...>(
      detail::runtime_spec(spec, ranks, static_cast<int>(sizeof...(Ops))),
      detail::make_holder(std::forward<Ops>(ops))...);
}

namespace detail {
/// The device and element type of einsum's operands on another device, checked:
/// every one on that device, every one of that type.
template <class... Ops>
struct DeviceOperands {
  using first = std::remove_cvref_t<std::tuple_element_t<0, std::tuple<Ops...>>>;
  using device = device_of_t<first>;
  using value_type = typename first::value_type;
  static constexpr bool one_device = (std::is_same_v<device, device_of_t<Ops>> && ...);
  static constexpr bool one_type = (std::is_same_v<value_type, typename std::remove_cvref_t<Ops>::value_type> && ...);
  static_assert(one_device, "einsum: every tensor must be on one device");
  static_assert(one_type, "einsum: all operands must have the same element type");
  static constexpr bool ok = one_device && one_type;  // (else the einsum stops there: one error, not a cascade)
};
}  // namespace detail

/// The same lazy einsum of another device's tensors, all on one device
/// (expr/device_einsum.hpp), with the same compile-time checks:
/// `ein::cuda::Tensor<float, 2> C = ein::einsum<"ij,jk->ik">(A, B);`
template <fixed_string S, detail::OtherDeviceTensor... Ops>
  requires(sizeof...(Ops) > 0)
auto einsum(Ops&&... ops) {
  using D = typename detail::DeviceOperands<Ops...>::device;
  using T = typename detail::DeviceOperands<Ops...>::value_type;
  using Source = detail::StaticSpec<S, static_cast<int>(std::remove_cvref_t<Ops>::rank)...>;
  if constexpr (!detail::DeviceOperands<Ops...>::ok) {
    return detail::DiagnosedEinsum{};
  } else if constexpr (Source::value.error.failed()) {
    diagnostic::report<S, Source::value.error>();
    return detail::DiagnosedEinsum{};
  } else {
    return DeviceEinsum<T, Source::value.output.rank, Source, D, detail::device_holder_t<Ops>...>(
        detail::make_device_holder(std::forward<Ops>(ops))...);
  }
}

/// The same with a spec known at run time (`ein::einsum("ij,jk->ik", A, B)` on
/// another device's tensors): bound once per thread as on the host; throws
/// ein::spec_error for a bad spec.
template <detail::OtherDeviceTensor... Ops>
  requires(sizeof...(Ops) > 0)
auto einsum(std::string_view spec, Ops&&... ops) {
  using D = typename detail::DeviceOperands<Ops...>::device;
  using T = typename detail::DeviceOperands<Ops...>::value_type;
  const int ranks[] = {static_cast<int>(std::remove_cvref_t<Ops>::rank)..., 0};
  if constexpr (!detail::DeviceOperands<Ops...>::ok)
    return detail::DiagnosedEinsum{};
  else
    return RuntimeDeviceEinsum<T, D, detail::device_holder_t<Ops>...>(
        detail::runtime_spec(spec, ranks, static_cast<int>(sizeof...(Ops))),
        detail::make_device_holder(std::forward<Ops>(ops))...);
}

/// The plan ein::einsum<S> runs for these operands.
template <fixed_string S, ViewableOperand... Ops>
Path einsum_path(const Ops&... ops) {
  using T = typename detail::common_element<Ops...>::type;
  using Source = detail::StaticSpec<S, static_cast<int>(operand_traits<std::remove_cvref_t<Ops>>::rank)...>;
  if constexpr (Source::value.error.failed()) {
    diagnostic::report<S, Source::value.error>();
    return Path{};
  } else {
    return detail::path_of<T>(Source::value, S.view(), detail::labelled_operands<T>(Source::value, ops...));
  }
}

/// The plan for a spec known at run time.
template <ViewableOperand... Ops>
Path einsum_path(std::string_view spec, const Ops&... ops) {
  using T = typename detail::common_element<Ops...>::type;
  const int ranks[] = {static_cast<int>(operand_traits<std::remove_cvref_t<Ops>>::rank)..., 0};
  const BoundSpec bound = bind(spec, ranks, static_cast<int>(sizeof...(Ops)));
  if (bound.error.failed()) throw spec_error(describe(bound.error, spec));
  return detail::path_of<T>(bound, spec, detail::labelled_operands<T>(bound, ops...));
}

}  // namespace ein
