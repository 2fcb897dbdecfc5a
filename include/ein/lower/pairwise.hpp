// Runs one pairwise step of a plan, lowered as the plan chose by cost
// (plan/cost.hpp): StepKind::loop -> the backend's loop (lower/loop_nest.hpp:
// outer and Hadamard products, dots, GEMVs, partial reductions); a GEMM kind ->
// gemm_step, one GEMM per batch index on strided matrices:
//   a. labels summed within one operand are reduced first (a loop);
//   b. each group (M, N, K, batch) is walked as one axis when the strides allow;
//      the K order is taken from A or B, whichever lets both collapse;
//   c'. an M or N group that does not fold may leave its outer labels to the batch
//      loop instead of being copied (split_group: when the model prefers it);
//   c. an operand that still does not fit a GEMM operand is copied, permuted to
//      [batch, M, K] or [batch, K, N] (the only copies made);
//   d. a destination that does not fit receives the result through a dense
//      temporary.
// The lowering is written once for every backend. A Backend (host.hpp for the
// CPU) provides, for its element type T:
//   Strided<T> dense(labels, rank, label_extent)   a row-major temporary for this evaluation
//   void loop(a, b_or_null, out, alpha, beta)      the loop lowering (lower/loop_nest.hpp semantics)
//   void gemm(alpha, a, la, b, lb, beta, c, lc, batch)   one GEMM per batch index
// Layer: lower.
#pragma once

#include <algorithm>
#include <cstdlib>
#include <limits>
#include <tuple>

#include "ein/lower/label_order.hpp"
#include "ein/lower/matrix.hpp"
#include "ein/plan/classify.hpp"
#include "ein/plan/cost.hpp"

namespace ein::detail {

template <class T>
Strided<const T> as_const(const Strided<T>& s) {
  Strided<const T> c;
  c.data = s.data;
  c.rank = s.rank;
  c.labels = s.labels;
  c.extents = s.extents;
  c.strides = s.strides;
  return c;
}

// A dense copy of x with its axes in `order` (every label of x must be in it).
template <class T, class Backend>
Strided<const T> permuted_copy(const Strided<const T>& x, const LabelOrder& order, const index_t* label_extent,
                               Backend& be) {
  const Strided<T> copy = be.dense(order.labels.data(), order.count, label_extent);
  be.loop(x, nullptr, copy, T(1), T(0));
  return as_const(copy);
}

// The labels of x without `drop`, in x's order.
template <class T>
LabelOrder labels_without(const Strided<T>& x, LabelSet drop) {
  LabelOrder order;
  for (int d = 0; d < x.rank; ++d)
    if (!drop.has(x.labels[ix(d)])) order.push(x.labels[ix(d)]);
  return order;
}

/// Reduces the labels `summed` of x into a dense temporary.
template <class T, class Backend>
Strided<const T> permuted_copy_reduce(const Strided<const T>& x, LabelSet summed, const index_t* label_extent,
                                      Backend& be) {
  const LabelOrder keep = labels_without(x, summed);
  const Strided<T> reduced = be.dense(keep.labels.data(), keep.count, label_extent);
  be.loop(x, nullptr, reduced, T(1), T(0));
  return as_const(reduced);
}

inline bool fits(const Collapsed& rows, const Collapsed& cols) {
  MatrixLayout m{rows.extent, cols.extent, rows.stride, cols.stride};
  return rows.ok && cols.ok && storage_of(m) != Storage::unsupported;
}

inline double size_of(const LabelOrder& o, int begin, int end, const index_t* label_extent) {
  double v = 1;
  for (int i = begin; i < end; ++i) v *= double(label_extent[o.labels[ix(i)]]);
  return v;
}

/// For x (A when `rows`, else B) whose free group `free` (M or N, ordered by x's
/// strides) does not fold with K in x or in `out`: the shortest outer part of the
/// group that, moved to the batch loop, leaves the rest folding in both, if a loop
/// of those GEMMs costs less than copying x (and the output) to fit one GEMM.
/// Moves the labels in `g` and returns true; false leaves `g` alone.
template <class T, class U>
bool split_group(const Strided<const T>& x, const Strided<U>& out, const LabelOrder& free, const LabelOrder& k,
                 bool rows, LabelGroups& g, const index_t* label_extent) {
  const Collapsed xk = collapse(x, k, label_extent);
  const bool x_fits = rows ? fits(collapse(x, free, label_extent), xk) : fits(xk, collapse(x, free, label_extent));
  if (x_fits && collapse(out, free, label_extent).ok) return false;
  const auto size = [&](LabelSet s) {
    double v = 1;
    s.for_each([&](int l) { v *= double(label_extent[l]); });
    return v;
  };
  const double batch = size(g.batch), other = size(rows ? g.n : g.m);  // other: the free group x lacks
  const double depth = size_of(k, 0, k.count, label_extent), whole = size_of(free, 0, free.count, label_extent);
  for (int p = 1; p < free.count; ++p) {
    LabelOrder rest;
    for (int i = p; i < free.count; ++i) rest.push(free.labels[ix(i)]);
    const Collapsed xr = collapse(x, rest, label_extent);
    if (!(rows ? fits(xr, xk) : fits(xk, xr)) || !collapse(out, rest, label_extent).ok) continue;
    const double outer = size_of(free, 0, p, label_extent), inner = whole / outer;
    const double x_size = batch * whole * depth, out_size = batch * other * whole;
    const double io = x_size + out_size;
    // (M and N enter the model symmetrically: x's free group as M, the other as N)
    const double looped = gemm_cost(batch * outer, inner, other, depth, io, sizeof(T));
    const double copied = gemm_cost(batch, whole, other, depth, io, sizeof(T)) +
                          2 * io * double(sizeof(T)) / cost_model::bytes_per_ns;
    if (looped >= copied) return false;
    for (int i = 0; i < p; ++i) {
      (rows ? g.m : g.n).remove(free.labels[ix(i)]);
      g.batch.add(free.labels[ix(i)]);
    }
    return true;
  }
  return false;
}

template <class T, class Backend>
void gemm_step(Strided<const T> a, Strided<const T> b, const LabelGroups& g, const Strided<T>& out, T alpha, T beta,
               const index_t* label_extent, Backend& be) {
  // 3a. sums within one operand.
  if (!g.summed_a.empty()) a = permuted_copy_reduce(a, g.summed_a, label_extent, be);
  if (!g.summed_b.empty()) b = permuted_copy_reduce(b, g.summed_b, label_extent, be);

  // 3b. group orders.
  const LabelOrder batch = order_by_stride(out, g.batch);
  LabelOrder m = order_by_stride(a, g.m);
  LabelOrder n = order_by_stride(b, g.n);
  LabelOrder k = order_by_stride(a, g.k);
  {
    const LabelOrder kb = order_by_stride(b, g.k);
    const bool a_ok = collapse(a, k, label_extent).ok, b_ok = collapse(b, k, label_extent).ok;
    const bool a_kb = collapse(a, kb, label_extent).ok, b_kb = collapse(b, kb, label_extent).ok;
    if (!(a_ok && b_ok) && ((a_kb && b_kb) || (!a_ok && b_kb))) k = kb;
  }
  // An operand that is copied anyway (3c) can take the destination's order, which
  // spares the destination a temporary ("acbd,dcef->abfe": two copies, not three).
  const bool a_copied = !fits(collapse(a, m, label_extent), collapse(a, k, label_extent));
  const bool b_copied = !fits(collapse(b, k, label_extent), collapse(b, n, label_extent));
  bool temp_out = false;
  if (!collapse(out, m, label_extent).ok) {
    const LabelOrder mc = order_by_stride(out, g.m);
    if (a_copied || collapse(a, mc, label_extent).ok) m = mc;
    else temp_out = true;
  }
  if (!collapse(out, n, label_extent).ok) {
    const LabelOrder nc = order_by_stride(out, g.n);
    if (b_copied || collapse(b, nc, label_extent).ok) n = nc;
    else temp_out = true;
  }

  // 3c'. An M (N) group that does not fold in A (B) or in the output may leave its
  // outer labels to the batch loop (the other operand does not carry them: stride
  // 0), when the cost model prefers a loop of smaller GEMMs to copying: a 1x1
  // convolution "nchw,kc->nkhw" runs a GEMM per image, with no copy.
  // (Only when the other operand fits as it is: a split that leaves a copy saves none.)
  if (temp_out || a_copied || b_copied) {
    LabelGroups split = g;
    split.summed_a = split.summed_b = {};
    if ((!b_copied && split_group(a, out, m, k, true, split, label_extent)) ||
        (!a_copied && split_group(b, out, n, k, false, split, label_extent)))
      return gemm_step<T>(a, b, split, out, alpha, beta, label_extent, be);
  }

  // 3c. operands that still do not fit are copied.
  if (!fits(collapse(a, m, label_extent), collapse(a, k, label_extent))) {
    LabelOrder order = batch;
    order.append(m);
    order.append(k);
    a = permuted_copy(a, order, label_extent, be);
  }
  if (!fits(collapse(b, k, label_extent), collapse(b, n, label_extent))) {
    LabelOrder order = batch;
    order.append(k);
    order.append(n);
    b = permuted_copy(b, order, label_extent, be);
  }

  // 3d. a destination that does not fit gets the result through a temporary.
  temp_out = temp_out || !fits(collapse(out, m, label_extent), collapse(out, n, label_extent));
  if (temp_out) {
    LabelOrder order = batch;
    order.append(m);
    order.append(n);
    const Strided<T> tmp = be.dense(order.labels.data(), order.count, label_extent);
    gemm_step<T>(a, b, LabelGroups{g.batch, g.m, g.n, g.k, {}, {}}, tmp, T(1), T(0), label_extent, be);
    be.loop(as_const(tmp), nullptr, out, alpha, beta);
    return;
  }

  const Collapsed am = collapse(a, m, label_extent), ak = collapse(a, k, label_extent);
  const Collapsed bk = collapse(b, k, label_extent), bn = collapse(b, n, label_extent);
  const Collapsed cm = collapse(out, m, label_extent), cn = collapse(out, n, label_extent);
  const MatrixLayout la{am.extent, ak.extent, am.stride, ak.stride};
  const MatrixLayout lb{bk.extent, bn.extent, bk.stride, bn.stride};
  const MatrixLayout lc{cm.extent, cn.extent, cm.stride, cn.stride};

  BatchLoop loop;
  for (int i = 0; i < batch.count; ++i) {
    const int l = batch.labels[ix(i)];
    loop.push(label_extent[l], a.stride_of(l), b.stride_of(l), out.stride_of(l));
  }
  merge_batch(loop);
  be.gemm(alpha, a.data, la, b.data, lb, beta, out.data, lc, loop);
}

/// Runs one pairwise step into `out`, lowered as the plan chose (`kind`).
template <class T, class Backend>
void pairwise_step(const Strided<const T>& a, const Strided<const T>& b, StepKind kind, const LabelGroups& g,
                   const Strided<T>& out, T alpha, T beta, const index_t* label_extent, Backend& be) {
  if (kind == StepKind::loop) be.loop(a, &b, out, alpha, beta);
  else gemm_step<T>(a, b, g, out, alpha, beta, label_extent, be);
}

/// Pairs of labels that `order` and the destination `dest` both carry, in opposite orders.
template <class T>
int inversions(const LabelOrder& order, const Strided<T>& dest) {
  int count = 0;
  for (int i = 0; i < order.count; ++i)
    for (int j = i + 1; j < order.count; ++j) {
      const int first = dest.axis_of(order.labels[ix(i)]), second = dest.axis_of(order.labels[ix(j)]);
      if (first >= 0 && second >= 0 && first > second) ++count;
    }
  return count;
}

/// The label of x's closest-spaced axis (extent > 1), or -1.
template <class T>
int unit_stride_label(const Strided<const T>& x) {
  int label = -1;
  index_t least = std::numeric_limits<index_t>::max();
  for (int d = 0; d < x.rank; ++d) {
    const index_t s = x.strides[ix(d)] < 0 ? -x.strides[ix(d)] : x.strides[ix(d)];
    if (x.extents[ix(d)] > 1 && s < least) {
      least = s;
      label = x.labels[ix(d)];
    }
  }
  return label;
}

/// How many operands of the row-major GEMM C = first * second are read along their
/// rows: first's closest-spaced axis in K, second's in `second_cols` (its N).
template <class T>
int row_reads(const Strided<const T>& first, const Strided<const T>& second, LabelSet k, LabelSet second_cols) {
  const int f = unit_stride_label(first), s = unit_stride_label(second);
  return int(f >= 0 && k.has(f)) + int(s >= 0 && second_cols.has(s));
}

/// Pairs of labels in `order`, a label the destination carries before one it does not.
template <class T>
int destination_labels_outside(const LabelOrder& order, const Strided<T>& dest) {
  int count = 0, kept = 0;
  for (int i = 0; i < order.count; ++i)
    if (dest.axis_of(order.labels[ix(i)]) >= 0) ++kept;
    else count += kept;
  return count;
}

/// The layout chosen for an intermediate result, dense: the batch, then M in A's
/// order and N in B's order, either group first (the GEMM writes both without a
/// copy: C row- or column-major). The one whose labels come in the final
/// destination's order is chosen, so the steps after it can keep them merged
/// (the last GEMM then needs no copy); where both do, the one whose GEMM reads both
/// operands along their rows (the chain "ab,bc,cd,de->ae" writes "ce", C = A B, not
/// "ec", whose B a direct kernel packs), then the one with the labels the
/// destination keeps outermost, so the next steps run over them as a batch of
/// row-major products: Tucker's "ijk,ai,bj,ck->abc" writes "ajk" (C = A X), then
/// "akb", not "jka" (C = X^T A^T), then "kab": 1.3-1.4x faster in double, 1.1-1.3x
/// in float (rank 4, 12-wide products: 1.35x in double, even in float). A loop
/// step's result then puts its labels in the order of their operands' strides (a
/// label's smallest stride in A or B, largest outermost; ties as above): the
/// loop's rows are unit-stride in the operands too. The Khatri-Rao product
/// "jr,kr->jkr" of an MTTKRP is written j, k, r (its rows along r); batch first,
/// r, j, k, its rows along k read "kr" 32 apart.
template <class T, class Backend>
Strided<T> intermediate_for(const Strided<const T>& a, const Strided<const T>& b, StepKind kind, const LabelGroups& g,
                            const Strided<T>& dest, const index_t* label_extent, Backend& be) {
  const LabelOrder m = order_by_stride(a, g.m), n = order_by_stride(b, g.n);
  LabelOrder order = order_by_stride(a, g.batch), swapped = order;
  order.append(m);
  order.append(n);
  swapped.append(n);
  swapped.append(m);
  // (Ranked in that order: fewer inversions, then more row reads, then more destination labels outside.)
  const auto rank = [&](const LabelOrder& o, int reads) {
    return std::tuple(-inversions(o, dest), reads, destination_labels_outside(o, dest));
  };
  if (rank(swapped, row_reads(b, a, g.k, g.m)) > rank(order, row_reads(a, b, g.k, g.n))) order = swapped;
  if (kind == StepKind::loop) {
    const auto smallest_stride = [&](int label) {
      index_t least = std::numeric_limits<index_t>::max();
      for (const Strided<const T>* x : {&a, &b})
        if (const int axis = x->axis_of(label); axis >= 0 && x->extents[ix(axis)] > 1)
          least = std::min(least, x->strides[ix(axis)] < 0 ? -x->strides[ix(axis)] : x->strides[ix(axis)]);
      return least;
    };
    for (int i = 1; i < order.count; ++i)  // (insertion sort, stable: std::stable_sort allocates a buffer)
      for (int j = i; j > 0 && smallest_stride(order.labels[ix(j - 1)]) < smallest_stride(order.labels[ix(j)]); --j)
        std::swap(order.labels[ix(j - 1)], order.labels[ix(j)]);
  }
  return be.dense(order.labels.data(), order.count, label_extent);
}

}  // namespace ein::detail
