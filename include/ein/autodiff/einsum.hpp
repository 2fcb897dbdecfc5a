// einsum on Vars: one tape node per einsum. Its rule runs, for each operand k
// that requires a gradient, the gradient einsum derived at compile time
// (spec/derive.hpp) through the same planner and GEMM lowering, accumulating
// straight into operand k's gradient (beta = 1). A two-operand GEMM-shaped one
// is a layer, whose bias and relu fold in (autodiff/einsum_node.hpp). On another
// device the same node runs through the device's table (D::lowered). Layer: autodiff.
#pragma once

#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "ein/autodiff/einsum_node.hpp"
#include "ein/autodiff/gradient_step.hpp"
#include "ein/autodiff/var.hpp"
#include "ein/expr/einsum.hpp"

namespace ein {
namespace detail {

/// A host Var, or a tensor-like operand that joins the tape as a constant. (Another
/// device's Vars take the einsum at the end of this file.)
template <class X>
concept VarOperand = HostVarType<X> || EinsumOperand<X>;

template <class X>
struct var_operand_info {
  using value_type = typename operand_info<X>::value_type;
  static constexpr std::size_t rank = operand_info<X>::rank;
};
template <class X>
  requires HostVarType<X>
struct var_operand_info<X> {
  using value_type = typename std::remove_cvref_t<X>::value_type;
  static constexpr std::size_t rank = std::remove_cvref_t<X>::var_rank;
};

/// The operand's tape node: a Var's own; a tensor's value copied (or moved, or
/// evaluated) into a constant node, so the tape never dangles.
template <class X>
auto node_of(X&& x) {
  using Info = var_operand_info<X>;
  using Tensor_ = Tensor<typename Info::value_type, Info::rank>;
  if constexpr (HostVarType<X>) {
    return x.node();
  } else if constexpr (!ViewableOperand<X> || (std::is_same_v<std::remove_cvref_t<X>, Tensor_> && !std::is_lvalue_reference_v<X>)) {
    return constant(Tensor_(std::forward<X>(x))).node();
  } else {
    return constant(dense_copy<typename Info::value_type, Info::rank>(operand_traits<std::remove_cvref_t<X>>::view(x)))
        .node();
  }
}

}  // namespace detail

/// einsum with at least one Var operand: evaluates now and records one tape node.
template <fixed_string S, detail::VarOperand... Ops>
  requires(HostVarType<Ops> || ...)
auto einsum(Ops&&... ops) {
  using T = typename detail::var_operand_info<std::tuple_element_t<0, std::tuple<Ops...>>>::value_type;
  static_assert((std::is_same_v<T, typename detail::var_operand_info<Ops>::value_type> && ...),
                "einsum: all operands must have the same element type");
  using Source = detail::StaticSpec<S, static_cast<int>(detail::var_operand_info<Ops>::rank)...>;
  if constexpr (Source::value.error.failed()) {
    diagnostic::report<S, Source::value.error>();
    return detail::DiagnosedEinsum{};
  } else {
    constexpr std::size_t R = Source::value.output.rank;
    auto nodes = std::make_tuple(detail::node_of(std::forward<Ops>(ops))...);
    if constexpr (detail::einsum_layer<Source>) {  // a layer: its value waits for a bias and a relu
      const auto& a = std::get<0>(nodes);
      const auto& b = std::get<1>(nodes);
      if (grad_enabled() && (a->requires_grad() || b->requires_grad())) {
        // (Reading the operands now: their pending values computed, the shapes checked.)
        const Extents<R> extents = ein::einsum<S>(a->value(), b->value()).extents();
        using Layer = detail::EinsumLayerNode<S, Source, T, R, std::remove_cvref_t<decltype(*a)>,
                                              std::remove_cvref_t<decltype(*b)>>;
        return Var<T, R>(detail::make_node<Layer>(Tensor<T, R>(extents, detail::for_writing), a, b));
      }
    }
    Tensor<T, R> value = std::apply([](const auto&... n) { return ein::einsum<S>(n->value()...).eval(); }, nodes);
    auto rule = [](detail::TensorNode<T, R>& self, auto&... in) {
      detail::einsum_backward(Source{}, self.grad(), in...);
    };
    return std::apply(
        [&](const auto&... n) { return detail::record<T, R>(std::move(value), std::move(rule), n...); }, nodes);
  }
}

namespace detail {

/// The rank of a tape node's value.
template <class Node>
constexpr std::size_t node_rank = std::remove_cvref_t<decltype(std::declval<const Node&>().value())>::rank;
/// The device of a tape node's value.
template <class Node>
using node_device = device_of_t<std::remove_cvref_t<decltype(std::declval<const Node&>().value())>>;

/// The backward of an einsum on another device (source: its StaticSpec or
/// RuntimeSpec, expr/contraction.hpp and runtime_spec.hpp): for each operand that
/// requires a gradient, its gradient einsum (derived at compile time for a
/// compile-time spec, once per spec for a run-time one), from `seed` (the output's
/// gradient) straight into the operand's gradient (beta = 1), on the device's Backend.
template <class Source, class T, std::size_t R, class D, class... In>
void device_einsum_backward(const Source& source, const Tensor<T, R, D>& seed_tensor, In&... in) {
  constexpr std::size_t N = sizeof...(In);
  const BoundSpec& forward = source.bound();
  const auto inputs = std::forward_as_tuple(in...);
  for_each_gradient(inputs, [&]<std::size_t K>(std::integral_constant<std::size_t, K>) {
    auto& grad = std::get<K>(inputs).grad();
    D::template lowered<T>(
        source.text(),
        [&](auto& be) {
          if constexpr (N == 2 && may_take_gradient_pair<Source, K>()) {  // as on the host (einsum_backward)
            const StaticPair& pair = gradient_pair_of<K>(source);
            if (pair.fast && try_fast_pair_on<T>(be, pair, device_view(seed_tensor),
                                                 device_view(std::get<1 - K>(inputs).value()), device_view(grad),
                                                 T(1), T(1)))
              return;
          }
          // The general path: the operands labelled (only here: the fast path reads none of this).
          std::size_t k = 0;
          const std::array<Strided<const T>, N> values{
              labelled_dense<const T>(in.value().data(), in.value().extents(), forward.inputs[k++])...};
          accumulate_gradient_on<T>(be, forward, gradient_spec<K, N>(source), source.text(), static_cast<int>(K),
                                    values.data(),
                                    labelled_dense<const T>(seed_tensor.data(), seed_tensor.extents(), forward.output),
                                    labelled_dense<T>(grad.data(), grad.extents(), forward.inputs[K]));
        },
        in.value()..., seed_tensor, grad);
  });
}

}  // namespace detail

/// What einsum("spec", ...) with a Var operand returns (on any device): its output
/// rank is known only at run time, so it becomes a Var<T, R, D> on conversion (or
/// .var<R>()), which evaluates the einsum and records its tape node; the wrong R
/// throws ein::spec_error. `ein::Var<float, 2> a = ein::einsum("ij,lj->li", W1, X);`
template <class T, class... Nodes>
class RuntimeVarEinsum {
  using D = detail::node_device<std::tuple_element_t<0, std::tuple<Nodes...>>>;

 public:
  RuntimeVarEinsum(detail::RuntimeSpec spec, std::shared_ptr<Nodes>... nodes)
      : spec_(std::move(spec)), nodes_(std::move(nodes)...) {}

  /// The output's rank.
  [[nodiscard]] int rank() const { return spec_.bound().output.rank; }

  template <std::size_t R>
  [[nodiscard]] Var<T, R, D> var() const {
    const detail::RuntimeSpec spec = spec_;
    if (static_cast<int>(R) != rank())
      throw spec_error(error_prefix(spec.text()) + "the output has rank " + std::to_string(rank()) + ", not " +
                       std::to_string(R));
    if constexpr (std::is_same_v<D, Host>) {
      Tensor<T, R> value = std::apply(
          [&](const auto&... n) {
            return RuntimeContraction<T, detail::BorrowedOperand<T, detail::node_rank<Nodes>>...>(
                       spec, detail::BorrowedOperand<T, detail::node_rank<Nodes>>{n->value().view()}...)
                .template eval<R>();
          },
          nodes_);
      auto rule = [spec](detail::TensorNode<T, R>& self, auto&... in) {
        detail::einsum_backward(spec, self.grad(), in...);
      };
      return std::apply(
          [&](const auto&... n) { return detail::record<T, R>(std::move(value), std::move(rule), n...); }, nodes_);
    } else {  // the device's lazy einsum (expr/device_einsum.hpp) and its backward (below)
      Tensor<T, R, D> value = std::apply(
          [&](const auto&... n) {
            return RuntimeDeviceEinsum<T, D, detail::DeviceOperand<std::remove_cvref_t<decltype(n->value())>>...>(
                       spec, detail::DeviceOperand<std::remove_cvref_t<decltype(n->value())>>{&n->value()}...)
                .template eval<R>();
          },
          nodes_);
      auto rule = [spec](detail::NodeOf<T, R, D>& self, auto&... in) {
        detail::device_einsum_backward(spec, self.grad(), in...);
      };
      return std::apply(
          [&](const auto&... n) { return detail::record<T, R>(std::move(value), std::move(rule), n...); }, nodes_);
    }
  }
  template <std::size_t R>
  operator Var<T, R, D>() const {  // NOLINT: implicit, like the run-time einsum's conversion to a Tensor
    return var<R>();
  }

 private:
  detail::RuntimeSpec spec_;
  std::tuple<std::shared_ptr<Nodes>...> nodes_;
};

/// einsum with a spec known at run time and at least one Var operand. Throws
/// ein::spec_error for a bad spec. The spec is bound once per thread (the run-time
/// spec cache, expr/runtime_spec.hpp) and its gradient specs derived once.
template <detail::VarOperand... Ops>
  requires(HostVarType<Ops> || ...)
auto einsum(std::string_view spec, Ops&&... ops) {
  using T = typename detail::var_operand_info<std::tuple_element_t<0, std::tuple<Ops...>>>::value_type;
  static_assert((std::is_same_v<T, typename detail::var_operand_info<Ops>::value_type> && ...),
                "einsum: all operands must have the same element type");
  const int ranks[] = {static_cast<int>(detail::var_operand_info<Ops>::rank)..., 0};
  detail::RuntimeSpec bound = detail::runtime_spec(spec, ranks, static_cast<int>(sizeof...(Ops)));
  return RuntimeVarEinsum<T, typename std::remove_cvref_t<decltype(*detail::node_of(std::forward<Ops>(ops)))>...>(
      std::move(bound), detail::node_of(std::forward<Ops>(ops))...);
}


namespace detail {

/// The device and element type of another device's Vars given to einsum, with the
/// checks both spellings of the spec make.
template <class... Ops>
struct DeviceVars {
  using first = std::tuple_element_t<0, std::tuple<Ops...>>;
  using device = typename first::device_type;
  using value_type = typename first::value_type;
  static constexpr bool one_device = (std::is_same_v<device, typename Ops::device_type> && ...);
  static constexpr bool one_type = (std::is_same_v<value_type, typename Ops::value_type> && ...);
  static_assert(one_device, "einsum: every Var must be on one device");
  static_assert(one_type, "einsum: all operands must have the same element type");
  static constexpr bool ok = one_device && one_type;  // (else the einsum stops there: one error, not a cascade)
};

}  // namespace detail

/// einsum of Vars on another device (all on that one): evaluates now there (the
/// device's lazy einsum, expr/device_einsum.hpp) and records one tape node whose rule
/// runs each operand's gradient einsum there, with the same compile-time checks.
template <fixed_string S, VarType... Ops>
  requires(sizeof...(Ops) > 0 && !(HostVarType<Ops> || ...))
auto einsum(const Ops&... ops) {
  using D = typename detail::DeviceVars<Ops...>::device;
  using T = typename detail::DeviceVars<Ops...>::value_type;
  using Source = detail::StaticSpec<S, static_cast<int>(Ops::var_rank)...>;
  if constexpr (!detail::DeviceVars<Ops...>::ok) {
    return detail::DiagnosedEinsum{};
  } else if constexpr (Source::value.error.failed()) {
    diagnostic::report<S, Source::value.error>();
    return detail::DiagnosedEinsum{};
  } else {
    constexpr std::size_t R = Source::value.output.rank;
    Tensor<T, R, D> value = ein::einsum<S>(ops.value()...).eval();
    auto rule = [](detail::NodeOf<T, R, D>& self, auto&... in) {
      detail::device_einsum_backward(Source{}, self.grad(), in...);
    };
    return detail::record<T, R>(std::move(value), std::move(rule), ops.node()...);
  }
}

/// einsum of Vars on another device with a spec known at run time: as on the host
/// (a RuntimeVarEinsum that becomes a Var<T, R, D>), run on the device as the
/// compile-time spec is. Throws ein::spec_error for a bad spec.
template <VarType... Ops>
  requires(sizeof...(Ops) > 0 && !(HostVarType<Ops> || ...))
auto einsum(std::string_view spec, const Ops&... ops) {
  using T = typename detail::DeviceVars<Ops...>::value_type;
  const int ranks[] = {static_cast<int>(Ops::var_rank)..., 0};
  if constexpr (!detail::DeviceVars<Ops...>::ok)
    return detail::DiagnosedEinsum{};
  else
    return RuntimeVarEinsum<T, typename Ops::node_type...>(
        detail::runtime_spec(spec, ranks, static_cast<int>(sizeof...(Ops))), ops.node()...);
}

}  // namespace ein
