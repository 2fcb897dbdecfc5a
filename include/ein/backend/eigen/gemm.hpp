// One GEMM, C = alpha * A * B + beta * C, on strided matrices through Eigen's
// product on Maps: no copies, transposes become the Map's storage order.
// Layer: backend (with interop.hpp, the only place that includes Eigen).
#pragma once

#include <Eigen/Core>

#include "ein/backend/matrix.hpp"

namespace ein::detail {

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

/// C = alpha * A * B + beta * C through Eigen's product on Maps. C row-major; A and
/// B of a storage other than `unsupported` (storage_of).
template <class T>
void eigen_gemm(T alpha, const T* a, MatrixLayout la, const T* b, MatrixLayout lb, T beta, T* c, MatrixLayout lc) {
  const Storage sa = storage_of(la);
  const Storage sb = storage_of(lb);
  RowMajorMatrixMap<T> cm(c, lc.rows, lc.cols, Eigen::OuterStride<>(lc.row_stride));
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
