// Node: one entry of the tape. A node owns its value and, once backward
// reaches it, its gradient; an op node also holds its inputs (shared, so the
// graph lives as long as its result) and the rule that pushes its gradient
// into theirs. Layer: autodiff.
//
// Two guarantees the rest of the tape relies on:
//   1. Freeing a graph never recurses: an op node hands its inputs to a
//      per-thread list (drop_inputs) that the outermost release empties in a
//      loop, so a chain of millions of ops frees on any stack.
//   2. Accumulation into a leaf's gradient holds the leaf's mutex (LeafGradLock
//      around every rule), so backward passes in several threads may share
//      leaves (parameters); they must not share non-leaf nodes.
//   3. A node's value may be pending (an einsum waiting for the bias and the
//      activation that may follow it, autodiff/einsum_node.hpp): it is computed on
//      its first read, or before any leaf's value is written (mutable_value) on
//      the thread that made it, so every read sees what computing it at once
//      would have given. A pending node's inputs are never pending: no chain.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <tuple>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include "ein/backend/host_device.hpp"

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
  /// The nodes this one was computed from: input(i) for i < input_count().
  [[nodiscard]] virtual std::size_t input_count() const { return 0; }
  [[nodiscard]] virtual Node* input(std::size_t) const { return nullptr; }
  /// Frees the gradient buffer of a non-leaf after backward.
  virtual void drop_grad() {}
  virtual void zero_grad() {}
  /// A pending einsum's epilogue (guarantee 3): folds a bias along the value's last
  /// axis (`bias`: a host node of the value's element type, rank 1, extent checked
  /// by the caller) or a relu into the computation still to come; false where this
  /// node is not a pending einsum that can take it (the caller then records the op).
  virtual bool fuse_bias(const std::shared_ptr<Node>& /*bias*/) { return false; }
  virtual bool fuse_relu() { return false; }

  [[nodiscard]] bool requires_grad() const { return requires_grad_; }
  [[nodiscard]] bool is_leaf() const { return leaf_; }
  [[nodiscard]] bool released() const { return released_; }
  /// Creation order: a node is always created after its inputs.
  [[nodiscard]] std::uint64_t order() const { return order_; }
  /// Held while anything adds into this node's gradient, when it is a leaf.
  [[nodiscard]] std::mutex& grad_mutex() const { return grad_mutex_; }
  /// Whether the value is still to be computed (guarantee 3).
  [[nodiscard]] bool pending() const { return pending_; }
  /// Computes a pending value now (else nothing).
  void settle() {
    if (!pending_) return;
    compute_value();
    pending_ = false;
    unlist_pending();
  }
  /// Marks an op node as reached by backward walk `walk`; false when it already was.
  bool mark_visited(std::uint64_t walk) {
    if (visited_ == walk) return false;
    visited_ = walk;
    return true;
  }

 protected:
  /// Computes a pending value (a pending node's own).
  virtual void compute_value() {}
  /// Marks the value pending and lists the node for settle_pending_values.
  void list_pending();
  /// Takes the node off that list (its destructor calls it while it is pending).
  void unlist_pending();

  bool requires_grad_;
  bool leaf_ = true;
  bool released_ = false;
  bool pending_ = false;
  std::uint64_t order_ = next_node_order();
  std::uint64_t visited_ = std::uint64_t(-1);

 private:
  friend class PendingNodes;
  mutable std::mutex grad_mutex_;
  Node* pending_prev_ = nullptr;  // the pending list's links (PendingNodes)
  Node* pending_next_ = nullptr;
  std::thread::id pending_thread_;
};

/// Every pending node of the process, with the thread that made it: a doubly
/// linked list through the nodes (no allocation), under one mutex (a node may be
/// read, and so settled or freed, on another thread than its maker's).
class PendingNodes {
 public:
  static PendingNodes& instance() {
    static PendingNodes& list = *new PendingNodes;  // (never destroyed: static Vars free their graphs after it)
    return list;
  }
  void add(Node* n) {
    const std::scoped_lock lock(mutex_);
    n->pending_thread_ = std::this_thread::get_id();
    n->pending_prev_ = nullptr;
    n->pending_next_ = head_;
    if (head_ != nullptr) head_->pending_prev_ = n;
    head_ = n;
    count_.fetch_add(1, std::memory_order_relaxed);
  }
  void remove(Node* n) {
    const std::scoped_lock lock(mutex_);
    unlink(n);
  }
  /// Settles the pending nodes this thread made (guarantee 3), one at a time.
  void settle_this_thread() {
    if (count_.load(std::memory_order_relaxed) == 0) return;
    const std::thread::id me = std::this_thread::get_id();
    while (true) {
      Node* mine = nullptr;
      {
        const std::scoped_lock lock(mutex_);
        for (Node* n = head_; n != nullptr && mine == nullptr; n = n->pending_next_)
          if (n->pending_thread_ == me) mine = n;
      }
      if (mine == nullptr) return;
      mine->settle();  // (takes it off the list)
    }
  }

 private:
  void unlink(Node* n) {
    if (n->pending_prev_ == nullptr && head_ != n) return;  // (not listed)
    if (n->pending_prev_ != nullptr) n->pending_prev_->pending_next_ = n->pending_next_;
    else head_ = n->pending_next_;
    if (n->pending_next_ != nullptr) n->pending_next_->pending_prev_ = n->pending_prev_;
    n->pending_prev_ = n->pending_next_ = nullptr;
    count_.fetch_sub(1, std::memory_order_relaxed);
  }

  std::mutex mutex_;
  Node* head_ = nullptr;
  std::atomic<std::size_t> count_{0};
};

inline void Node::list_pending() {
  pending_ = true;
  PendingNodes::instance().add(this);
}
inline void Node::unlist_pending() { PendingNodes::instance().remove(this); }

/// Computes this thread's pending values (guarantee 3): before a leaf's value is written.
inline void settle_pending_values() { PendingNodes::instance().settle_this_thread(); }

/// The list the outermost drop_inputs on this thread is emptying, or null. A
/// plain pointer: nothing to destroy at thread or program exit, so a static Var
/// may still free its graph then.
inline pooled_vector<std::shared_ptr<Node>>*& drop_list() {
  thread_local pooled_vector<std::shared_ptr<Node>>* list = nullptr;
  return list;
}

/// Drops an op node's references to its inputs without recursing (guarantee 1):
/// the outermost call collects them in a list and empties it in a loop; a node
/// freed meanwhile comes back here from its destructor and only adds its own
/// inputs to that list, one destructor deep, however long the chain behind it.
template <class... In>
void drop_inputs(std::shared_ptr<In>&... inputs) noexcept {
  pooled_vector<std::shared_ptr<Node>>*& active = drop_list();
  pooled_vector<std::shared_ptr<Node>> pending;  // (from the memory pool: no system allocation once warm)
  pooled_vector<std::shared_ptr<Node>>& list = active != nullptr ? *active : pending;
  const auto defer = [&list](auto& p) {
    if (!p) return;
    try {
      list.push_back(std::move(p));
    } catch (...) {  // no memory for the list: p is dropped here (recursing, as before)
    }
  };
  (defer(inputs), ...);
  if (active != nullptr) return;
  active = &pending;
  while (!pending.empty()) {
    std::shared_ptr<Node> last = std::move(pending.back());
    pending.pop_back();
    last.reset();  // may free a node, whose destructor adds its inputs to `pending`
  }
  active = nullptr;
}

/// Locks the mutexes of the leaves among a rule's inputs that take a gradient,
/// each once (x * x names x twice), in address order, so that two threads
/// locking overlapping sets cannot deadlock (guarantee 2).
template <std::size_t N>
class LeafGradLock {
 public:
  explicit LeafGradLock(const std::array<const Node*, N>& inputs) {
    for (const Node* n : inputs) {
      if (n == nullptr || !n->is_leaf() || !n->requires_grad()) continue;
      std::mutex* m = &n->grad_mutex();
      std::size_t at = 0;  // insertion into the sorted, distinct held_[0, count_)
      while (at < count_ && std::less<>{}(held_[at], m)) ++at;
      if (at < count_ && held_[at] == m) continue;
      for (std::size_t i = count_; i > at; --i) held_[i] = held_[i - 1];
      held_[at] = m;
      ++count_;
    }
    for (std::size_t i = 0; i < count_; ++i) held_[i]->lock();
  }
  ~LeafGradLock() {
    for (std::size_t i = count_; i-- > 0;) held_[i]->unlock();
  }
  LeafGradLock(const LeafGradLock&) = delete;
  LeafGradLock& operator=(const LeafGradLock&) = delete;

 private:
  std::array<std::mutex*, N> held_{};
  std::size_t count_ = 0;
};

/// A node holding a value (a tensor of some device: detail::device_of_t<Value>,
/// whose table allocates and adds its gradients) and, once backward reaches it,
/// its gradient.
template <class Value>
class ValueNode : public Node {
  using Device = device_of_t<Value>;

 public:
  ValueNode(Value value, bool requires_grad) : Node(requires_grad), value_(std::move(value)) {}

  /// The value, computed first where it is pending (guarantee 3).
  [[nodiscard]] const Value& value() const {
    if (this->pending_) [[unlikely]]
      const_cast<ValueNode*>(this)->settle();
    return value_;
  }
  /// The value to write (a leaf's, for optimizers and initialisers): this thread's
  /// pending values that may read it are computed first.
  [[nodiscard]] Value& mutable_value() {
    settle_pending_values();
    this->settle();
    return value_;
  }
  /// The value's buffer, of the right extents, before a pending value is computed
  /// into it (extents, and the pending node's own computation).
  [[nodiscard]] const Value& unsettled_value() const { return value_; }
  [[nodiscard]] Value& unsettled_value() { return value_; }

  /// The gradient, allocated (zero) on first use with the value's extents. For
  /// a non-leaf, the working buffer of one backward (see retained_grad).
  /// v = 0: the device's own pass where it has one (the host's splits across threads).
  static void set_zero(Value& v) {
    if constexpr (requires { Device::set_zero(v); }) Device::set_zero(v);
    else v.set_zero();
  }

  Value& grad() {
    if (!grad_allocated_) {
      grad_ = Device::zeros_like(value_);
      grad_allocated_ = true;
    }
    return grad_;
  }
  [[nodiscard]] bool has_grad() const { return grad_allocated_; }
  void zero_grad() override {
    if (grad_allocated_) set_zero(grad_);
    if (retained_allocated_) set_zero(retained_);
  }
  void drop_grad() override {
    if (leaf_) return;
    if (retains_grad_ && grad_allocated_) {
      if (retained_allocated_) Device::add_into(retained_, grad_);
      else retained_ = std::move(grad_);
      retained_allocated_ = true;
    }
    grad_ = Value();
    grad_allocated_ = false;
  }

  /// Keeps a non-leaf's gradient after each backward (PyTorch's retain_grad()):
  /// retained_grad() then adds up every backward's, as a leaf's gradient does.
  void retain_grad() { retains_grad_ = true; }
  [[nodiscard]] bool retains_grad() const { return retains_grad_; }
  /// The gradients kept since retain_grad(): zeros before a backward reached it.
  Value& retained_grad() {
    if (!retained_allocated_) {
      retained_ = Device::zeros_like(value_);
      retained_allocated_ = true;
    }
    return retained_;
  }

 private:
  Value value_;
  Value grad_;
  Value retained_;  // a non-leaf's gradients kept over backward calls, after retain_grad()
  bool grad_allocated_ = false;
  bool retained_allocated_ = false;
  bool retains_grad_ = false;
};

/// A new node of type N, from the memory pool (a repeated step allocates nothing).
template <class N, class... Args>
std::shared_ptr<N> make_node(Args&&... args) {
  return std::allocate_shared<N>(PoolAllocator<N>{}, std::forward<Args>(args)...);
}

/// A node holding a tensor of element type T and rank R on device D.
template <class T, std::size_t R, class D>
using NodeOf = ValueNode<Tensor<T, R, D>>;
/// A node holding a host tensor.
template <class T, std::size_t R>
using TensorNode = NodeOf<T, R, Host>;

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

  ~RuleNode() override { std::apply([](auto&... in) { drop_inputs(in...); }, inputs_); }
  RuleNode(const RuleNode&) = delete;
  RuleNode& operator=(const RuleNode&) = delete;

  void backward() override {
    if (this->released_)
      throw autodiff_error("backward through a graph that was already freed (pass ein::retain_graph to keep it)");
    const LeafGradLock<sizeof...(Inputs)> lock(
        std::apply([](const auto&... in) { return std::array<const Node*, sizeof...(Inputs)>{in.get()...}; }, inputs_));
    std::apply([&](auto&... in) { (*rule_)(static_cast<Base&>(*this), *in...); }, inputs_);
  }
  void release() override {
    std::apply([](auto&... in) { drop_inputs(in...); }, inputs_);
    rule_.reset();
    this->released_ = true;
  }
  [[nodiscard]] std::size_t input_count() const override { return sizeof...(Inputs); }
  [[nodiscard]] Node* input(std::size_t i) const override {
    return std::apply([i](auto&... in) { return std::array<Node*, sizeof...(Inputs)>{in.get()...}[i]; }, inputs_);
  }

 private:
  std::optional<Rule> rule_;  // reset when the graph is freed, with whatever it saved
  std::tuple<std::shared_ptr<Inputs>...> inputs_;
};

}  // namespace detail
}  // namespace ein
