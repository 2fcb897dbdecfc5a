// A direct GEMM kernel for products so small that packing for a blocked GEMM
// costs more than the multiply-adds. Layer: backend.
#pragma once

#include "ein/backend/matrix.hpp"

namespace ein::detail {

/// C = alpha * A * B + beta * C by direct loops; C row-major. Row i of C gathers
/// a(i, p) times row p of B, so the inner loop runs along unit strides of B and C
/// and vectorises when B is row-major.
template <class T>
void small_gemm(T alpha, const T* __restrict a, const MatrixLayout& la, const T* __restrict b, const MatrixLayout& lb,
                T beta, T* __restrict c, const MatrixLayout& lc) {
  const index_t m = lc.rows, n = lc.cols, k = la.cols;
  for (index_t i = 0; i < m; ++i) {
    T* __restrict crow = c + i * lc.row_stride;
    if (beta == T(0)) {
      for (index_t j = 0; j < n; ++j) crow[j] = T(0);
    } else if (beta != T(1)) {
      for (index_t j = 0; j < n; ++j) crow[j] *= beta;
    }
    for (index_t p = 0; p < k; ++p) {
      const T aip = alpha * a[i * la.row_stride + p * la.col_stride];
      const T* __restrict brow = b + p * lb.row_stride;
      if (lb.col_stride == 1) {
        for (index_t j = 0; j < n; ++j) crow[j] += aip * brow[j];
      } else {
        for (index_t j = 0; j < n; ++j) crow[j] += aip * brow[j * lb.col_stride];
      }
    }
  }
}

}  // namespace ein::detail
