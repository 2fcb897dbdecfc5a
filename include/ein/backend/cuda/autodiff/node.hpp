// DeviceNode: a tape node whose value and gradient are ein::cuda::Tensors. It
// derives from the storage-agnostic ein::detail::Node, so ein::detail::run_backward
// walks device graphs as it walks host ones; rules queue kernels on the value's
// stream and never copy to the host. Layer: backend (cuda), autodiff.
#pragma once

#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "ein/autodiff/node.hpp"
#include "ein/backend/cuda/tensor.hpp"

namespace ein::cuda::detail {

template <class T, std::size_t R>
class DeviceNode : public ein::detail::Node {
 public:
  DeviceNode(Tensor<T, R> value, bool requires_grad) : Node(requires_grad), value_(std::move(value)) {}

  [[nodiscard]] const Tensor<T, R>& value() const { return value_; }
  [[nodiscard]] Tensor<T, R>& mutable_value() { return value_; }
  [[nodiscard]] Context& context() const { return value_.context(); }
  [[nodiscard]] cudaStream_t stream() const { return value_.context().stream(); }

  /// The gradient, allocated (zero, on the value's context) on first use.
  Tensor<T, R>& grad() {
    if (!grad_allocated_) {
      grad_ = Tensor<T, R>(value_.extents(), value_.context());
      grad_allocated_ = true;
    }
    return grad_;
  }
  [[nodiscard]] bool has_grad() const { return grad_allocated_; }
  void zero_grad() override {
    if (grad_allocated_) grad_.set_zero();
  }
  void drop_grad() override {
    if (!leaf_) {
      grad_ = Tensor<T, R>();
      grad_allocated_ = false;
    }
  }

 private:
  Tensor<T, R> value_;
  Tensor<T, R> grad_;
  bool grad_allocated_ = false;
};

/// An op node: value, inputs, and a rule `rule(node, inputs...)` that reads
/// node.grad() and accumulates into the inputs' grad(), as ein::detail::OpNode.
template <class T, std::size_t R, class Rule, class... Inputs>
class DeviceOpNode final : public DeviceNode<T, R> {
 public:
  DeviceOpNode(Tensor<T, R> value, Rule rule, std::shared_ptr<Inputs>... in)
      : DeviceNode<T, R>(std::move(value), true), rule_(std::in_place, std::move(rule)), inputs_(std::move(in)...) {
    this->leaf_ = false;
  }

  void backward() override {
    if (this->released_)
      throw autodiff_error("backward through a graph that was already freed (pass ein::retain_graph to keep it)");
    std::apply([&](auto&... in) { (*rule_)(static_cast<DeviceNode<T, R>&>(*this), *in...); }, inputs_);
  }
  void release() override {
    inputs_ = {};
    rule_.reset();
    this->released_ = true;
  }
  [[nodiscard]] std::vector<ein::detail::Node*> inputs() const override {
    return std::apply([](auto&... in) { return std::vector<ein::detail::Node*>{in.get()...}; }, inputs_);
  }

 private:
  std::optional<Rule> rule_;
  std::tuple<std::shared_ptr<Inputs>...> inputs_;
};

}  // namespace ein::cuda::detail
