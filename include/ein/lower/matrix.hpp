// MatrixLayout: a strided matrix as a GEMM sees it, and which storage order
// (row- or column-major with a leading dimension) can read it in place.
// Layer: lower.
#pragma once

#include <array>

#include "ein/lower/loop_space.hpp"
#include "ein/spec/limits.hpp"
#include "ein/tensor/shape.hpp"

namespace ein::detail {

/// A matrix in memory: element (r, c) sits at data[r * row_stride + c * col_stride].
struct MatrixLayout {
  index_t rows = 0, cols = 0;
  index_t row_stride = 0, col_stride = 0;

  [[nodiscard]] MatrixLayout transposed() const { return {cols, rows, col_stride, row_stride}; }
};

enum class Storage : unsigned char { row_major, col_major, unsupported };

/// Which storage (an Eigen Map, a BLAS operand) reads this layout in place: unit
/// stride along one axis and a non-negative leading dimension no shorter than that
/// axis. An axis of extent 1 is never stepped along: any stride fits it. Pure.
inline Storage storage_of(const MatrixLayout& m) {
  const bool unit_cols = m.cols <= 1 || m.col_stride == 1;
  const bool unit_rows = m.rows <= 1 || m.row_stride == 1;
  if (unit_cols && (m.rows <= 1 || m.row_stride >= m.cols)) return Storage::row_major;
  if (unit_rows && (m.cols <= 1 || m.col_stride >= m.rows)) return Storage::col_major;
  return Storage::unsupported;
}

/// m with the strides of its degenerate axes (extent 1) replaced by ones that make
/// its storage_of explicit (a unit stride, a leading dimension BLAS accepts), so a
/// kernel can read the storage from the strides alone. Unsupported: m as it is.
inline MatrixLayout normalized(MatrixLayout m) {
  switch (storage_of(m)) {
    case Storage::row_major:
      m.col_stride = 1;
      if (m.rows <= 1) m.row_stride = m.cols > 1 ? m.cols : 1;
      break;
    case Storage::col_major:
      m.row_stride = 1;
      if (m.cols <= 1) m.col_stride = m.rows > 1 ? m.rows : 1;
      break;
    case Storage::unsupported: break;
  }
  return m;
}

/// The batch labels of a batched GEMM, outermost first: extent and stride in A, B
/// and C of each.
struct BatchLoop {
  std::array<index_t, max_rank> extent{}, sa{}, sb{}, sc{};
  int count = 0;

  void push(index_t n, index_t stride_a, index_t stride_b, index_t stride_c) {
    extent[ix(count)] = n;
    sa[ix(count)] = stride_a;
    sb[ix(count)] = stride_b;
    sc[ix(count++)] = stride_c;
  }
};

/// Merges a batch loop's axes across A, B and C at once (merge_axes): batch labels
/// that lie contiguous in all three become one loop axis, which a strided-batched
/// GEMM (cuBLAS) takes whole and a host loop walks without an odometer digit.
/// A batch of extent 0 is left as it is (nothing runs).
inline void merge_batch(BatchLoop& b) {
  std::array<LoopAxis, max_rank> axes;
  for (int i = 0; i < b.count; ++i) {
    if (b.extent[ix(i)] == 0) return;
    axes[ix(i)].extent = b.extent[ix(i)];
    axes[ix(i)].stride[0] = b.sa[ix(i)];
    axes[ix(i)].stride[1] = b.sb[ix(i)];
    axes[ix(i)].stride[2] = b.sc[ix(i)];
  }
  b.count = merge_axes(axes.data(), b.count, 3);
  for (int i = 0; i < b.count; ++i) {
    b.extent[ix(i)] = axes[ix(i)].extent;
    b.sa[ix(i)] = axes[ix(i)].stride[0];
    b.sb[ix(i)] = axes[ix(i)].stride[1];
    b.sc[ix(i)] = axes[ix(i)].stride[2];
  }
}

/// Calls f(offset_a, offset_b, offset_c) at every index of the batch loop, its last
/// axis fastest: the offsets by an odometer, not a division per GEMM (a 2x2 product
/// is about 70 instructions, the div and mod to place it 50 more).
template <class F>
void for_each_batch(const BatchLoop& batch, F&& f) {
  const std::size_t count = ix(batch.count);
  if (count == 1) {  // (the common case once merge_batch has run: a plain loop)
    for (index_t i = 0, oa = 0, ob = 0, oc = 0; i < batch.extent[0];
         ++i, oa += batch.sa[0], ob += batch.sb[0], oc += batch.sc[0])
      f(oa, ob, oc);
    return;
  }
  for (std::size_t d = 0; d < count; ++d)
    if (batch.extent[d] == 0) return;
  std::array<index_t, max_rank> at{};
  index_t oa = 0, ob = 0, oc = 0;
  while (true) {
    f(oa, ob, oc);
    std::size_t d = count;
    while (true) {
      if (d-- == 0) return;
      oa += batch.sa[d];
      ob += batch.sb[d];
      oc += batch.sc[d];
      if (++at[d] < batch.extent[d]) break;
      oa -= batch.sa[d] * batch.extent[d];
      ob -= batch.sb[d] * batch.extent[d];
      oc -= batch.sc[d] * batch.extent[d];
      at[d] = 0;
    }
  }
}

}  // namespace ein::detail
