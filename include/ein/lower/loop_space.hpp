// LoopSpace: the iteration space of a step lowered to loops, one axis per label,
// each with its extent and the stride of every operand along it: slot 0 is the
// output, slots 1.. the inputs. A stride is 0 where an input broadcasts along the
// axis, and for the output where the axis is summed. Every loop-lowered step,
// whatever its operand count (a copy, a permutation, a reduction, a Hadamard or
// broadcast product of N operands, a dot), is this one description.
//
// merge_axes() is the lowering's one axis-merging rule (the idea of tblis's `fold`
// and CuTe's `coalesce`): two neighbouring axes merge when, for every operand, the
// outer one's stride is the inner one's stride times the inner extent. fold() sorts
// a loop step's axes and merges them; a GEMM's label groups (collapse_group: the
// planner's collapse and the fast path's collapse_axes) and its batch loop
// (merge_batch, matrix.hpp) merge through the same function. Layer: lower.
#pragma once

#include <algorithm>
#include <array>
#include <cstdlib>

#include "ein/plan/label_set.hpp"
#include "ein/tensor/shape.hpp"
#include "ein/tensor/strided.hpp"

namespace ein::detail {

/// The output and at most max_operands inputs.
inline constexpr int max_loop_operands = max_operands + 1;

// No default member initialisers: a LoopSpace holds max_labels of these and a
// step fills only the few it uses (zeroing ~10 KB would cost more than a small copy).
struct LoopAxis {
  index_t extent;
  std::array<index_t, max_loop_operands> stride;  // [0] the output's, [1 + k] input k's
};

struct LoopSpace {
  int operands;  // the output and the inputs
  int rank;
  std::array<LoopAxis, max_labels> axes;  // outermost first

  [[nodiscard]] bool summed(int axis) const { return axes[ix(axis)].stride[0] == 0; }
  /// Elements the nest visits (as a double: only compared against thresholds).
  [[nodiscard]] double volume() const {
    double v = 1;
    for (int a = 0; a < rank; ++a) v *= double(axes[ix(a)].extent);
    return v;
  }
  /// How many inputs as large as the output the nest reads, rounded: the elements
  /// the inputs hold (each counted along the axes it walks) over the output's
  /// ("ij,ij->ij": 2; "ij,j->ij": 1; "i,j->ij": 0; an empty space: 0). At most
  /// 2^20 (a sum's ratio may be any size, past an int's range).
  [[nodiscard]] int output_sized_inputs() const {
    double out = 1, read = 0;
    for (int a = 0; a < rank; ++a)
      if (axes[ix(a)].stride[0] != 0) out *= double(axes[ix(a)].extent);
    for (int k = 1; k < operands; ++k) {
      double held = 1;
      for (int a = 0; a < rank; ++a)
        if (axes[ix(a)].stride[ix(k)] != 0) held *= double(axes[ix(a)].extent);
      read += held;
    }
    if (!(out > 0)) return 0;
    return int(std::min(read / out, double(1 << 20)) + 0.5);
  }
};

/// The space of out = contract(ins[0], ..., ins[n - 1]): every label of the output
/// and of the inputs, the output's first. Operands carry one axis per label
/// (normalize() in expr/execute.hpp); `out` carries exactly the kept labels.
template <class T>
LoopSpace loop_space(const Strided<const T>* ins, int n, const Strided<T>& out) {
  LoopSpace s;
  s.operands = n + 1;
  s.rank = 0;
  LabelSet seen;
  const auto add = [&](int label, index_t extent) {
    if (seen.has(label)) return;
    seen.add(label);
    LoopAxis& a = s.axes[ix(s.rank++)];
    a.extent = extent;
    a.stride[0] = out.stride_of(label);
    for (int k = 0; k < n; ++k) a.stride[ix(k + 1)] = ins[k].stride_of(label);
  };
  for (int d = 0; d < out.rank; ++d) add(out.labels[ix(d)], out.extents[ix(d)]);
  for (int k = 0; k < n; ++k)
    for (int d = 0; d < ins[k].rank; ++d) add(ins[k].labels[ix(d)], ins[k].extents[ix(d)]);
  return s;
}

/// How far apart an axis's elements lie, summed over the operands (the output
/// counted twice: read and written). Axes are walked from the largest down.
inline index_t stride_weight(const LoopSpace& s, const LoopAxis& a) {
  index_t w = 2 * std::abs(a.stride[0]);
  for (int k = 1; k < s.operands; ++k) w += std::abs(a.stride[ix(k)]);
  return w;
}

/// Merges axes[0, rank) (outermost first) in place, in their order: drops axes of
/// extent 1 (their strides are never used) and merges each axis into its outer
/// neighbour when, for each of the `operands` strides, outer == inner * inner
/// extent. Returns the new rank. Requires no axis of extent 0.
/// Postcondition: every operand visits the same offsets in the same order as
/// before; no axis has extent 1; no two neighbours could merge further. Axes whose
/// merged extent or reach would overflow index_t stay apart (a broadcast view may
/// be that large: the caller's own checks report it).
inline int merge_axes(LoopAxis* axes, int rank, int operands) {
  int r = 0;
  for (int a = 0; a < rank; ++a) {
    const LoopAxis& inner = axes[a];
    if (inner.extent == 1) continue;
    if (r > 0) {
      LoopAxis& outer = axes[r - 1];
      bool merges = true;
      for (int k = 0; k < operands && merges; ++k) {
        const index_t s = inner.stride[ix(k)], reach = product_or_overflow(s < 0 ? -s : s, inner.extent);
        merges = reach >= 0 && outer.stride[ix(k)] == (s < 0 ? -reach : reach);
      }
      const index_t extent = merges ? product_or_overflow(outer.extent, inner.extent) : -1;
      if (extent >= 0) {
        outer.extent = extent;
        for (int k = 0; k < operands; ++k) outer.stride[ix(k)] = inner.stride[ix(k)];
        continue;
      }
    }
    if (r != a) axes[r] = inner;
    ++r;
  }
  return r;
}

/// A group of one operand's axes walked as one axis: its extent and stride, when
/// `ok` (they merge into one).
struct Collapsed {
  index_t extent = 1;
  index_t stride = 0;
  bool ok = true;
};

/// The `count` axes axis_at(0), ..., axis_at(count - 1) of one operand (outermost
/// first; each an {extent, stride} pair) as one axis, by merge_axes: a GEMM's label
/// group (collapse, label_order.hpp) or the fast path's (collapse_axes).
template <class AxisAt>
Collapsed collapse_group(int count, AxisAt axis_at) {
  std::array<LoopAxis, max_rank> axes;  // (one operand: only stride[0] is used)
  axes[0].extent = 1;  // (written below when count > 0; set so GCC can see it is)
  axes[0].stride[0] = 0;
  for (int i = 0; i < count; ++i) {
    const auto [extent, stride] = axis_at(i);
    axes[ix(i)].extent = extent;
    axes[ix(i)].stride[0] = stride;
  }
  const int rank = merge_axes(axes.data(), count, 1);
  Collapsed c;
  c.ok = rank <= 1;
  if (rank == 1) {
    c.extent = axes[0].extent;
    c.stride = axes[0].stride[0];
  }
  return c;
}

/// Sorts s's axes by decreasing stride_weight and merges them (merge_axes).
/// Requires no axis of extent 0 (an empty space is the caller's).
/// Postcondition: every operand visits the same offsets as before, in the order of
/// the sorted axes; no axis has extent 1; no two neighbours could merge further.
inline void fold(LoopSpace& s) {
  // Insertion sort, stable (ties keep the output's order): ranks are short.
  for (int i = 1; i < s.rank; ++i) {
    const LoopAxis moving = s.axes[ix(i)];
    const index_t w = stride_weight(s, moving);
    int j = i;
    for (; j > 0 && stride_weight(s, s.axes[ix(j - 1)]) < w; --j) s.axes[ix(j)] = s.axes[ix(j - 1)];
    s.axes[ix(j)] = moving;
  }
  s.rank = merge_axes(s.axes.data(), s.rank, s.operands);
}

}  // namespace ein::detail
