// The nodes of an element-wise expression (ElementwiseUnary, ElementwiseBinary) and
// its leaves (views, owned tensors, scalars, materialised sub-expressions), each with
// the evaluator that reads it inside the fused loop. Layer: expr (element-wise).
#pragma once

#include <array>
#include <concepts>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include "ein/expr/elementwise/loop.hpp"
#include "ein/math/element.hpp"
#include "ein/tensor/expression.hpp"
#include "ein/tensor/shape.hpp"
#include "ein/tensor/tensor.hpp"
#include "ein/tensor/view.hpp"

namespace ein {

namespace detail {
template <class X>
inline constexpr bool is_tensor_v = false;
template <class T, std::size_t R>
inline constexpr bool is_tensor_v<Tensor<T, R>> = true;
template <class X>
inline constexpr bool is_view_v = false;
template <class T, std::size_t R>
inline constexpr bool is_view_v<TensorView<T, R>> = true;

/// ElementwiseUnary and ElementwiseBinary say so; their operands nest without materialising.
template <class X>
concept ElementwiseNode = requires { requires X::is_elementwise_node; };
}  // namespace detail

/// What the element-wise operators and functions accept: a Tensor, a TensorView
/// (const or not) or any Expression. Nothing else, so Eigen's operators and the
/// arithmetic types keep theirs.
template <class X>
concept ElementwiseOperand = detail::is_tensor_v<std::remove_cvref_t<X>> ||
                             detail::is_view_v<std::remove_cvref_t<X>> || Expression<std::remove_cvref_t<X>>;

namespace detail {

/// Reads a strided view; the evaluator of every leaf that holds memory.
template <class T, std::size_t R>
class LeafEvaluator {
 public:
  explicit LeafEvaluator(const TensorView<const T, R>& view) : data_(view.data()), row_(view.data()) {
    for (std::size_t d = 0; d < R; ++d) strides_[d] = view.stride(d);
    if constexpr (R > 0) inner_ = view.stride(R - 1);
  }
  T at_flat(index_t i) const { return data_[i]; }
  template <std::size_t N>
  void row(const std::array<index_t, N>& outer) {
    index_t offset = 0;
    for (std::size_t d = 0; d < N; ++d) offset += outer[d] * strides_[d];
    row_ = data_ + offset;
  }
  template <bool Unit>
  T at_row(index_t j) const {
    if constexpr (Unit) return row_[j];
    else return row_[j * inner_];
  }

 private:
  const T* data_;
  const T* row_;
  std::array<index_t, R> strides_{};
  index_t inner_ = 1;
};

template <class T, std::size_t R>
bool view_overlaps(const TensorView<const T, R>& view, const void* begin, const void* end) {
  const auto [first, last] = view.span_bytes();
  return ranges_overlap(first, last, begin, end);
}

/// A Tensor or TensorView operand, by reference: the expression must not outlive it.
template <class T, std::size_t R>
class ViewLeaf {
 public:
  using value_type = T;
  static constexpr std::size_t rank = R;
  explicit ViewLeaf(const TensorView<const T, R>& view) : view_(view) {}

  [[nodiscard]] Extents<R> extents() const { return view_.extents(); }
  [[nodiscard]] bool overlaps(const void* begin, const void* end) const { return view_overlaps(view_, begin, end); }
  [[nodiscard]] bool dense() const { return is_dense(view_.extents(), view_.strides()); }
  [[nodiscard]] bool unit_rows() const { return has_unit_rows(view_.extents(), view_.strides()); }

  struct Evaluator : LeafEvaluator<T, R> {
    explicit Evaluator(const ViewLeaf& leaf) : LeafEvaluator<T, R>(leaf.view_) {}
  };

 private:
  TensorView<const T, R> view_;
};

/// A Tensor operand passed as an rvalue, moved in so that `auto e = exp(make())` does
/// not dangle. Copying the expression copies the tensor.
template <class T, std::size_t R>
class TensorLeaf {
 public:
  using value_type = T;
  static constexpr std::size_t rank = R;
  explicit TensorLeaf(Tensor<T, R>&& tensor) : tensor_(std::move(tensor)) {}

  [[nodiscard]] Extents<R> extents() const { return tensor_.extents(); }
  [[nodiscard]] bool overlaps(const void* begin, const void* end) const {
    return view_overlaps(tensor_.view(), begin, end);
  }
  [[nodiscard]] bool dense() const { return true; }
  [[nodiscard]] bool unit_rows() const { return true; }

  struct Evaluator : LeafEvaluator<T, R> {
    explicit Evaluator(const TensorLeaf& leaf) : LeafEvaluator<T, R>(leaf.tensor_.view()) {}
  };

 private:
  Tensor<T, R> tensor_;
};

/// Any other Expression (an einsum, a reduction): evaluated into a temporary Tensor each
/// time the enclosing expression is evaluated, before the fused loop, then read like a
/// dense tensor. The expression stays lazy: it sees its operands' values at evaluation.
template <class E>
class ExprLeaf {
 public:
  using value_type = typename E::value_type;
  static constexpr std::size_t rank = E::rank;
  explicit ExprLeaf(E expr) : expr_(std::move(expr)) {}

  [[nodiscard]] Extents<rank> extents() const { return expr_.extents(); }
  [[nodiscard]] bool overlaps(const void* begin, const void* end) const { return expr_.overlaps(begin, end); }
  [[nodiscard]] bool dense() const { return true; }
  [[nodiscard]] bool unit_rows() const { return true; }

  class Evaluator {
   public:
    explicit Evaluator(const ExprLeaf& leaf) : value_(leaf.expr_), leaf_(std::as_const(value_).view()) {}
    Evaluator(const Evaluator&) = delete;  // leaf_ points into value_
    Evaluator& operator=(const Evaluator&) = delete;

    value_type at_flat(index_t i) const { return leaf_.at_flat(i); }
    template <std::size_t N>
    void row(const std::array<index_t, N>& outer) { leaf_.row(outer); }
    template <bool Unit>
    value_type at_row(index_t j) const { return leaf_.template at_row<Unit>(j); }

   private:
    Tensor<value_type, rank> value_;
    LeafEvaluator<value_type, rank> leaf_;
  };

 private:
  E expr_;
};

/// A scalar operand (`2.f * A`, `max(x, 0.f)`): the same value at every index, no extents.
template <class T>
class Constant {
 public:
  using value_type = T;
  explicit Constant(T value) : value_(value) {}

  [[nodiscard]] bool overlaps(const void*, const void*) const { return false; }
  [[nodiscard]] bool dense() const { return true; }
  [[nodiscard]] bool unit_rows() const { return true; }

  struct Evaluator {
    explicit Evaluator(const Constant& c) : value(c.value_) {}
    T at_flat(index_t) const { return value; }
    template <std::size_t N>
    void row(const std::array<index_t, N>&) {}
    template <bool Unit>
    T at_row(index_t) const { return value; }
    T value;
  };

 private:
  T value_;
};

template <class X>
inline constexpr bool is_constant_v = false;
template <class T>
inline constexpr bool is_constant_v<Constant<T>> = true;

template <class A, class B>
constexpr std::size_t binary_rank() {
  if constexpr (detail::is_constant_v<A>) return B::rank;
  else return A::rank;
}

}  // namespace detail

/// op(a) at every index: the type of `exp(A)`, `-A`, `relu(A + B)`.
template <class Op, class A>
class ElementwiseUnary {
 public:
  using value_type = typename A::value_type;
  static constexpr std::size_t rank = A::rank;
  static constexpr bool is_elementwise_node = true;

  ElementwiseUnary(Op op, A a) : op_(op), a_(std::move(a)) {}

  [[nodiscard]] Extents<rank> extents() const { return a_.extents(); }
  [[nodiscard]] bool overlaps(const void* begin, const void* end) const { return a_.overlaps(begin, end); }
  [[nodiscard]] bool dense() const { return a_.dense(); }
  [[nodiscard]] bool unit_rows() const { return a_.unit_rows(); }
  /// dst = alpha * this + beta * dst in one pass (see loop.hpp).
  void evaluate_into(TensorView<value_type, rank> dst, value_type alpha, value_type beta) const {
    detail::evaluate_elementwise(*this, dst, alpha, beta);
  }

  class Evaluator {
   public:
    explicit Evaluator(const ElementwiseUnary& node) : op_(node.op_), a_(node.a_) {}
    value_type at_flat(index_t i) const { return op_(a_.at_flat(i)); }
    template <std::size_t N>
    void row(const std::array<index_t, N>& outer) { a_.row(outer); }
    template <bool Unit>
    value_type at_row(index_t j) const { return op_(a_.template at_row<Unit>(j)); }

   private:
    [[no_unique_address]] Op op_;
    typename A::Evaluator a_;
  };

 private:
  [[no_unique_address]] Op op_;
  A a_;
};

/// op(a, b) at every index, the type of `A + B`, `2.f * A`, `max(A, 0.f)`; a or b may be a Constant, never both. The extents of the
/// two sides must be equal (no broadcasting), checked by extents().
template <class Op, class A, class B>
class ElementwiseBinary {
 public:
  using value_type = typename A::value_type;
  static constexpr std::size_t rank = detail::binary_rank<A, B>();
  static constexpr bool is_elementwise_node = true;

  ElementwiseBinary(Op op, A a, B b) : op_(op), a_(std::move(a)), b_(std::move(b)) {}

  /// Throws shape_error: `elementwise '+': extents (3, 4) and (4, 3) differ`.
  [[nodiscard]] Extents<rank> extents() const {
    if constexpr (detail::is_constant_v<A>) {
      return b_.extents();
    } else if constexpr (detail::is_constant_v<B>) {
      return a_.extents();
    } else {
      const Extents<rank> ea = a_.extents();
      const Extents<rank> eb = b_.extents();
      if (ea != eb)
        throw shape_error(std::string("elementwise '") + math::name_of<Op>() + "': extents " + to_string(ea) + " and " +
                          to_string(eb) + " differ");
      return ea;
    }
  }
  [[nodiscard]] bool overlaps(const void* begin, const void* end) const {
    return a_.overlaps(begin, end) || b_.overlaps(begin, end);
  }
  [[nodiscard]] bool dense() const { return a_.dense() && b_.dense(); }
  [[nodiscard]] bool unit_rows() const { return a_.unit_rows() && b_.unit_rows(); }
  /// dst = alpha * this + beta * dst in one pass (see loop.hpp).
  void evaluate_into(TensorView<value_type, rank> dst, value_type alpha, value_type beta) const {
    detail::evaluate_elementwise(*this, dst, alpha, beta);
  }

  class Evaluator {
   public:
    explicit Evaluator(const ElementwiseBinary& node) : op_(node.op_), a_(node.a_), b_(node.b_) {}
    value_type at_flat(index_t i) const { return op_(a_.at_flat(i), b_.at_flat(i)); }
    template <std::size_t N>
    void row(const std::array<index_t, N>& outer) {
      a_.row(outer);
      b_.row(outer);
    }
    template <bool Unit>
    value_type at_row(index_t j) const {
      return op_(a_.template at_row<Unit>(j), b_.template at_row<Unit>(j));
    }

   private:
    [[no_unique_address]] Op op_;
    typename A::Evaluator a_;
    typename B::Evaluator b_;
  };

 private:
  [[no_unique_address]] Op op_;
  A a_;
  B b_;
};

namespace detail {

/// The leaf adapter: turns an operand into a node or leaf.
///   Tensor lvalue, TensorView   -> ViewLeaf (by reference)
///   Tensor rvalue               -> TensorLeaf (moved in; a const one copied)
///   ElementwiseUnary, -Binary   -> itself (copied or moved)
///   any other Expression        -> ExprLeaf (materialised at evaluation)
template <ElementwiseOperand X>
auto as_node(X&& x) {
  using D = std::remove_cvref_t<X>;
  if constexpr (is_tensor_v<D>) {
    if constexpr (std::is_rvalue_reference_v<X&&> && !std::is_const_v<std::remove_reference_t<X>>)
      return TensorLeaf<typename D::value_type, D::rank>(std::move(x));
    else if constexpr (std::is_rvalue_reference_v<X&&>)  // a const temporary: it dies with the full expression
      return TensorLeaf<typename D::value_type, D::rank>(D(x));
    else
      return ViewLeaf<typename D::value_type, D::rank>(x.view());
  } else if constexpr (is_view_v<D>) {
    return ViewLeaf<typename D::value_type, D::rank>(x);
  } else if constexpr (ElementwiseNode<D>) {
    return D(std::forward<X>(x));
  } else {
    return ExprLeaf<D>(std::forward<X>(x));
  }
}

template <class T>
Constant<T> as_node(Constant<T> c) {
  return c;
}

template <class Op, class A, class B>
ElementwiseBinary<Op, A, B> make_binary(Op op, A a, B b) {
  if constexpr (!is_constant_v<A> && !is_constant_v<B>) {
    static_assert(A::rank == B::rank, "ein elementwise: operands have different ranks (there is no broadcasting)");
    static_assert(std::is_same_v<typename A::value_type, typename B::value_type>,
                  "ein elementwise: operands have different value types");
  }
  return ElementwiseBinary<Op, A, B>(op, std::move(a), std::move(b));
}

template <class Op, class A>
ElementwiseUnary<Op, A> make_unary(Op op, A a) {
  return ElementwiseUnary<Op, A>(op, std::move(a));
}

/// The scalar type that goes with operand X (a non-deduced context, so `A * 2` converts 2).
template <class X>
using scalar_t = std::type_identity_t<typename std::remove_cvref_t<X>::value_type>;

}  // namespace detail
}  // namespace ein
