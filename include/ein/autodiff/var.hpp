// Var: the user's handle on a tape node, on any device. ein::param makes a leaf
// that requires a gradient, ein::constant one that does not; every op on Vars
// records a node (unless an ein::no_grad guard is alive) and returns a Var of the
// same device. Layer: autodiff.
#pragma once

#include <algorithm>
#include <concepts>
#include <memory>
#include <mutex>
#include <span>
#include <vector>

#include "ein/autodiff/node.hpp"

namespace ein {

/// Pass to backward() to keep the graph for another backward.
struct retain_graph_t {};
inline constexpr retain_graph_t retain_graph{};

namespace detail {
inline int& no_grad_depth() {
  thread_local int depth = 0;
  return depth;
}

/// Told, during a backward on the thread that installed it (ObserveBackward), when
/// a watched leaf's gradient is complete: the last rule that adds into it has run,
/// while the rules of the rest of the graph are still to run. ein::dist starts
/// averaging those gradients across processes then (as PyTorch's DDP does from
/// its gradient hooks). A watched leaf that the backward does not reach is not told.
class BackwardObserver {
 public:
  /// The leaves watched, sorted by address (std::less).
  [[nodiscard]] virtual std::span<const Node* const> watched() const = 0;
  /// watched()[i]'s gradient is complete for this backward (told once a backward).
  virtual void gradient_complete(std::size_t i) = 0;
  /// After every rule: a point to make progress on what gradient_complete started.
  virtual void after_rule() {}

 protected:
  ~BackwardObserver() = default;
};

/// This thread's observer of backward (null: none).
inline BackwardObserver*& backward_observer() {
  thread_local BackwardObserver* observer = nullptr;
  return observer;
}

/// RAII: `observer` watches every backward this thread runs while alive.
class ObserveBackward {
 public:
  explicit ObserveBackward(BackwardObserver& observer) : previous_(backward_observer()) {
    backward_observer() = &observer;
  }
  ~ObserveBackward() { backward_observer() = previous_; }
  ObserveBackward(const ObserveBackward&) = delete;
  ObserveBackward& operator=(const ObserveBackward&) = delete;

 private:
  BackwardObserver* previous_;
};

/// Runs the rules (newest first) telling `observer` of each watched leaf after the
/// last rule that adds into it: first each leaf's rules are counted (a rule naming
/// a leaf twice, x * x, adds once), then counted down as they run.
inline void run_observed(const pooled_vector<Node*>& nodes, BackwardObserver& observer) {
  const std::span<const Node* const> watched = observer.watched();
  const auto for_each_watched_input = [&](const Node* n, auto&& f) {
    for (std::size_t i = 0, count = n->input_count(); i < count; ++i) {
      const Node* in = n->input(i);
      if (in == nullptr || !in->is_leaf()) continue;
      bool again = false;
      for (std::size_t j = 0; j < i && !again; ++j) again = n->input(j) == in;
      const auto at = std::lower_bound(watched.begin(), watched.end(), in, std::less<>{});
      if (!again && at != watched.end() && *at == in) f(static_cast<std::size_t>(at - watched.begin()));
    }
  };
  pooled_vector<std::size_t> rules_left(watched.size(), 0);
  for (const Node* n : nodes) for_each_watched_input(n, [&](std::size_t w) { ++rules_left[w]; });
  for (Node* n : nodes) {
    n->backward();
    for_each_watched_input(n, [&](std::size_t w) {
      if (--rules_left[w] == 0) observer.gradient_complete(w);
    });
    observer.after_rule();
  }
}

/// Runs every rule from `root` back to the leaves, in reverse creation order,
/// then frees the graph unless asked to keep it.
inline void run_backward(Node* root, bool retain) {
  if (root->released()) throw autodiff_error("backward through a graph that was already freed (pass ein::retain_graph to keep it)");
  // The op nodes that need a gradient, each once (marked with this walk's
  // number; leaves are not collected, and not marked: threads may share them).
  // Lists from the memory pool: a repeated step allocates nothing.
  const std::uint64_t walk = next_node_order();
  pooled_vector<Node*> nodes;
  pooled_vector<Node*> stack{root};
  while (!stack.empty()) {
    Node* n = stack.back();
    stack.pop_back();
    if (!n->requires_grad() || n->is_leaf() || !n->mark_visited(walk)) continue;
    if (n->released())
      throw autodiff_error("backward through a graph that was already freed (pass ein::retain_graph to keep it)");
    nodes.push_back(n);
    for (std::size_t i = 0, count = n->input_count(); i < count; ++i) stack.push_back(n->input(i));
  }
  std::sort(nodes.begin(), nodes.end(), [](Node* a, Node* b) { return a->order() > b->order(); });
  if (BackwardObserver* observer = backward_observer(); observer != nullptr) run_observed(nodes, *observer);
  else
    for (Node* n : nodes) n->backward();
  // Gradients of non-leaves live for one backward only (as in PyTorch), so a
  // second backward over a retained graph does not count the first one again.
  // Oldest first: a node is still held by its newer consumers while it is
  // released (releasing a newer one first could destroy it under us).
  for (auto it = nodes.rbegin(); it != nodes.rend(); ++it) {
    (*it)->drop_grad();
    if (!retain) (*it)->release();
  }
}
}  // namespace detail

namespace detail {
/// What Var::grad() returns: a leaf's gradient,
/// a non-leaf's retained one, or an autodiff_error for a non-leaf's freed one.
template <class Value>
Value& grad_of(ValueNode<Value>& node) {
  if (node.is_leaf()) return node.grad();
  if (node.retains_grad()) return node.retained_grad();
  throw autodiff_error(
      "grad() of a non-leaf Var (the result of an op): non-leaf gradients are freed by backward; call "
      "retain_grad() on it before backward to keep its gradient");
}
}  // namespace detail

/// Whether ops record onto the tape (false while an ein::no_grad is alive).
inline bool grad_enabled() { return detail::no_grad_depth() == 0; }

/// RAII: while alive, ops on Vars record nothing and return constants.
class no_grad {
 public:
  no_grad() { ++detail::no_grad_depth(); }
  ~no_grad() { --detail::no_grad_depth(); }
  no_grad(const no_grad&) = delete;
  no_grad& operator=(const no_grad&) = delete;
};

/// The user's handle on a tape node: a value of element type T and rank R on
/// device D (ein::Host, or ein::cuda::Device: ein::cuda::Var<T, R> names it), its
/// gradient on the same device. Every op, loss and optimizer takes Vars of any device.
template <class T, std::size_t R, class D = Host>
class Var {
 public:
  using value_type = T;
  using device_type = D;
  using tensor_type = Tensor<T, R, D>;
  static constexpr std::size_t var_rank = R;
  using node_type = detail::NodeOf<T, R, D>;

  Var() : node_(detail::make_node<node_type>(tensor_type(), false)) {}
  explicit Var(std::shared_ptr<node_type> node) : node_(std::move(node)) {}

  [[nodiscard]] const tensor_type& value() const { return node_->value(); }
  /// A leaf's gradient: zeros (of the value's extents) before any backward
  /// reached it. A non-leaf's only after retain_grad(); otherwise it was freed
  /// by backward (PyTorch gives None) and this throws ein::autodiff_error.
  [[nodiscard]] tensor_type& grad() const { return detail::grad_of(*node_); }
  /// Keeps this non-leaf's gradient over backward calls, for grad() (PyTorch's
  /// retain_grad()); on a leaf, which keeps its own, it does nothing.
  void retain_grad() const { node_->retain_grad(); }
  [[nodiscard]] bool requires_grad() const { return node_->requires_grad(); }
  [[nodiscard]] index_t extent(std::size_t d) const { return extents()[d]; }
  /// (Known before a pending value is computed: node.hpp's guarantee 3.)
  [[nodiscard]] const Extents<R>& extents() const { return node_->unsettled_value().extents(); }
  /// The device context the value lives on (devices that have one: a CUDA stream).
  [[nodiscard]] decltype(auto) context() const
    requires requires(const tensor_type& t) { t.context(); }
  {
    return value().context();
  }

  /// Back-propagates from a scalar: its gradient is seeded with 1.
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
  /// Back-propagates from a non-scalar with an explicit seed gradient of its
  /// extents, on the Var's device.
  void backward(const tensor_type& seed, bool retain = false) const {
    if (seed.extents() != value().extents())
      throw shape_error("backward: seed extents " + to_string(seed.extents()) + " differ from the value's " +
                        to_string(value().extents()));
    if (!requires_grad()) throw autodiff_error("backward on a Var that does not require a gradient");
    {
      const std::scoped_lock lock(node_->grad_mutex());  // a leaf's gradient accumulates the seed, as any other
      D::add_into(node_->grad(), seed);
    }
    detail::run_backward(node_.get(), retain);
  }
  void zero_grad() const { node_->zero_grad(); }

  /// The tape node (for ops).
  [[nodiscard]] const std::shared_ptr<node_type>& node() const { return node_; }
  /// Writable value of a leaf, for optimizers and initialisers.
  [[nodiscard]] tensor_type& mutable_value() const { return node_->mutable_value(); }

 private:
  void seed_and_run(bool retain) const {
    if (!requires_grad()) throw autodiff_error("backward on a Var that does not require a gradient");
    {
      const std::scoped_lock lock(node_->grad_mutex());
      D::add_scalar(node_->grad(), T(1));
    }
    detail::run_backward(node_.get(), retain);
  }

  std::shared_ptr<node_type> node_;
};

namespace detail {
/// The Var holding a tensor of type Value, on that tensor's device.
template <class Value>
using var_of_t = Var<typename Value::value_type, Value::rank, device_of_t<Value>>;
}  // namespace detail

/// A leaf that requires a gradient, holding `value` on the value's device.
template <class Value, class V = detail::var_of_t<Value>>
V param(Value value) {
  return V(detail::make_node<typename V::node_type>(std::move(value), true));
}
/// A leaf that does not.
template <class Value, class V = detail::var_of_t<Value>>
V constant(Value value) {
  return V(detail::make_node<typename V::node_type>(std::move(value), false));
}

namespace detail {
template <class X>
struct is_var : std::false_type {};
template <class T, std::size_t R, class D>
struct is_var<Var<T, R, D>> : std::true_type {};
}  // namespace detail

/// A Var of any element type, rank and device.
template <class X>
concept VarType = detail::is_var<std::remove_cvref_t<X>>::value;
/// A Var on the host.
template <class X>
concept HostVarType = VarType<X> && std::same_as<typename std::remove_cvref_t<X>::device_type, Host>;

namespace detail {
/// Records an op: a node with a rule when some input requires a gradient and
/// recording is on, else a constant. rule(self, inputs...) reads self.grad().
/// The result is a Var of `value`'s device.
template <class T, std::size_t R, class Value, class Rule, class... In>
Var<T, R, device_of_t<Value>> record(Value value, Rule rule, const std::shared_ptr<In>&... inputs) {
  const bool track = grad_enabled() && (inputs->requires_grad() || ...);
  if (!track) return constant(std::move(value));
  using OpNode = RuleNode<ValueNode<Value>, Rule, In...>;
  return Var<T, R, device_of_t<Value>>(make_node<OpNode>(std::move(value), std::move(rule), inputs...));
}
}  // namespace detail

}  // namespace ein
