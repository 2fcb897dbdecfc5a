// The one fused pass that writes an element-wise expression into a destination:
// dst = alpha * expr + beta * dst, no temporaries. Layer: expr (element-wise).
//
// Cases, chosen at run time from the leaves' and the destination's strides:
//   1. flat    the destination and every leaf are dense row-major (axes of extent 1
//              may have any stride): one loop over linear indices 0..size. Vectorises.
//   2. rows    every innermost axis has stride 1 (a block of a larger tensor): an
//              odometer over the outer axes, a unit-stride loop along each row. Vectorises.
//   3. strided anything else (transposed, reversed, broadcast by stride 0): the same
//              odometer with a strided loop along each row.
// Rank 0 and zero-size destinations always take case 1. beta == 0 never reads dst.
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <string>

#include "ein/tensor/shape.hpp"
#include "ein/tensor/tensor.hpp"

// The flat and unit-row loops have no loop-carried dependence: a leaf that aliases the
// destination at the same index is read before it is written in the same iteration, and
// Tensor and TensorView send any other overlap through a temporary. Telling the compiler
// so keeps it vectorising without run-time alias checks (GCC gives up past 10 pointers).
#if defined(__clang__)
#define EIN_ELEMENTWISE_IVDEP _Pragma("clang loop vectorize(assume_safety)")
#elif defined(__GNUC__)
#define EIN_ELEMENTWISE_IVDEP _Pragma("GCC ivdep")
#else
#define EIN_ELEMENTWISE_IVDEP
#endif

namespace ein::detail {

/// Which of the cases above a pass takes.
enum class Loop : unsigned char { flat, rows, strided };

/// Whether element i (row-major) of `extents` sits at offset i under `strides`.
template <std::size_t R>
constexpr bool is_dense(const Extents<R>& extents, const std::array<index_t, R>& strides) {
  for (index_t e : extents)
    if (e == 0) return true;
  index_t expected = 1;
  for (std::size_t d = R; d-- > 0;) {
    if (extents[d] != 1 && strides[d] != expected) return false;
    expected *= extents[d];
  }
  return true;
}

/// Whether the innermost axis has stride 1 (or never steps).
template <std::size_t R>
constexpr bool has_unit_rows(const Extents<R>& extents, const std::array<index_t, R>& strides) {
  if constexpr (R == 0) {
    return true;
  } else {
    for (index_t e : extents)
      if (e == 0) return true;
    return extents[R - 1] == 1 || strides[R - 1] == 1;
  }
}

/// The case a node takes when written into `dst` (see the table above).
template <class Node, class T, std::size_t R>
Loop choose_loop(const Node& node, const TensorView<T, R>& dst) {
  if (node.dense() && is_dense(dst.extents(), dst.strides())) return Loop::flat;
  if (node.unit_rows() && has_unit_rows(dst.extents(), dst.strides())) return Loop::rows;
  return Loop::strided;
}

// An evaluator (Node::Evaluator, built from the node) supplies
//   at_flat(i)                element i in row-major order (case 1 only),
//   row(outer)                moves to the row at outer multi-index `outer` (R - 1 indices),
//   at_row<Unit>(j)           element j of that row (Unit: the row has stride 1).

// Blocks of a fixed length: g++ 12 at -O2 (-fvect-cost-model=very-cheap) vectorises only
// loops whose trip count is a known multiple of the vector width, and a plain loop to n
// is not one; -O3 vectorises either form.
inline constexpr index_t vector_block = 16;

/// out[i] = store(out[i], get(i)) for i in [0, n), in vectorisable blocks.
template <class T, class Get, class Store>
void unit_stride_loop(T* out, index_t n, Get get, Store store) {
  index_t i = 0;
  for (; i + vector_block <= n; i += vector_block) {
    EIN_ELEMENTWISE_IVDEP
    for (index_t k = 0; k < vector_block; ++k) store(out[i + k], get(i + k));
  }
  for (; i < n; ++i) store(out[i], get(i));
}

template <bool Unit, class Ev, class T, std::size_t R, class Store>
void row_loop(Ev& ev, const TensorView<T, R>& dst, Store store) {
  Extents<R - 1> outer{};
  std::copy_n(dst.extents().begin(), R - 1, outer.begin());
  const index_t n = dst.extent(R - 1);
  const index_t step = dst.stride(R - 1);
  for_each_index(outer, [&](const std::array<index_t, R - 1>& at) {
    ev.row(at);
    index_t offset = 0;
    for (std::size_t d = 0; d + 1 < R; ++d) offset += at[d] * dst.stride(d);
    T* out = dst.data() + offset;
    if constexpr (Unit) {
      unit_stride_loop(out, n, [&ev](index_t j) { return ev.template at_row<true>(j); }, store);
    } else {
      for (index_t j = 0; j < n; ++j) store(out[j * step], ev.template at_row<false>(j));
    }
  });
}

template <class Ev, class T, std::size_t R, class Store>
void run_loop(Loop loop, Ev& ev, const TensorView<T, R>& dst, Store store) {
  if constexpr (R == 0) {
    store(*dst.data(), ev.at_flat(0));
  } else if (loop == Loop::flat) {
    unit_stride_loop(dst.data(), dst.size(), [&ev](index_t i) { return ev.at_flat(i); }, store);
  } else if (loop == Loop::rows) {
    row_loop<true>(ev, dst, store);
  } else {
    row_loop<false>(ev, dst, store);
  }
}

/// The body of every element-wise node's evaluate_into: checks extents, builds the
/// evaluator (which materialises non-element-wise operands), runs one pass.
template <class Node, class T, std::size_t R>
void evaluate_elementwise(const Node& node, const TensorView<T, R>& dst, T alpha, T beta) {
  const Extents<R> extents = node.extents();
  if (extents != dst.extents())
    throw shape_error("elementwise: destination extents " + to_string(dst.extents()) +
                      " differ from expression extents " + to_string(extents));
  if (dst.size() == 0) return;
  const Loop loop = choose_loop(node, dst);
  typename Node::Evaluator ev(node);
  if (beta == T(0)) {
    run_loop(loop, ev, dst, [alpha](T& d, T v) { d = alpha * v; });
  } else {
    run_loop(loop, ev, dst, [alpha, beta](T& d, T v) { d = alpha * v + beta * d; });
  }
}

}  // namespace ein::detail
