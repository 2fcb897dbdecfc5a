// The bodies of ein's CUDA kernels as per-element functions, callable from the
// device (src/cuda/loop.cu) and from the host (the emulated-device test), and
// LoopKernel, the POD descriptor of one direct-loop step (lower/loop_nest.hpp semantics):
//   out[o] = alpha * sum_s a[o, s] * b[o, s] + beta * out[o]
// Two kernels run it (choose_loop_kernel):
//   1. per_element: one thread per output element, serial sum over s;
//   2. block_reduce: one block per output element, its threads split the sum
//      (few outputs, long sums: "ij->", "ij->i" with j large).
// Layer: backend (cuda). Parsed by nvcc: includes nothing heavy.
#pragma once

#include <cstddef>

#include "ein/math/element.hpp"  // (EIN_HOST_DEVICE)
#include "ein/spec/limits.hpp"

namespace ein::cuda::detail {

using index_t = std::ptrdiff_t;  // ein::index_t, without the tensor headers

/// One direct-loop step. Output labels come first (the last varies fastest, so
/// neighbouring threads write neighbouring elements), then the summed labels.
struct LoopKernel {
  static constexpr int max_outer = max_rank;      // the output's labels
  static constexpr int max_inner = 2 * max_rank;  // labels of a and b not in the output
  int n_outer = 0, n_inner = 0;
  index_t outer_extent[max_outer] = {}, outer_sa[max_outer] = {}, outer_sb[max_outer] = {}, outer_so[max_outer] = {};
  index_t inner_extent[max_inner] = {}, inner_sa[max_inner] = {}, inner_sb[max_inner] = {};
  index_t outer_count = 1;  // product of the outer extents: output elements
  index_t inner_count = 1;  // product of the inner extents: terms per sum
  bool has_b = false;
};

enum class LoopVariant : unsigned char { per_element, block_reduce };

/// Threads per block of both kernels.
inline constexpr int loop_block = 256;

/// Block reduction when the outputs alone cannot fill the device (fewer than
/// ~64 blocks' worth) and each sum is long enough to share among a block.
EIN_HOST_DEVICE inline LoopVariant choose_loop_kernel(const LoopKernel& k) {
  return k.outer_count < 64 * loop_block && k.inner_count >= 4 * loop_block ? LoopVariant::block_reduce
                                                                             : LoopVariant::per_element;
}

/// Offsets in a, b and out of output element `o` (row-major over the outer labels).
EIN_HOST_DEVICE inline void loop_outer_offsets(const LoopKernel& k, index_t o, index_t& oa, index_t& ob, index_t& oo) {
  oa = ob = oo = 0;
  for (int d = k.n_outer - 1; d >= 0; --d) {
    const index_t e = k.outer_extent[d];
    const index_t i = o % e;
    o /= e;
    oa += i * k.outer_sa[d];
    ob += i * k.outer_sb[d];
    oo += i * k.outer_so[d];
  }
}

/// Offsets in a and b of term `s` of a sum (row-major over the inner labels).
EIN_HOST_DEVICE inline void loop_inner_offsets(const LoopKernel& k, index_t s, index_t& ia, index_t& ib) {
  ia = ib = 0;
  for (int d = k.n_inner - 1; d >= 0; --d) {
    const index_t e = k.inner_extent[d];
    const index_t i = s % e;
    s /= e;
    ia += i * k.inner_sa[d];
    ib += i * k.inner_sb[d];
  }
}

template <class T>
EIN_HOST_DEVICE inline T loop_term(const LoopKernel& k, const T* a, const T* b, index_t ia, index_t ib) {
  return k.has_b ? a[ia] * b[ib] : a[ia];
}

/// The whole sum of output element `o`, walked by an odometer (per_element kernel).
template <class T>
EIN_HOST_DEVICE inline T loop_sum(const LoopKernel& k, const T* a, const T* b, index_t oa, index_t ob) {
  if (k.inner_count == 0) return T(0);
  if (k.n_inner == 0) return loop_term(k, a, b, oa, ob);
  index_t at[LoopKernel::max_inner] = {};
  const int last = k.n_inner - 1;
  const index_t le = k.inner_extent[last], lsa = k.inner_sa[last], lsb = k.inner_sb[last];
  T acc = T(0);
  index_t pa = oa, pb = ob;
  while (true) {
    for (index_t i = 0; i < le; ++i) acc += loop_term(k, a, b, pa + i * lsa, pb + i * lsb);
    int d = last;
    while (true) {
      if (--d < 0) return acc;
      pa += k.inner_sa[d];
      pb += k.inner_sb[d];
      if (++at[d] < k.inner_extent[d]) break;
      pa -= k.inner_sa[d] * k.inner_extent[d];
      pb -= k.inner_sb[d] * k.inner_extent[d];
      at[d] = 0;
    }
  }
}

/// Terms first, first + step, ... of output element o's sum (one thread of block_reduce).
template <class T>
EIN_HOST_DEVICE inline T loop_partial_sum(const LoopKernel& k, const T* a, const T* b, index_t oa, index_t ob,
                                          index_t first, index_t step) {
  T acc = T(0);
  for (index_t s = first; s < k.inner_count; s += step) {
    index_t ia = 0, ib = 0;
    loop_inner_offsets(k, s, ia, ib);
    acc += loop_term(k, a, b, oa + ia, ob + ib);
  }
  return acc;
}

/// out[oo] = alpha * value + beta * out[oo]; out is not read when beta is 0 (it may hold NaN).
template <class T>
EIN_HOST_DEVICE inline void loop_store(T* out, index_t oo, T value, T alpha, T beta) {
  out[oo] = beta == T(0) ? alpha * value : alpha * value + beta * out[oo];
}

/// One element of a fill.
template <class T>
EIN_HOST_DEVICE inline void fill_element(T* p, index_t i, T value) {
  p[i] = value;
}

}  // namespace ein::cuda::detail
