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

/// The gradient of operand K as a two-operand fast path (lower/static_pair.hpp's
/// gradient_pair), when it qualifies.
template <class Source, std::size_t K>
struct GradientPair {
  static constexpr StaticPair pair =
      gradient_pair(Source::value, GradientSpecs<Source, std::make_index_sequence<ix(Source::value.num_inputs)>>::of[K],
                    static_cast<int>(K));
  static constexpr bool fast = pair.fast;
};

/// Operand K's gradient spec of an einsum of N operands (source: its StaticSpec or
/// RuntimeSpec): derived at compile time, or once per run-time spec.
template <std::size_t K, std::size_t N, class Source>
const BoundSpec& gradient_spec(const Source& source) {
  if constexpr (Source::compile_time) return GradientSpecs<Source, std::make_index_sequence<N>>::of[K];
  else return source.data->gradient(static_cast<int>(K));
}

/// Operand K's gradient as a fast path (GradientPair's, or the run-time spec's).
template <std::size_t K, class Source>
const StaticPair& gradient_pair_of(const Source& source) {
  if constexpr (Source::compile_time) return GradientPair<Source, K>::pair;
  else return source.data->gradient_pair(static_cast<int>(K));
}
/// Whether operand K's gradient may take the fast path: known at compile time for a
/// compile-time spec (its code is then compiled only where it does).
template <class Source, std::size_t K>
constexpr bool may_take_gradient_pair() {
  if constexpr (Source::compile_time) return GradientPair<Source, K>::fast;
  else return true;
}

/// Accumulates the gradient of operand k of `forward` into `grad_k`.
/// `values` are every operand's value (Strided, forward labels); `seed` the output's gradient.
template <class T>
void accumulate_gradient(const BoundSpec& forward, const BoundSpec& gradient, std::string_view text, int k,
                         const Strided<const T>* values, const Strided<const T>& seed, const Strided<T>& grad_k) {
  HostBackend<T> be;
  accumulate_gradient_on<T>(be, forward, gradient, text, k, values, seed, grad_k);
}

/// f(K) for each operand K of an einsum's backward (`inputs`: its tape nodes) that
/// requires a gradient, K a std::integral_constant.
template <class Inputs, class F>
void for_each_gradient(const Inputs& inputs, F&& f) {
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    const auto one = [&](auto k) {
      if (std::get<decltype(k)::value>(inputs).requires_grad()) f(k);
    };
    (one(std::integral_constant<std::size_t, K>{}), ...);
  }(std::make_index_sequence<std::tuple_size_v<Inputs>>{});
}

/// The backward of an einsum on host Vars (source: its StaticSpec or RuntimeSpec,
/// expr/contraction.hpp and runtime_spec.hpp) over the tape nodes `in`: each operand
/// that requires a gradient gets its gradient einsum from `seed_tensor`, the output's
/// gradient, accumulated into its own (beta = 1).
template <class Source, class T, std::size_t R, class... In>
void einsum_backward(const Source& source, const Tensor<T, R>& seed_tensor, In&... in) {
  constexpr std::size_t N = sizeof...(In);
  const BoundSpec& forward = source.bound();
  const auto inputs = std::forward_as_tuple(in...);
  for_each_gradient(inputs, [&]<std::size_t K>(std::integral_constant<std::size_t, K>) {
    auto& grad = std::get<K>(inputs).grad();
    if constexpr (N == 2 && may_take_gradient_pair<Source, K>()) {
      // "ij,jk->ik": dA = "ik,jk->ij", dB = "ik,ij->jk", straight to the GEMM
      const StaticPair& pair = gradient_pair_of<K>(source);
      if (pair.fast && try_fast_pair(pair, seed_tensor.view(), std::get<1 - K>(inputs).value().view(), grad.view(),
                                     T(1), T(1)))
        return;
    }
    // The general path: the operands labelled (only here: the fast path reads none of this).
    std::size_t k = 0;
    const std::array<Strided<const T>, N> values{labelled(in.value().view(), forward.inputs[k++])...};
    accumulate_gradient<T>(forward, gradient_spec<K, N>(source), source.text(), static_cast<int>(K), values.data(),
                           labelled(seed_tensor.view(), forward.output),
                           labelled_destination(grad.view(), forward.inputs[K]));
  });
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
    einsum_backward(Source{}, *seed, *a_, *b_);
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
