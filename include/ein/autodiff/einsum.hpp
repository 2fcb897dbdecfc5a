// einsum on Vars: one tape node per einsum. Its rule runs, for each operand k
// that requires a gradient, the gradient einsum derived at compile time
// (spec/derive.hpp) through the same planner and GEMM lowering, accumulating
// straight into operand k's gradient (beta = 1). Layer: autodiff.
#pragma once

#include <string>
#include <tuple>
#include <utility>

#include "ein/autodiff/gradient_step.hpp"
#include "ein/autodiff/var.hpp"
#include "ein/expr/einsum.hpp"
#include "ein/backend/fast_pair.hpp"
#include "ein/plan/static_pair.hpp"
#include "ein/spec/derive.hpp"

namespace ein {
namespace detail {

/// A Var, or a tensor-like operand that joins the tape as a constant.
template <class X>
concept VarOperand = VarType<X> || EinsumOperand<X>;

template <class X>
struct var_operand_info {
  using value_type = typename operand_info<X>::value_type;
  static constexpr std::size_t rank = operand_info<X>::rank;
};
template <class X>
  requires VarType<X>
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
  if constexpr (VarType<X>) {
    return x.node();
  } else if constexpr (!ViewableOperand<X> || (std::is_same_v<std::remove_cvref_t<X>, Tensor_> && !std::is_lvalue_reference_v<X>)) {
    return constant(Tensor_(std::forward<X>(x))).node();
  } else {
    return constant(dense_copy<typename Info::value_type, Info::rank>(operand_traits<std::remove_cvref_t<X>>::view(x)))
        .node();
  }
}

/// The gradient specs of every operand, one per operand, as constants.
template <class Source, class Indices>
struct GradientSpecs;
template <class Source, std::size_t... K>
struct GradientSpecs<Source, std::index_sequence<K...>> {
  static constexpr BoundSpec forward = Source::value;
  static constexpr std::array<BoundSpec, sizeof...(K)> of = {derive_gradient(forward, static_cast<int>(K))...};
};

/// The gradient of operand K as a two-operand fast path (plan/static_pair.hpp), when it
/// qualifies: two forward operands, no broadcast seed axes, no diagonal in operand K.
template <class Source, std::size_t K>
struct GradientPair {
  static constexpr BoundSpec spec = derive_gradient(Source::value, static_cast<int>(K));
  static constexpr StaticPair pair = static_pair(spec);
  static constexpr bool fast = Source::value.num_inputs == 2 && pair.fast &&
                               spec.inputs[0].rank == Source::value.output.rank &&
                               spec.output.rank == Source::value.inputs[K].rank;
};

template <class T, std::size_t R>
Strided<const T> strided_of(const Tensor<T, R>& t, const BoundTerm& term) {
  return labelled(t.view(), term);
}

/// Accumulates the gradient of operand k of `forward` into `grad_k`.
/// `values` are every operand's value (Strided, forward labels); `seed` the output's gradient.
template <class T>
void accumulate_gradient(const BoundSpec& forward, const BoundSpec& gradient, std::string_view text, int k,
                         const Strided<const T>* values, const Strided<const T>& seed, const Strided<T>& grad_k) {
  HostBackend<T> be;
  accumulate_gradient_on<T>(be, forward, gradient, text, k, values, seed, grad_k);
}

}  // namespace detail

/// einsum with at least one Var operand: evaluates now and records one tape node.
template <fixed_string S, detail::VarOperand... Ops>
  requires(VarType<Ops> || ...)
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
    Tensor<T, R> value = std::apply([](const auto&... n) { return ein::einsum<S>(n->value()...).eval(); }, nodes);
    using Grads = detail::GradientSpecs<Source, std::make_index_sequence<sizeof...(Ops)>>;
    auto rule = [](detail::TensorNode<T, R>& self, auto&... in) {
      const std::array<detail::Strided<const T>, sizeof...(Ops)> values = [&] {
        int k = 0;
        return std::array<detail::Strided<const T>, sizeof...(Ops)>{
            detail::labelled(in.value().view(), Source::value.inputs[k++])...};
      }();
      const Tensor<T, R>& seed_tensor = self.grad();
      const detail::Strided<const T> seed = detail::labelled(seed_tensor.view(), Source::value.output);
      const auto inputs = std::forward_as_tuple(in...);
      const auto one = [&]<std::size_t K>(std::integral_constant<std::size_t, K>) {
        auto& node = std::get<K>(inputs);
        if (!node.requires_grad()) return;
        using Pair = detail::GradientPair<Source, K>;
        if constexpr (Pair::fast) {  // "ij,jk->ik": dA = "ik,jk->ij", dB = "ik,ij->jk", straight to the GEMM
          const auto& other = std::get<1 - K>(inputs).value();
          if (detail::try_fast_pair<Pair::pair, T>(seed_tensor.view(), other.view(), node.grad().view(), T(1), T(1)))
            return;
        }
        const auto grad_k = detail::labelled_destination(node.grad().view(), Source::value.inputs[K]);
        detail::accumulate_gradient<T>(Source::value, Grads::of[K], S.view(), static_cast<int>(K), values.data(), seed,
                                       grad_k);
      };
      [&]<std::size_t... K>(std::index_sequence<K...>) {
        (one(std::integral_constant<std::size_t, K>{}), ...);
      }(std::make_index_sequence<sizeof...(Ops)>{});
    };
    return std::apply(
        [&](const auto&... n) { return detail::record<T, R>(std::move(value), std::move(rule), n...); }, nodes);
  }
}

}  // namespace ein
