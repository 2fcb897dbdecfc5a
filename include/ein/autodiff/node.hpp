// Node: one entry of the tape. A node owns its value and, once backward
// reaches it, its gradient; an op node also holds its inputs (shared, so the
// graph lives as long as its result) and the rule that pushes its gradient
// into theirs. Layer: autodiff.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <optional>
#include <tuple>
#include <stdexcept>
#include <string>
#include <vector>

#include "ein/tensor/tensor.hpp"

namespace ein {

/// Thrown for misuse of the tape: backward through a freed graph, backward on
/// a non-scalar without a seed, and the like.
class autodiff_error : public std::logic_error {
 public:
  using std::logic_error::logic_error;
};

namespace detail {

inline std::uint64_t next_node_order() {
  static std::atomic<std::uint64_t> counter{0};
  return counter.fetch_add(1, std::memory_order_relaxed);
}

class Node {
 public:
  explicit Node(bool requires_grad) : requires_grad_(requires_grad) {}
  virtual ~Node() = default;
  Node(const Node&) = delete;
  Node& operator=(const Node&) = delete;

  /// Pushes this node's gradient into its inputs' gradients (op nodes only).
  virtual void backward() {}
  /// Drops the inputs and the rule: the graph behind this node is freed.
  virtual void release() {}
  /// The nodes this one was computed from.
  [[nodiscard]] virtual std::vector<Node*> inputs() const { return {}; }
  /// Frees the gradient buffer of a non-leaf after backward.
  virtual void drop_grad() {}
  virtual void zero_grad() {}

  [[nodiscard]] bool requires_grad() const { return requires_grad_; }
  [[nodiscard]] bool is_leaf() const { return leaf_; }
  [[nodiscard]] bool released() const { return released_; }
  /// Creation order: a node is always created after its inputs.
  [[nodiscard]] std::uint64_t order() const { return order_; }

 protected:
  bool requires_grad_;
  bool leaf_ = true;
  bool released_ = false;
  std::uint64_t order_ = next_node_order();
};

/// A zero tensor with v's extents: a node's gradient buffer. Called unqualified,
/// so a backend's tensor type brings its own by ADL (ein::cuda::zeros_like).
template <class T, std::size_t R>
Tensor<T, R> zeros_like(const Tensor<T, R>& v) {
  return Tensor<T, R>(v.extents());
}

/// A node holding a value (a host Tensor here, a device tensor in ein::cuda) and,
/// once backward reaches it, its gradient.
template <class Value>
class ValueNode : public Node {
 public:
  ValueNode(Value value, bool requires_grad) : Node(requires_grad), value_(std::move(value)) {}

  [[nodiscard]] const Value& value() const { return value_; }
  [[nodiscard]] Value& mutable_value() { return value_; }

  /// The gradient, allocated (zero) on first use with the value's extents.
  Value& grad() {
    if (!grad_allocated_) {
      grad_ = zeros_like(value_);
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
      grad_ = Value();
      grad_allocated_ = false;
    }
  }

 private:
  Value value_;
  Value grad_;
  bool grad_allocated_ = false;
};

/// A node holding a host tensor of static rank R.
template <class T, std::size_t R>
using TensorNode = ValueNode<Tensor<T, R>>;

/// An op node over any value node type Base: value, inputs, and a backward rule
/// `rule(node, inputs...)` that reads node.grad() and accumulates into the
/// inputs' grad().
template <class Base, class Rule, class... Inputs>
class RuleNode final : public Base {
 public:
  template <class Value>
  RuleNode(Value value, Rule rule, std::shared_ptr<Inputs>... in)
      : Base(std::move(value), true), rule_(std::in_place, std::move(rule)), inputs_(std::move(in)...) {
    this->leaf_ = false;
  }

  void backward() override {
    if (this->released_)
      throw autodiff_error("backward through a graph that was already freed (pass ein::retain_graph to keep it)");
    std::apply([&](auto&... in) { (*rule_)(static_cast<Base&>(*this), *in...); }, inputs_);
  }
  void release() override {
    inputs_ = {};
    rule_.reset();
    this->released_ = true;
  }
  [[nodiscard]] std::vector<Node*> inputs() const override {
    return std::apply([](auto&... in) { return std::vector<Node*>{in.get()...}; }, inputs_);
  }

 private:
  std::optional<Rule> rule_;  // reset when the graph is freed, with whatever it saved
  std::tuple<std::shared_ptr<Inputs>...> inputs_;
};

/// An op node of the host tape.
template <class T, std::size_t R, class Rule, class... Inputs>
using OpNode = RuleNode<TensorNode<T, R>, Rule, Inputs...>;

}  // namespace detail
}  // namespace ein
