// Contraction: the lazy expression einsum returns. It holds its operands (see
// operand.hpp) and the bound spec; nothing is computed until it is assigned to
// a tensor or view, or eval() is called. A scalar factor folds into GEMM's
// alpha, and `C += expr` into its beta. Layer: expr.
#pragma once

#include <array>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "ein/lower/fast_pair.hpp"
#include "ein/expr/execute.hpp"
#include "ein/expr/operand.hpp"
#include "ein/expr/runtime_spec.hpp"
#include "ein/spec/bind.hpp"
#include "ein/spec/fixed_string.hpp"

namespace ein {
namespace detail {

/// The spec of a compile-time einsum: bound once, as a constant, per spec and ranks,
/// with what its fast paths need (the run-time spec, runtime_spec.hpp, has the same members).
template <fixed_string S, int... Ranks>
struct StaticSpec {
  static constexpr int ranks[] = {Ranks..., 0};
  static constexpr BoundSpec value = bind(S.view(), ranks, static_cast<int>(sizeof...(Ranks)));
  static constexpr StaticPair pair_value = static_pair(value);
  static constexpr StaticProduct product_value = static_product(value);
  static constexpr bool compile_time = true;
  static constexpr const BoundSpec& bound() { return value; }
  static constexpr std::string_view text() { return S.view(); }
  static constexpr const StaticPair& pair() { return pair_value; }
  static constexpr const StaticProduct& product() { return product_value; }
  static constexpr bool single() { return keeps_every_label(value); }
};

/// What the compile-time and run-time expressions share: operands, spec, alpha.
template <class T, class Source, class... Holders>
class ContractionCore {
 public:
  ContractionCore(Source source, Holders... holders) : source_(std::move(source)), operands_(std::move(holders)...) {}

  [[nodiscard]] const BoundSpec& bound() const { return source_.bound(); }
  [[nodiscard]] std::string_view spec() const { return source_.text(); }
  [[nodiscard]] T scale() const { return alpha_; }

  [[nodiscard]] std::array<Strided<const T>, sizeof...(Holders)> operands() const {
    return std::apply(
        [&](const auto&... h) {
          std::size_t k = 0;
          return std::array<Strided<const T>, sizeof...(Holders)>{labelled(h.view(), bound().inputs[k++])...};
        },
        operands_);
  }

  /// Every label's extent (checked: throws shape_error).
  [[nodiscard]] std::array<index_t, max_labels> label_extents() const { return label_extents(operands()); }
  /// The same for operands() already built.
  [[nodiscard]] std::array<index_t, max_labels> label_extents(
      const std::array<Strided<const T>, sizeof...(Holders)>& ops) const {
    std::array<index_t, max_labels> extent;  // (resolve_extents sets every label's)
    resolve_extents(bound(), spec(), ops.data(), static_cast<int>(ops.size()), extent.data());
    return extent;
  }

  /// dest = alpha * (this expression) + beta * dest by the general path. Throws
  /// shape_error when dest's extents are not the result's (checked in execute, after
  /// its memos: a shape they hold passed the check).
  void run(const Strided<T>& dest, T alpha, T beta) const {
    const auto ops = operands();
    execute<T>(bound(), spec(), ops.data(), static_cast<int>(ops.size()), dest, alpha_ * alpha, beta, true);
  }

  [[nodiscard]] bool overlaps(const void* begin, const void* end) const {
    return std::apply([&](const auto&... h) { return (h.overlaps(begin, end) || ...); }, operands_);
  }

  // The fast paths, one code for both entry points: a compile-time spec's StaticPair
  // and single flag are constants (the checks on them fold away), a run-time spec's
  // come from its cache entry (runtime_spec.hpp).

  /// Whether the two-operand fast path (lower/static_pair.hpp) may apply: known at compile time for a static spec.
  static constexpr bool may_take_pair() {
    if constexpr (sizeof...(Holders) != 2) return false;
    else if constexpr (Source::compile_time) return Source::pair().fast;
    else return true;
  }
  /// Whether the product path (lower/static_product.hpp) may apply: a spec it
  /// describes, but no GEMM-shaped pair (gemm_shaped). It goes before the pair path:
  /// a pair without M or N labels (a dot, a GEMV, their batches) the pair path
  /// would only decline after collapsing its groups (~370 instructions, "ij,ij->").
  static constexpr bool may_take_product() {
    if constexpr (Source::compile_time) return Source::product().fast && !gemm_shaped(Source::pair());
    else return true;
  }
  /// Whether the single path may apply: one operand whose every label is kept, a copy,
  /// diagonal, permutation or broadcast ("ii->i", "ij->ji"), evaluated by try_single.
  static constexpr bool may_take_single() {
    if constexpr (sizeof...(Holders) != 1) return false;
    else if constexpr (Source::compile_time) return Source::single();
    else return true;
  }

  /// The result's extents (checked: throws shape_error).
  template <std::size_t R>
  [[nodiscard, gnu::always_inline]] Extents<R> result_extents() const {
    Extents<R> out{};
    if constexpr (may_take_product()) {
      std::array<index_t, max_rank> summed{};
      if (!gemm_shaped(source_.pair()) && product_extents(out, summed)) return out;
    }
    if constexpr (may_take_pair())
      if (fast_extents(out)) return out;
    if constexpr (may_take_single())
      if (single_extents(out)) return out;
    const auto extent = label_extents();
    for (std::size_t d = 0; d < R; ++d) out[d] = extent[bound().output.labels[d]];
    return out;
  }
  /// dst = alpha * (this expression) + beta * dst, by the first path that takes it.
  template <std::size_t R>
  [[gnu::always_inline]] void evaluate(const TensorView<T, R>& dst, T alpha, T beta) const {
    if constexpr (may_take_product())
      if (!gemm_shaped(source_.pair()) && try_product(dst, alpha, beta)) return;
    if constexpr (may_take_pair())
      if (source_.pair().fast && try_fast_pair(source_.pair(), std::get<0>(operands_).view(),
                                               std::get<1>(operands_).view(), dst, T(alpha_ * alpha), beta))
        return;
    if constexpr (may_take_single())
      if (try_single(dst, alpha, beta)) return;
    run(labelled_destination(dst, bound().output), alpha, beta);
  }

  /// The fast path's extents: false when it does not apply or the operands' shared
  /// extents differ (broadcast or error: the general path decides).
  template <std::size_t R>
  bool fast_extents(Extents<R>& out) const {
    const StaticPair& p = source_.pair();
    return p.fast && pair_output_extents(p, std::get<0>(operands_).view(), std::get<1>(operands_).view(), out);
  }
  /// The product path's extents, of the output's axes and of the summed labels:
  /// false when it does not apply or two operands' extents of a label differ
  /// (size-1 broadcasting or an error: the general path decides).
  template <std::size_t R>
  bool product_extents(Extents<R>& out, std::array<index_t, max_rank>& summed) const {
    const StaticProduct& p = source_.product();
    if (!p.fast) return false;
    for (std::size_t o = 0; o != R; ++o) out[o] = -1;  // (!=, here and below: R may be 0)
    for (std::size_t l = 0; l < ix(p.summed); ++l) summed[l] = -1;
    bool agree = true;
    const auto take = [&](index_t& slot, index_t x) {
      if (slot < 0) slot = x;
      else agree = agree && slot == x;
    };
    for_each_operand([&](std::size_t k, const auto& v) {
      for (std::size_t o = 0; o != R; ++o)
        if (p.axis[k][o] >= 0) take(out[o], v.extent(static_cast<std::size_t>(p.axis[k][o])));
      for (std::size_t l = 0; l < ix(p.summed); ++l)
        if (p.summed_axis[k][l] >= 0) take(summed[l], v.extent(static_cast<std::size_t>(p.summed_axis[k][l])));
    });
    return agree;
  }
  /// The product path (lower/static_product.hpp): false where it does not apply
  /// (dst's extents are not the operands', or run_product declines).
  template <std::size_t R>
  bool try_product(const TensorView<T, R>& dst, T alpha, T beta) const {
    Extents<R> extents{};
    std::array<index_t, max_rank> summed{};
    if (!product_extents(extents, summed) || extents != dst.extents()) return false;
    const StaticProduct& p = source_.product();
    constexpr std::size_t N = sizeof...(Holders);
    ProductInput<T> in[N];
    for_each_operand([&](std::size_t k, const auto& v) {
      describe_input<T>(
          p, k, static_cast<int>(R), v.data(), v.extents().size(), [&](std::size_t d) { return v.extent(d); },
          [&](std::size_t d) { return v.stride(d); }, in[k]);
    });
    std::array<index_t, R + 1> stride{};  // (R + 1: never empty)
    for (std::size_t o = 0; o != R; ++o) stride[o] = dst.stride(o);
    return run_product<T, N>(in, dst.data(), stride.data(), extents.data(), static_cast<int>(R), summed.data(),
                             p.summed, T(alpha_ * alpha), beta);
  }
  /// f(k, view) for each operand k.
  template <class F>
  void for_each_operand(F&& f) const {
    [&]<std::size_t... K>(std::index_sequence<K...>) {
      (f(K, std::get<K>(operands_).view()), ...);
    }(std::index_sequence_for<Holders...>{});
  }
  /// The single path's extents: false when it does not apply or a repeated label's
  /// extents differ (the general path throws).
  template <std::size_t R>
  bool single_extents(Extents<R>& out) const {
    if (!source_.single()) return false;
    const auto& a = std::get<0>(operands_).view();
    const BoundTerm& in = bound().inputs[0];
    for (std::size_t o = 0; o < R; ++o) {
      index_t e = -1;
      for (std::size_t d = 0; d < ix(in.rank); ++d)
        if (in.labels[d] == bound().output.labels[o]) {
          if (e >= 0 && a.extent(d) != e) return false;
          e = a.extent(d);
        }
      out[o] = e;
    }
    return true;
  }
  /// The single path: one strided copy (repeated labels add their strides), with no
  /// planning, normalisation or scratch; a 1024-element diagonal costs as much again
  /// in the general path.
  template <std::size_t R>
  bool try_single(const TensorView<T, R>& dst, T alpha, T beta) const {
    Extents<R> extents{};
    if (!single_extents(extents) || extents != dst.extents()) return false;
    const auto& a = std::get<0>(operands_).view();
    const BoundTerm& in = bound().inputs[0];
    const T* pa = a.data();
    T* po = dst.data();
    if constexpr (R == 0) {
      po[0] = beta == T(0) ? alpha_ * alpha * pa[0] : alpha_ * alpha * pa[0] + beta * po[0];
    } else {
      // One axis per output label (a repeated input label adds its strides): a
      // one-input loop nest (lower/loop_nest.hpp), tiled where it permutes.
      Strided<const T> source;
      Strided<T> target;
      source.data = pa;
      target.data = po;
      source.rank = target.rank = static_cast<int>(R);
      for (std::size_t o = 0; o < R; ++o) {
        if (dst.stride(o) == 0 && dst.extent(o) > 1) return false;  // overlapping: the general path throws
        index_t sa = 0;
        for (std::size_t d = 0; d < ix(in.rank); ++d)
          if (in.labels[d] == bound().output.labels[o]) sa += a.stride(d);
        source.labels[o] = target.labels[o] = static_cast<unsigned char>(o);
        source.extents[o] = target.extents[o] = extents[o];
        source.strides[o] = sa;
        target.strides[o] = dst.stride(o);
      }
      memoized_loop_nest<T>(&source, 1, target, alpha_ * alpha, beta);
    }
    return true;
  }

 protected:
  Source source_;
  std::tuple<Holders...> operands_;
  T alpha_ = T(1);
};

}  // namespace detail

/// A lazy einsum of static output rank R (the compile-time entry point's result).
template <class T, std::size_t R, class Source, class... Holders>
class Contraction : public detail::ContractionCore<T, Source, Holders...> {
  using Core = detail::ContractionCore<T, Source, Holders...>;

 public:
  using value_type = T;
  static constexpr std::size_t rank = R;
  using Core::Core;

  /// The result's extents (checked: throws shape_error).
  [[nodiscard]] Extents<R> extents() const { return this->template result_extents<R>(); }
  /// dst = alpha * (this expression) + beta * dst. dst must have the result's extents.
  /// (Inlined with the fast path: a call and its frame are a tenth of a 4x4 product.)
  [[gnu::always_inline]] void evaluate_into(TensorView<T, R> dst, T alpha, T beta) const {
    this->evaluate(dst, alpha, beta);
  }
  [[nodiscard]] Tensor<T, R> eval() const { return Tensor<T, R>(*this); }

  friend Contraction operator*(T s, Contraction c) {
    c.alpha_ *= s;
    return c;
  }
  friend Contraction operator*(Contraction c, T s) { return s * std::move(c); }
  friend Contraction operator-(Contraction c) { return T(-1) * std::move(c); }
};

/// A lazy einsum whose spec was given at run time: its output rank is known only
/// then, so it converts to the Tensor<T, R> asked for and checks R.
template <class T, class... Holders>
class RuntimeContraction : public detail::ContractionCore<T, detail::RuntimeSpec, Holders...> {
  using Core = detail::ContractionCore<T, detail::RuntimeSpec, Holders...>;

 public:
  using value_type = T;
  using Core::Core;

  [[nodiscard]] int rank() const { return this->bound().output.rank; }

  /// The result's extents as a rank-R array (throws spec_error when the rank is not R, shape_error).
  template <std::size_t R>
  [[nodiscard, gnu::always_inline]] Extents<R> extents() const {
    check_rank(R);
    return this->template result_extents<R>();
  }
  /// dst = alpha * (this expression) + beta * dst. dst must have the result's extents.
  template <std::size_t R>
  [[gnu::always_inline]] void evaluate_into(TensorView<T, R> dst, T alpha, T beta) const {
    check_rank(R);
    this->evaluate(dst, alpha, beta);
  }
  template <std::size_t R>
  [[nodiscard]] Tensor<T, R> eval() const {
    Tensor<T, R> result(extents<R>());
    this->evaluate(result.view(), T(1), T(0));
    return result;
  }
  template <std::size_t R>
  operator Tensor<T, R>() const {  // NOLINT: `Tensor<float, 2> C = ein::einsum("ij,jk->ik", A, B);`
    return eval<R>();
  }

  friend RuntimeContraction operator*(T s, RuntimeContraction c) {
    c.alpha_ *= s;
    return c;
  }

 private:
  void check_rank(std::size_t r) const {
    if (static_cast<int>(r) != rank()) throw_rank(r);
  }
  [[noreturn, gnu::cold, gnu::noinline]] void throw_rank(std::size_t r) const {
    throw spec_error(error_prefix(this->spec()) + "the output has rank " + std::to_string(rank()) + ", not " +
                     std::to_string(r));
  }
};

}  // namespace ein
