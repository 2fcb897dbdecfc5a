// One GEMM, C = alpha * A * B + beta * C, on strided matrices through Eigen's
// product on Maps: no copies, transposes become the Map's storage order.
// Layer: backend (the only place besides interop.hpp that includes Eigen).
#pragma once

#include <Eigen/Core>

#include "ein/tensor/shape.hpp"

namespace ein::detail {

/// A matrix in memory: element (r, c) sits at data[r * row_stride + c * col_stride].
struct MatrixLayout {
  index_t rows = 0, cols = 0;
  index_t row_stride = 0, col_stride = 0;

  [[nodiscard]] MatrixLayout transposed() const { return {cols, rows, col_stride, row_stride}; }
};

enum class Storage : unsigned char { row_major, col_major, unsupported };

/// Which Eigen Map can read this layout directly: unit stride along one axis and
/// a non-negative leading dimension no shorter than that axis. Degenerate axes
/// (extent 1) take whatever stride makes the layout fit.
inline Storage storage_of(MatrixLayout& m) {
  const bool unit_cols = m.cols <= 1 || m.col_stride == 1;
  const bool unit_rows = m.rows <= 1 || m.row_stride == 1;
  if (unit_cols && (m.rows <= 1 || m.row_stride >= m.cols)) {
    m.col_stride = 1;
    if (m.rows <= 1) m.row_stride = m.cols > 1 ? m.cols : 1;
    return Storage::row_major;
  }
  if (unit_rows && (m.cols <= 1 || m.col_stride >= m.rows)) {
    m.row_stride = 1;
    if (m.cols <= 1) m.col_stride = m.rows > 1 ? m.rows : 1;
    return Storage::col_major;
  }
  return Storage::unsupported;
}

template <class T, int Order>
using ConstMatrixMap =
    Eigen::Map<const Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Order>, Eigen::Unaligned, Eigen::OuterStride<>>;
template <class T>
using RowMajorMatrixMap =
    Eigen::Map<Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>, Eigen::Unaligned, Eigen::OuterStride<>>;

template <class T, int Order>
ConstMatrixMap<T, Order> map_matrix(const T* data, const MatrixLayout& m) {
  const index_t ld = Order == Eigen::RowMajor ? m.row_stride : m.col_stride;
  return {data, m.rows, m.cols, Eigen::OuterStride<>(ld)};
}

/// C = alpha * A * B + beta * C. Every layout must already have a storage other
/// than `unsupported` (storage_of); C row-major or column-major.
template <class T>
void gemm(T alpha, const T* a, MatrixLayout la, const T* b, MatrixLayout lb, T beta, T* c, MatrixLayout lc) {
  Storage sc = storage_of(lc);
  if (sc == Storage::col_major) {  // C^T = B^T A^T keeps C row-major: half the instantiations
    std::swap(a, b);
    const MatrixLayout t = la.transposed();
    la = lb.transposed();
    lb = t;
    lc = lc.transposed();
    sc = storage_of(lc);
  }
  const Storage sa = storage_of(la);
  const Storage sb = storage_of(lb);
  RowMajorMatrixMap<T> cm(c, lc.rows, lc.cols, Eigen::OuterStride<>(lc.row_stride));
  if (lc.rows == 0 || lc.cols == 0) return;
  if (la.cols == 0) {
    if (beta == T(0)) cm.setZero();
    else cm *= beta;
    return;
  }
  const auto run = [&](const auto& am, const auto& bm) {
    if (beta == T(0)) {
      cm.noalias() = alpha * am * bm;
    } else {
      if (beta != T(1)) cm *= beta;
      cm.noalias() += alpha * am * bm;
    }
  };
  if (sa == Storage::row_major) {
    if (sb == Storage::row_major) run(map_matrix<T, Eigen::RowMajor>(a, la), map_matrix<T, Eigen::RowMajor>(b, lb));
    else run(map_matrix<T, Eigen::RowMajor>(a, la), map_matrix<T, Eigen::ColMajor>(b, lb));
  } else {
    if (sb == Storage::row_major) run(map_matrix<T, Eigen::ColMajor>(a, la), map_matrix<T, Eigen::RowMajor>(b, lb));
    else run(map_matrix<T, Eigen::ColMajor>(a, la), map_matrix<T, Eigen::ColMajor>(b, lb));
  }
}

}  // namespace ein::detail
