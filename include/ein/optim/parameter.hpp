// Parameter: what an optimizer holds for each Var it updates, whatever its rank
// and element type (float or double), so one optimizer takes {W1, b1, W2, b2}.
// Also the per-parameter state buffer of the optimizers. Layer: optim.
#pragma once

#include <concepts>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "ein/autodiff/var.hpp"

namespace ein::optim {

/// A Var of any rank with float or double elements, type-erased. Converts
/// implicitly from the Var, so a braced list of Vars makes a parameter list.
/// It shares the Var's node: updates through it are seen through the Var.
class Parameter {
 public:
  template <std::floating_point T, std::size_t R>
    requires(std::same_as<T, float> || std::same_as<T, double>)
  Parameter(const Var<T, R>& v)  // NOLINT: implicit by design
      : node_(v.node()), is_double_(std::same_as<T, double>), access_(&access<T, R>) {}

  /// Calls f(value, grad, size) with value a T* to the Var's elements and grad a
  /// const T* to its gradient, or nullptr when no backward has reached it yet.
  template <class F>
  void visit(F&& f) const {
    const Raw r = access_(*node_);
    if (is_double_) f(static_cast<double*>(r.value), static_cast<const double*>(r.grad), r.size);
    else f(static_cast<float*>(r.value), static_cast<const float*>(r.grad), r.size);
  }
  /// Number of elements.
  [[nodiscard]] index_t size() const { return access_(*node_).size; }
  /// Zeroes the gradient (keeps its buffer).
  void zero_grad() const { node_->zero_grad(); }
  /// The Var's tape node: two Parameters of one Var share it.
  [[nodiscard]] const detail::Node* node() const { return node_.get(); }

 private:
  struct Raw {
    void* value;
    const void* grad;
    index_t size;
  };
  template <class T, std::size_t R>
  static Raw access(detail::Node& n) {
    auto& node = static_cast<detail::TensorNode<T, R>&>(n);
    return {node.mutable_value().data(), node.has_grad() ? node.grad().data() : nullptr, node.value().size()};
  }

  std::shared_ptr<detail::Node> node_;
  bool is_double_;
  Raw (*access_)(detail::Node&);
};

}  // namespace ein::optim

namespace ein::detail {

/// Throws std::invalid_argument when a Var is listed twice: step() would update
/// it twice (PyTorch warns and will reject it). For ein::optim and ein::cuda::optim.
template <class Parameter>
void check_distinct_parameters(const char* who, const std::vector<Parameter>& params) {
  std::unordered_map<const Node*, std::size_t> first;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto [at, inserted] = first.emplace(params[i].node(), i);
    if (!inserted)
      throw std::invalid_argument(std::string(who) + ": parameter " + std::to_string(i) + " is parameter " +
                                  std::to_string(at->second) + " again (a Var listed twice would be stepped twice)");
  }
}

/// One optimizer buffer of a parameter (a momentum, a moment estimate): allocated
/// zero the first time a step needs it, reused by every later step.
class StateBuffer {
 public:
  template <class T>
  T* get(const char* who, std::size_t param, index_t size) {
    std::vector<T>& v = storage<T>();
    if (v.empty() && size > 0) v.assign(static_cast<std::size_t>(size), T(0));
    if (static_cast<index_t>(v.size()) != size)
      throw shape_error(std::string(who) + ": parameter " + std::to_string(param) + " has " + std::to_string(size) +
                        " elements, its state " + std::to_string(v.size()) + " (its value was resized)");
    return v.data();
  }

 private:
  template <class T>
  std::vector<T>& storage() {
    if constexpr (std::same_as<T, float>) return f_;
    else return d_;
  }
  std::vector<float> f_;
  std::vector<double> d_;
};

}  // namespace ein::detail
