// The fast path of a two-operand GEMM-shaped spec (see plan/static_pair.hpp):
// no planning, no scratch, straight to the GEMM on the operands' strides.
// Returns false, having done nothing, whenever the general path is needed.
// Layer: backend.
#pragma once

#include "ein/backend/gemm.hpp"
#include "ein/plan/static_pair.hpp"
#include "ein/tensor/view.hpp"

namespace ein::detail {

/// A group of axes walked as one: extent and stride, if the strides allow (size-1 axes are ignored).
template <class View>
inline bool collapse_axes(const View& v, const unsigned char* axes, int count, index_t& extent, index_t& stride) {
  extent = 1;
  stride = 0;
  bool first = true;
  index_t expected = 0;  // stride the next (outer) axis must have
  for (int i = count; i-- > 0;) {
    const index_t e = v.extent(axes[i]);
    if (e == 1) continue;
    const index_t s = v.stride(axes[i]);
    if (first) stride = s;
    else if (s != expected) return false;
    first = false;
    extent = product_or_overflow(extent, e);
    const index_t reach = product_or_overflow(s < 0 ? -s : s, e);
    if (extent < 0 || reach < 0) return false;  // (a broadcast view this large: the general path throws)
    expected = s < 0 ? -reach : reach;
  }
  return true;
}

/// P is the spec's StaticPair, a constant: the group loops below unroll.
template <const StaticPair& P, class T, std::size_t RA, std::size_t RB, std::size_t RC>
bool try_fast_pair(const TensorView<const T, RA>& a, const TensorView<const T, RB>& b, const TensorView<T, RC>& c,
                   T alpha, T beta) {
  constexpr const StaticPair& p = P;
  for (int s = 0; s < p.num_shared; ++s)
    if (a.extent(p.shared_a[ix(s)]) != b.extent(p.shared_b[ix(s)])) return false;
  MatrixLayout la, lb, lc;
  if (!collapse_axes(a, p.m.a.data(), p.m.count, la.rows, la.row_stride) ||
      !collapse_axes(a, p.k.a.data(), p.k.count, la.cols, la.col_stride) ||
      !collapse_axes(b, p.k.b.data(), p.k.count, lb.rows, lb.row_stride) ||
      !collapse_axes(b, p.n.b.data(), p.n.count, lb.cols, lb.col_stride) ||
      !collapse_axes(c, p.m.c.data(), p.m.count, lc.rows, lc.row_stride) ||
      !collapse_axes(c, p.n.c.data(), p.n.count, lc.cols, lc.col_stride))
    return false;
  // C's groups must be as large as A's and B's (a size-1 axis of C would be a sum: not this path).
  if (la.rows != lc.rows || lb.cols != lc.cols) return false;
  for (std::size_t i = 0; i < ix(p.batch.count); ++i)
    if (c.extent(p.batch.c[i]) != a.extent(p.batch.a[i]) || b.extent(p.batch.b[i]) != a.extent(p.batch.a[i]))
      return false;
  if (storage_of(la) == Storage::unsupported || storage_of(lb) == Storage::unsupported ||
      storage_of(lc) == Storage::unsupported)
    return false;
  if (p.batch.count == 0) {
    gemm<T>(alpha, a.data(), la, b.data(), lb, beta, c.data(), lc);
    return true;
  }
  BatchLoop loop;
  for (std::size_t i = 0; i < ix(p.batch.count); ++i) {
    loop.extent[ix(loop.count)] = a.extent(p.batch.a[i]);
    loop.sa[ix(loop.count)] = a.stride(p.batch.a[i]);
    loop.sb[ix(loop.count)] = b.stride(p.batch.b[i]);
    loop.sc[ix(loop.count++)] = c.stride(p.batch.c[i]);
  }
  batched_gemm<T>(alpha, a.data(), la, b.data(), lb, beta, c.data(), lc, loop);
  return true;
}

}  // namespace ein::detail
