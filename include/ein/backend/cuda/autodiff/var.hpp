// ein::cuda::Var: the handle on a device tape node, as ein::Var is on a host
// one: ein::cuda::param makes a leaf that requires a gradient, ein::cuda::constant
// one that does not; ops record nodes unless an ein::no_grad guard is alive (the
// same guard as on the CPU). Values and gradients stay on the device.
// Layer: backend (cuda), autodiff.
#pragma once

#include <memory>
#include <mutex>
#include <type_traits>

#include "ein/autodiff/var.hpp"
#include "ein/backend/cuda/autodiff/kernels.hpp"
#include "ein/backend/cuda/autodiff/node.hpp"

namespace ein::cuda {

template <class T, std::size_t R>
class Var {
 public:
  using value_type = T;
  static constexpr std::size_t var_rank = R;
  using node_type = detail::DeviceNode<T, R>;

  Var() : node_(std::make_shared<node_type>(Tensor<T, R>(), false)) {}
  explicit Var(std::shared_ptr<node_type> node) : node_(std::move(node)) {}

  [[nodiscard]] const Tensor<T, R>& value() const { return node_->value(); }
  /// A leaf's gradient: zeros (of the value's extents) before any backward
  /// reached it. A non-leaf's only after retain_grad(); otherwise it was freed
  /// by backward and this throws ein::autodiff_error (as ein::Var::grad()).
  [[nodiscard]] Tensor<T, R>& grad() const { return ein::detail::grad_of(*node_); }
  /// Keeps this non-leaf's gradient over backward calls, for grad().
  void retain_grad() const { node_->retain_grad(); }
  [[nodiscard]] bool requires_grad() const { return node_->requires_grad(); }
  [[nodiscard]] index_t extent(std::size_t d) const { return value().extent(d); }
  [[nodiscard]] const Extents<R>& extents() const { return value().extents(); }
  [[nodiscard]] Context& context() const { return node_->context(); }

  /// Back-propagates from a scalar: its gradient is seeded with 1 (on the device).
  void backward() const
    requires(R == 0)
  {
    seed_and_run(false);
  }
  void backward(retain_graph_t) const
    requires(R == 0)
  {
    seed_and_run(true);
  }
  /// Back-propagates from a non-scalar with an explicit device seed of its extents.
  void backward(const Tensor<T, R>& seed, bool retain = false) const {
    if (seed.extents() != value().extents())
      throw shape_error("backward: seed extents " + ein::to_string(seed.extents()) + " differ from the value's " +
                        ein::to_string(value().extents()));
    if (!requires_grad()) throw autodiff_error("backward on a Var that does not require a gradient");
    {
      const std::scoped_lock lock(node_->grad_mutex());
      Tensor<T, R>& g = node_->grad();
      kernels::add_into(node_->stream(), seed.size(), seed.data(), g.data());
    }
    ein::detail::run_backward(node_.get(), retain);
  }
  void zero_grad() const { node_->zero_grad(); }

  /// The tape node (for ops).
  [[nodiscard]] const std::shared_ptr<node_type>& node() const { return node_; }
  /// Writable value of a leaf, for optimizers and initialisers.
  [[nodiscard]] Tensor<T, R>& mutable_value() const { return node_->mutable_value(); }

 private:
  void seed_and_run(bool retain) const {
    if (!requires_grad()) throw autodiff_error("backward on a Var that does not require a gradient");
    {
      const std::scoped_lock lock(node_->grad_mutex());
      kernels::add_scalar(node_->stream(), node_->grad().data(), T(1));
    }
    ein::detail::run_backward(node_.get(), retain);
  }

  std::shared_ptr<node_type> node_;
};

/// A leaf that requires a gradient, holding a device tensor.
template <class T, std::size_t R>
Var<T, R> param(Tensor<T, R> value) {
  return Var<T, R>(std::make_shared<detail::DeviceNode<T, R>>(std::move(value), true));
}
/// A leaf that requires a gradient, holding a device copy of a host tensor.
template <class T, std::size_t R>
Var<T, R> param(const ein::Tensor<T, R>& host, Context& ctx = Context::current()) {
  return param(Tensor<T, R>::from_host(host, ctx));
}
/// A leaf that does not require a gradient.
template <class T, std::size_t R>
Var<T, R> constant(Tensor<T, R> value) {
  return Var<T, R>(std::make_shared<detail::DeviceNode<T, R>>(std::move(value), false));
}
/// A leaf that does not require a gradient, holding a device copy of a host tensor.
template <class T, std::size_t R>
Var<T, R> constant(const ein::Tensor<T, R>& host, Context& ctx = Context::current()) {
  return constant(Tensor<T, R>::from_host(host, ctx));
}

namespace detail {
template <class X>
struct is_device_var : std::false_type {};
template <class T, std::size_t R>
struct is_device_var<Var<T, R>> : std::true_type {};
}  // namespace detail

/// An ein::cuda::Var of any element type and rank.
template <class X>
concept DeviceVarType = detail::is_device_var<std::remove_cvref_t<X>>::value;

namespace detail {
/// Records an op: a node with a rule when some input requires a gradient and
/// recording is on (ein::grad_enabled()), else a constant.
template <class T, std::size_t R, class Rule, class... In>
Var<T, R> record(Tensor<T, R> value, Rule rule, const std::shared_ptr<In>&... inputs) {
  const bool track = grad_enabled() && (inputs->requires_grad() || ...);
  if (!track) return constant(std::move(value));
  return Var<T, R>(std::make_shared<DeviceOpNode<T, R, Rule, In...>>(std::move(value), std::move(rule), inputs...));
}
}  // namespace detail

}  // namespace ein::cuda
