// The tape's side of a compile-time einsum on host Vars: its gradient (every
// operand's, from the output's, through the derived gradient specs) and the node
// of a two-operand GEMM-shaped one, a layer, whose value waits for its first read
// (node.hpp's guarantee 3) so that the bias and the relu that follow it fold in:
//
//   relu(einsum<"ij,lj->li">(W, X) + b)
//
// computes as: the output filled with b along its rows, the product accumulated
// onto it (beta = 1, where the GEMM would have zeroed the output itself first),
// relu in one pass right after, while the output is in the cache. Backward masks the
// output's gradient and sums the bias's in one pass, in place, then runs the einsum's
// gradients from it. Unfused, the same layer made two more passes forward (+ b and
// relu, each into a new tensor) and four more backward (two gradients zeroed, relu's
// and + b's rules). Each op folds in only where the einsum's result is held by
// nothing else (a temporary): a named result keeps its value. Layer: autodiff.
#pragma once

#include <algorithm>
#include <array>
#include <memory>
#include <tuple>
#include <utility>

#include "ein/autodiff/gradient_step.hpp"
#include "ein/autodiff/var.hpp"
#include "ein/lower/thread_chunks.hpp"
#include "ein/expr/einsum.hpp"
#include "ein/lower/fast_pair.hpp"
#include "ein/lower/static_pair.hpp"
#include "ein/math/element.hpp"
#include "ein/spec/derive.hpp"

namespace ein::detail {

/// The gradient specs of every operand, one per operand, as constants.
template <class Source, class Indices>
struct GradientSpecs;
template <class Source, std::size_t... K>
struct GradientSpecs<Source, std::index_sequence<K...>> {
  static constexpr BoundSpec forward = Source::value;
  static constexpr std::array<BoundSpec, sizeof...(K)> of = {derive_gradient(forward, static_cast<int>(K))...};
};

/// The gradient of operand K as a two-operand fast path (lower/static_pair.hpp), when it
/// qualifies: two forward operands, no broadcast seed axes, no diagonal in operand K.
template <class Source, std::size_t K>
struct GradientPair {
  static constexpr BoundSpec spec = derive_gradient(Source::value, static_cast<int>(K));
  static constexpr StaticPair pair = static_pair(spec);
  static constexpr bool fast = Source::value.num_inputs == 2 && pair.fast &&
                               spec.inputs[0].rank == Source::value.output.rank &&
                               spec.output.rank == Source::value.inputs[K].rank;
};

/// Accumulates the gradient of operand k of `forward` into `grad_k`.
/// `values` are every operand's value (Strided, forward labels); `seed` the output's gradient.
template <class T>
void accumulate_gradient(const BoundSpec& forward, const BoundSpec& gradient, std::string_view text, int k,
                         const Strided<const T>* values, const Strided<const T>& seed, const Strided<T>& grad_k) {
  HostBackend<T> be;
  accumulate_gradient_on<T>(be, forward, gradient, text, k, values, seed, grad_k);
}

/// The backward of einsum S (Source: its bound spec) over the tape nodes `in`: each
/// operand that requires a gradient gets its gradient einsum from `seed_tensor`, the
/// output's gradient, accumulated into its own (beta = 1).
template <fixed_string S, class Source, class T, std::size_t R, class... In>
void einsum_backward(const Tensor<T, R>& seed_tensor, In&... in) {
  using Grads = GradientSpecs<Source, std::make_index_sequence<sizeof...(In)>>;
  const std::array<Strided<const T>, sizeof...(In)> values = [&] {
    std::size_t k = 0;
    return std::array<Strided<const T>, sizeof...(In)>{labelled(in.value().view(), Source::value.inputs[k++])...};
  }();
  const Strided<const T> seed = labelled(seed_tensor.view(), Source::value.output);
  const auto inputs = std::forward_as_tuple(in...);
  const auto one = [&]<std::size_t K>(std::integral_constant<std::size_t, K>) {
    auto& node = std::get<K>(inputs);
    if (!node.requires_grad()) return;
    using Pair = GradientPair<Source, K>;
    if constexpr (Pair::fast) {  // "ij,jk->ik": dA = "ik,jk->ij", dB = "ik,ij->jk", straight to the GEMM
      const auto& other = std::get<1 - K>(inputs).value();
      if (try_fast_pair<Pair::pair, T>(seed_tensor.view(), other.view(), node.grad().view(), T(1), T(1))) return;
    }
    const auto grad_k = labelled_destination(node.grad().view(), Source::value.inputs[K]);
    accumulate_gradient<T>(Source::value, Grads::of[K], S.view(), static_cast<int>(K), values.data(), seed, grad_k);
  };
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    (one(std::integral_constant<std::size_t, K>{}), ...);
  }(std::make_index_sequence<sizeof...(In)>{});
}

/// Whether einsum S's tape node is an EinsumLayerNode: two operands, one GEMM
/// (where the product can accumulate onto a bias), an output of rank 1 or more.
template <class Source>
inline constexpr bool einsum_layer =
    Source::value.num_inputs == 2 && Source::value.output.rank >= 1 && static_pair(Source::value).fast;

/// The tape node of a layer (see the header): einsum S of the nodes a and b, then
/// an optional bias along the last axis and an optional relu, computed on first read.
template <fixed_string S, class Source, class T, std::size_t R, class NodeA, class NodeB>
class EinsumLayerNode final : public TensorNode<T, R> {
  using Bias = TensorNode<T, 1>;

 public:
  /// `buffer`: the output's extents, its elements to be computed.
  EinsumLayerNode(Tensor<T, R> buffer, std::shared_ptr<NodeA> a, std::shared_ptr<NodeB> b)
      : TensorNode<T, R>(std::move(buffer), true), a_(std::move(a)), b_(std::move(b)) {
    this->leaf_ = false;
    this->list_pending();
  }
  ~EinsumLayerNode() override {
    if (this->pending_) this->unlist_pending();
    drop_inputs(a_, b_, bias_);
  }
  EinsumLayerNode(const EinsumLayerNode&) = delete;
  EinsumLayerNode& operator=(const EinsumLayerNode&) = delete;

  bool fuse_bias(const std::shared_ptr<Node>& bias) override {
    if (!this->pending_ || bias_ || relu_ || this->retains_grad()) return false;
    bias->settle();  // (no pending input: node.hpp's guarantee 3)
    bias_ = std::static_pointer_cast<Bias>(bias);
    this->order_ = next_node_order();  // after the bias's: nothing holds this node yet
    return true;
  }
  bool fuse_relu() override {
    if (!this->pending_ || relu_ || this->retains_grad()) return false;
    relu_ = true;
    return true;
  }

  void backward() override {
    if (this->released_)
      throw autodiff_error("backward through a graph that was already freed (pass ein::retain_graph to keep it)");
    const LeafGradLock<3> lock({a_.get(), b_.get(), bias_.get()});
    Tensor<T, R>& g = this->grad();
    const Tensor<T, R>* seed = &g;
    Tensor<T, R> masked;  // (only where the gradient is retained: else it is masked in place)
    T* const bias_grad = bias_ && bias_->requires_grad() ? bias_->grad().data() : nullptr;
    if (relu_ || bias_grad != nullptr) {
      T* to = g.data();
      if (relu_ && this->retains_grad()) {
        masked = Tensor<T, R>(g.extents(), for_writing);
        to = masked.data();
        seed = &masked;
      }
      epilogue_backward(g.data(), relu_ ? this->value().data() : nullptr, to, bias_grad);
    }
    einsum_backward<S, Source>(*seed, *a_, *b_);
  }
  void release() override {
    this->settle();  // (a value never read yet may be read after the graph is freed)
    drop_inputs(a_, b_, bias_);
    this->released_ = true;
  }
  [[nodiscard]] std::size_t input_count() const override { return bias_ ? 3 : 2; }
  [[nodiscard]] Node* input(std::size_t i) const override {
    return i == 0 ? static_cast<Node*>(a_.get()) : i == 1 ? static_cast<Node*>(b_.get()) : bias_.get();
  }

 protected:
  void compute_value() override {
    Tensor<T, R>& out = this->unsettled_value();
    T* o = out.data();
    const index_t n = out.size(), cols = out.extent(R - 1);
    T beta = T(0);
    if (bias_ && n > 0) {
      const T* b = bias_->value().data();
      count_pass(n);
      over_thread_columns(n / cols, cols, [&](index_t c0, index_t c1) {
        for (index_t row = 0; row < n; row += cols) std::copy(b + c0, b + c1, o + row + c0);
      });
      beta = T(1);
    }
    ein::einsum<S>(a_->value(), b_->value()).evaluate_into(out.view(), T(1), beta);
    if (relu_) {
      count_pass(n);
      over_thread_chunks(n, [&](index_t begin, index_t end) {
        for (index_t k = begin; k < end; ++k) o[k] = math::Relu{}(o[k]);
      });
    }
  }

 private:
  /// to = g * relu'(y) (y null: g, not written), and bias_grad += to summed over the
  /// rows (null: not; y and bias_grad not both null), in one pass split across the
  /// threads by columns: each bias sum goes row after row, as + b's own rule adds it
  /// (the same sums, on any number of threads).
  void epilogue_backward(const T* g, const T* y, T* to, T* bias_grad) {
    const Tensor<T, R>& out = this->unsettled_value();
    const index_t n = out.size(), cols = out.extent(R - 1);
    if (n == 0) return;
    count_pass(n);
    if (bias_grad == nullptr) {
      over_thread_chunks(n, [&](index_t begin, index_t end) {
        for (index_t k = begin; k < end; ++k) to[k] = g[k] * T(y[k] > T(0));
      });
      return;
    }
    over_thread_columns(n / cols, cols, [&](index_t c0, index_t c1) {
      for (index_t row = 0; row < n; row += cols) {
        if (y != nullptr)
          for (index_t c = c0; c < c1; ++c) {
            const T v = g[row + c] * T(y[row + c] > T(0));
            to[row + c] = v;
            bias_grad[c] += v;
          }
        else
          for (index_t c = c0; c < c1; ++c) bias_grad[c] += g[row + c];
      }
    });
  }

  std::shared_ptr<NodeA> a_;
  std::shared_ptr<NodeB> b_;
  std::shared_ptr<Bias> bias_;
  bool relu_ = false;
};

}  // namespace ein::detail
