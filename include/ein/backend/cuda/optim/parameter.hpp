// ein::cuda::optim::Parameter: what a device optimizer holds for each
// ein::cuda::Var it updates, whatever its rank and element type (float or
// double), so one optimizer takes {W1, b1, W2, b2}. Layer: backend (cuda), optim.
#pragma once

#include <concepts>
#include <memory>

#include "ein/backend/cuda/autodiff/var.hpp"

namespace ein::cuda::optim {

/// A device Var of any rank with float or double elements, type-erased; converts
/// implicitly from the Var and shares its node.
class Parameter {
 public:
  template <std::floating_point T, std::size_t R>
    requires(std::same_as<T, float> || std::same_as<T, double>)
  Parameter(const Var<T, R>& v)  // NOLINT: implicit by design
      : node_(v.node()), is_double_(std::same_as<T, double>), access_(&access<T, R>) {}

  /// Calls f(value, grad, size, context) with value a T* to the Var's device
  /// elements and grad a const T* to its device gradient, or nullptr when no
  /// backward has reached it yet.
  template <class F>
  void visit(F&& f) const {
    const Raw r = access_(*node_);
    if (is_double_) f(static_cast<double*>(r.value), static_cast<const double*>(r.grad), r.size, *r.context);
    else f(static_cast<float*>(r.value), static_cast<const float*>(r.grad), r.size, *r.context);
  }
  [[nodiscard]] index_t size() const { return access_(*node_).size; }
  /// Zeroes the gradient on the device (keeps its buffer).
  void zero_grad() const { node_->zero_grad(); }
  /// The Var's tape node: two Parameters of one Var share it.
  [[nodiscard]] const ein::detail::Node* node() const { return node_.get(); }

 private:
  struct Raw {
    void* value;
    const void* grad;
    index_t size;
    Context* context;
  };
  template <class T, std::size_t R>
  static Raw access(ein::detail::Node& n) {
    auto& node = static_cast<detail::DeviceNode<T, R>&>(n);
    return {node.mutable_value().data(), node.has_grad() ? node.grad().data() : nullptr, node.value().size(),
            &node.context()};
  }

  std::shared_ptr<ein::detail::Node> node_;
  bool is_double_;
  Raw (*access_)(ein::detail::Node&);
};

}  // namespace ein::cuda::optim

namespace ein::cuda::detail {

/// One optimizer buffer of a parameter on the device: allocated zero at the
/// first step that needs it, reused by every later step.
class DeviceStateBuffer {
 public:
  template <class T>
  T* get(const char* who, std::size_t param, index_t size, Context& ctx) {
    Tensor<T, 1>& t = storage<T>();
    if (t.size() == 0 && size > 0) t = Tensor<T, 1>(Extents<1>{size}, ctx);
    if (t.size() != size)
      throw shape_error(std::string(who) + ": parameter " + std::to_string(param) + " has " + std::to_string(size) +
                        " elements, its state " + std::to_string(t.size()) + " (its value was resized)");
    return t.data();
  }

 private:
  template <class T>
  Tensor<T, 1>& storage() {
    if constexpr (std::same_as<T, float>) return f_;
    else return d_;
  }
  Tensor<float, 1> f_;
  Tensor<double, 1> d_;
};

}  // namespace ein::cuda::detail
