// One gemm() of the lowering (lower/pairwise.hpp) as cuBLAS column-major calls:
// operand order, transposes, m/n/k, leading dimensions and batch strides.
// Pure arithmetic on layouts, no CUDA: the emulated-device test checks it on
// the CPU. Layer: backend (cuda).
//
// Cases:
//   1. C readable column-major: C = op(A) op(B), as is.
//   2. C readable row-major: C^T is column-major and C^T = op(B)^T op(A)^T, so
//      the operands swap (first = B, second = A) and m, n swap.
//   An operand readable column-major needs no op (N), one readable row-major is
//   its transpose in column-major (T); the leading dimension is the other stride.
//   Batch labels: the lowering merges those whose strides in A, B and C each
//   collapse to one (merge_batch); the innermost becomes one strided batch, the
//   rest are looped on the host, one strided-batched call per outer index.
#pragma once

#include <algorithm>
#include <stdexcept>

#include "ein/lower/matrix.hpp"

namespace ein::cuda::detail {

using ein::detail::BatchLoop;
using ein::detail::ix;
using ein::detail::MatrixLayout;

/// One cublasGemmStridedBatchedEx call: out = alpha * op(first) op(second) + beta * out,
/// column-major, `batch` times with the given element strides.
struct GemmCall {
  bool swapped = false;  // first is B and second is A (C was row-major)
  bool trans_first = false, trans_second = false;
  index_t m = 0, n = 0, k = 0;
  index_t ld_first = 1, ld_second = 1, ldc = 1;
  index_t stride_first = 0, stride_second = 0, stride_c = 0;
  index_t batch = 1;
};

/// The calls of one gemm(): `call` once per index of the outer batch labels, at
/// element offsets sum_d i_d * outer_s{a,b,c}[d] into A, B and C.
struct GemmLaunch {
  GemmCall call;
  int n_outer = 0;
  index_t outer_extent[max_rank] = {}, outer_sa[max_rank] = {}, outer_sb[max_rank] = {}, outer_sc[max_rank] = {};
};

/// How a column-major routine reads a matrix in place: op and leading dimension.
struct ColMajorRead {
  bool ok = false;
  bool trans = false;
  index_t ld = 1;
};

inline ColMajorRead col_major_read(const MatrixLayout& x, bool allow_trans) {
  const index_t rows = std::max<index_t>(x.rows, 1), cols = std::max<index_t>(x.cols, 1);
  // As storage_of (lower/matrix.hpp) decides; zero extents (k == 0) take any leading dimension.
  if ((x.rows <= 1 || x.row_stride == 1) && (x.cols <= 1 || x.col_stride >= x.rows))
    return {true, false, x.cols <= 1 ? rows : x.col_stride};
  if (allow_trans && (x.cols <= 1 || x.col_stride == 1) && (x.rows <= 1 || x.row_stride >= x.cols))
    return {true, true, x.rows <= 1 ? cols : x.row_stride};
  return {};
}

inline GemmLaunch map_gemm(MatrixLayout la, MatrixLayout lb, MatrixLayout lc, const BatchLoop& batch) {
  GemmLaunch g;
  GemmCall& c = g.call;
  // 1 or 2: which way C is read decides the operand order.
  ColMajorRead rc = col_major_read(lc, false);
  if (!rc.ok) {
    c.swapped = true;
    const MatrixLayout a = la;
    la = lb.transposed();
    lb = a.transposed();
    lc = lc.transposed();
    rc = col_major_read(lc, false);
  }
  const ColMajorRead ra = col_major_read(la, true), rb = col_major_read(lb, true);
  if (!rc.ok || !ra.ok || !rb.ok) throw std::logic_error("ein::cuda: a GEMM operand the lowering left unfit for cuBLAS");
  c.m = lc.rows;
  c.n = lc.cols;
  c.k = la.cols;
  c.trans_first = ra.trans;
  c.trans_second = rb.trans;
  // cuBLAS wants ld >= the stored rows even where nothing is read (k == 0).
  c.ld_first = std::max(ra.ld, std::max<index_t>(ra.trans ? c.k : c.m, 1));
  c.ld_second = std::max(rb.ld, std::max<index_t>(rb.trans ? c.n : c.k, 1));
  c.ldc = std::max(rc.ld, std::max<index_t>(c.m, 1));

  // Batch labels arrive merged (merge_batch, in the lowering): the innermost axis
  // is the strided batch, the rest loop.
  int first = batch.count;
  index_t count = 1, sa = 0, sb = 0, sc = 0;
  if (batch.count > 0) {
    first = batch.count - 1;
    count = batch.extent[ix(first)];
    sa = batch.sa[ix(first)];
    sb = batch.sb[ix(first)];
    sc = batch.sc[ix(first)];
  }
  c.batch = count;
  c.stride_first = c.swapped ? sb : sa;
  c.stride_second = c.swapped ? sa : sb;
  c.stride_c = sc;
  for (int d = 0; d < first; ++d) {
    const std::size_t o = ix(g.n_outer++);
    g.outer_extent[o] = batch.extent[ix(d)];
    g.outer_sa[o] = batch.sa[ix(d)];
    g.outer_sb[o] = batch.sb[ix(d)];
    g.outer_sc[o] = batch.sc[ix(d)];
  }
  return g;
}

/// Calls f(offset_a, offset_b, offset_c) once per index of the outer batch labels.
template <class F>
void for_each_gemm(const GemmLaunch& g, F&& f) {
  ein::detail::BatchLoop outer;
  for (int d = 0; d < g.n_outer; ++d) outer.push(g.outer_extent[d], g.outer_sa[d], g.outer_sb[d], g.outer_sc[d]);
  ein::detail::for_each_batch(outer, f);
}

}  // namespace ein::cuda::detail
