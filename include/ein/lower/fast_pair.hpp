// The fast path of a two-operand GEMM-shaped spec (see lower/static_pair.hpp):
// no planning, no scratch, straight to the GEMM on the operands' strides.
// Returns false, having done nothing, whenever the general path is needed.
// One code for both entry points: a compile-time spec passes its constexpr
// StaticPair (inlined, the group loops unroll), a run-time spec the one its
// cache entry holds (expr/runtime_spec.hpp). Layer: lower.
#pragma once

#include <utility>

#include "ein/backend/gemm.hpp"
#include "ein/lower/loop_space.hpp"
#include "ein/lower/static_pair.hpp"
#include "ein/plan/cost.hpp"
#include "ein/tensor/view.hpp"

namespace ein::detail {

/// A group of axes walked as one: extent and stride, if the strides allow
/// (collapse_group: size-1 axes are ignored).
template <class View>
[[gnu::always_inline]] inline bool collapse_axes(const View& v, const unsigned char* axes, int count, index_t& extent,
                                                 index_t& stride) {
  if (count == 1) {  // the common case ("ij,jk->ik": every group one axis)
    extent = v.extent(axes[0]);
    stride = extent == 1 ? 0 : v.stride(axes[0]);
    return true;
  }
  const Collapsed c = collapse_group(count, [&](int i) { return std::pair{v.extent(axes[i]), v.stride(axes[i])}; });
  extent = c.extent;
  stride = c.stride;
  return c.ok;
}

/// Whether the axes of A and B that carry one label have one extent (else: broadcast or error).
template <class VA, class VB>
[[gnu::always_inline]] inline bool shared_extents_agree(const StaticPair& p, const VA& a, const VB& b) {
  for (int s = 0; s < p.num_shared; ++s)
    if (a.extent(p.shared_a[ix(s)]) != b.extent(p.shared_b[ix(s)])) return false;
  return true;
}

/// The output extents of such a pair, each axis's from A or B, once the axes that
/// carry one label in A and B agree (else false: a broadcast or an error).
template <class VA, class VB, class Out>
[[gnu::always_inline]] inline bool pair_output_extents(const StaticPair& p, const VA& a, const VB& b, Out& out) {
  if (!shared_extents_agree(p, a, b)) return false;
  for (std::size_t d = 0; d < out.size(); ++d)
    out[d] = p.out_operand[d] == 0 ? a.extent(p.out_axis[d]) : b.extent(p.out_axis[d]);
  return true;
}

/// Whether the extents of a pair whose fast-path description is `p` (p.fast) agree:
/// the axes that carry one label in A and B, and C's, axis by axis (else: a
/// broadcast or an error, the general path decides).
template <class VA, class VB, class VC>
[[gnu::always_inline]] inline bool pair_extents_agree(const StaticPair& p, const VA& a, const VB& b, const VC& c) {
  if (!shared_extents_agree(p, a, b)) return false;
  for (std::size_t d = 0; d < VC::rank; ++d)  // (so batch, M and N extents agree too)
    if (c.extent(d) != (p.out_operand[d] == 0 ? a.extent(p.out_axis[d]) : b.extent(p.out_axis[d]))) return false;
  return true;
}

/// The GEMM of such a pair, once its extents agree: A's, B's and C's matrix layouts,
/// when each group's axes collapse into one strided axis that a GEMM reads in place
/// (storage_of); false otherwise. Pure; inlined, so that a constant `p` unrolls its
/// loops. One query for every device's fast path.
template <class VA, class VB, class VC>
[[gnu::always_inline]] inline bool pair_gemm_layouts(const StaticPair& p, const VA& a, const VB& b, const VC& c,
                                                     MatrixLayout& la, MatrixLayout& lb, MatrixLayout& lc) {
  if (!collapse_axes(a, p.m.a.data(), p.m.count, la.rows, la.row_stride) ||
      !collapse_axes(a, p.k.a.data(), p.k.count, la.cols, la.col_stride) ||
      !collapse_axes(b, p.k.b.data(), p.k.count, lb.rows, lb.row_stride) ||
      !collapse_axes(b, p.n.b.data(), p.n.count, lb.cols, lb.col_stride) ||
      !collapse_axes(c, p.m.c.data(), p.m.count, lc.rows, lc.row_stride) ||
      !collapse_axes(c, p.n.c.data(), p.n.count, lc.cols, lc.col_stride))
    return false;
  // A plain row-major layout (unit column stride, leading dimension no shorter than
  // a row) is what storage_of would return unchanged: test that first, it is the common case.
  const auto plain = [](const MatrixLayout& m) { return m.col_stride == 1 && m.row_stride >= m.cols; };
  return (plain(la) && plain(lb) && plain(lc)) ||
         !(storage_of(la) == Storage::unsupported || storage_of(lb) == Storage::unsupported ||
           storage_of(lc) == Storage::unsupported);
}

/// The batch labels of such a pair as one loop (merged where they lie contiguous).
template <class VA, class VB, class VC>
[[gnu::always_inline]] inline BatchLoop pair_batch_loop(const StaticPair& p, const VA& a, const VB& b, const VC& c) {
  BatchLoop loop;
  for (std::size_t i = 0; i < ix(p.batch.count); ++i)
    loop.push(a.extent(p.batch.a[i]), a.stride(p.batch.a[i]), b.stride(p.batch.b[i]), c.stride(p.batch.c[i]));
  merge_batch(loop);
  return loop;
}

/// C = alpha * A B + beta * C on the host for a spec whose fast-path description is
/// `p` (p.fast), when its extents agree, pair_gemm_layouts finds its GEMM and the
/// cost model does not prefer the loop lowering. Returns false, having done nothing,
/// otherwise.
template <class T, std::size_t RA, std::size_t RB, std::size_t RC>
[[gnu::always_inline]] inline bool try_fast_pair(const StaticPair& p, const TensorView<const T, RA>& a,
                                                 const TensorView<const T, RB>& b, const TensorView<T, RC>& c,
                                                 T alpha, T beta) {
  if (!pair_extents_agree(p, a, b, c)) return false;
  MatrixLayout la, lb, lc;
  if (!pair_gemm_layouts(p, a, b, c, la, lb, lc)) return false;
  // Below gemm_tile rows or columns the cost model may prefer the loop lowering (a
  // dot, a GEMV, a batch of 1x1 products): the general path runs it. (Past it the
  // GEMM's reuse wins but for batches of tiny-K products, where the two are close:
  // the hot path pays two compares, not the model.) One GEMM of M, N >= 2 the model
  // always prefers (one_gemm_beats_the_loop), so only a batch or a GEMV-shaped product
  // asks it: its double arithmetic was a tenth of a 2x2 product's instructions.
  if (lc.rows < index_t(cost_model::gemm_tile) || lc.cols < index_t(cost_model::gemm_tile)) {
    double batches = 1;
    for (std::size_t i = 0; i < ix(p.batch.count); ++i) batches *= double(a.extent(p.batch.a[i]));
    if ((batches != 1 || lc.rows < 2 || lc.cols < 2 || !one_gemm_beats_the_loop()) &&
        !prefer_gemm(batches, double(lc.rows), double(lc.cols), double(la.cols), double(sizeof(T))))
      return false;
  }
  if (p.batch.count == 0) {
    gemm<T>(alpha, a.data(), la, b.data(), lb, beta, c.data(), lc);
    return true;
  }
  batched_gemm<T>(alpha, a.data(), la, b.data(), lb, beta, c.data(), lc, pair_batch_loop(p, a, b, c));
  return true;
}

/// For the device tests: the calls try_fast_pair_on took (see PathProbe).
inline thread_local PathProbe device_pair_probe;

/// The same on a device that has no loop lowering (its Backend: a GEMM or a kernel
/// per step, expr/execute.hpp), so a GEMM-shaped pair is always its GEMM: no
/// planning, no temporaries, the GEMM on the operands' strides. Views of the
/// device's memory: only their pointers, extents and strides are read.
template <class T, class Backend, std::size_t RA, std::size_t RB, std::size_t RC>
bool try_fast_pair_on(Backend& be, const StaticPair& p, const TensorView<const T, RA>& a,
                      const TensorView<const T, RB>& b, const TensorView<T, RC>& c, T alpha, T beta) {
  if (device_pair_probe.off || !pair_extents_agree(p, a, b, c)) return false;
  MatrixLayout la, lb, lc;
  if (!pair_gemm_layouts(p, a, b, c, la, lb, lc)) return false;
  ++device_pair_probe.taken;
  be.gemm(alpha, a.data(), la, b.data(), lb, beta, c.data(), lc, pair_batch_loop(p, a, b, c));
  return true;
}

/// The same for a constant StaticPair P (the gradient rules of autodiff/einsum.hpp).
template <const StaticPair& P, class T, std::size_t RA, std::size_t RB, std::size_t RC>
bool try_fast_pair(const TensorView<const T, RA>& a, const TensorView<const T, RB>& b, const TensorView<T, RC>& c,
                   T alpha, T beta) {
  return try_fast_pair(P, a, b, c, alpha, beta);
}

}  // namespace ein::detail
