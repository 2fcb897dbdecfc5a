// A direct GEMM kernel for products so small that packing for a blocked GEMM
// costs more than the multiply-adds. Layer: backend.
#pragma once

#include "ein/backend/matrix.hpp"

namespace ein::detail {

/// Row i of C accumulated in N registers: a(i, p) times row p of B, for each p.
/// N known at compile time lets the compiler keep the row in vector registers.
template <class T, int N>
void small_gemm_rows(T alpha, const T* __restrict a, const MatrixLayout& la, const T* __restrict b,
                     const MatrixLayout& lb, T beta, T* __restrict c, const MatrixLayout& lc) {
  const index_t m = lc.rows, k = la.cols;
  for (index_t i = 0; i < m; ++i) {
    T acc[N] = {};
    for (index_t p = 0; p < k; ++p) {
      const T aip = a[i * la.row_stride + p * la.col_stride];
      const T* __restrict brow = b + p * lb.row_stride;
      for (int j = 0; j < N; ++j) acc[j] += aip * brow[j];
    }
    T* __restrict crow = c + i * lc.row_stride;
    if (beta == T(0)) {
      for (int j = 0; j < N; ++j) crow[j] = alpha * acc[j];
    } else {
      for (int j = 0; j < N; ++j) crow[j] = alpha * acc[j] + beta * crow[j];
    }
  }
}

/// C = alpha * A * B + beta * C by direct loops; C row-major. When B is row-major
/// and C's rows are short, each row of C stays in registers (small_gemm_rows).
template <class T>
void small_gemm(T alpha, const T* __restrict a, const MatrixLayout& la, const T* __restrict b, const MatrixLayout& lb,
                T beta, T* __restrict c, const MatrixLayout& lc) {
  if (lb.col_stride == 1 || lc.cols == 1) {
    switch (lc.cols) {
      case 1: return small_gemm_rows<T, 1>(alpha, a, la, b, lb, beta, c, lc);
      case 2: return small_gemm_rows<T, 2>(alpha, a, la, b, lb, beta, c, lc);
      case 3: return small_gemm_rows<T, 3>(alpha, a, la, b, lb, beta, c, lc);
      case 4: return small_gemm_rows<T, 4>(alpha, a, la, b, lb, beta, c, lc);
      case 8: return small_gemm_rows<T, 8>(alpha, a, la, b, lb, beta, c, lc);
      case 16: return small_gemm_rows<T, 16>(alpha, a, la, b, lb, beta, c, lc);
      default: break;
    }
  }
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
