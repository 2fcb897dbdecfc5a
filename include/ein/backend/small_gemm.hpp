// A direct GEMM kernel for products so small that packing for a blocked GEMM
// costs more than the multiply-adds. Layer: backend.
#pragma once

#include <algorithm>
#include <cstring>

#include "ein/lower/row_kernels.hpp"
#include "ein/lower/matrix.hpp"

namespace ein::detail {

/// Rows i..i+Rows-1 of C accumulated in registers: a(i, p) times row p of B, for
/// each p. N known at compile time keeps a row of C in vector registers; several
/// rows at once give the FMAs independent chains and load each row of B once.
/// K, when not 0, is the inner extent, and unrolls the whole product (4x4x4).
/// UnitA: A's column stride is 1, so A's elements are fixed offsets from each row
/// (a 4x4x4 product then needs no address arithmetic beyond four row pointers).
template <class T, int N, int K, bool UnitA, int Rows>
[[gnu::always_inline]] inline void small_gemm_row_block(T alpha, const T* __restrict a, const MatrixLayout& la,
                                                        const T* __restrict b, const MatrixLayout& lb, T beta,
                                                        T* __restrict c, const MatrixLayout& lc, index_t i) {
  const index_t k = K > 0 ? K : la.cols;
  const index_t acs = UnitA ? 1 : la.col_stride;
  if constexpr (N >= 2 && (N & (N - 1)) == 0) {
    // A row of C as one GCC/Clang vector: g++ 12 left the plain loops over
    // acc[Rows][N] scalar (28 instructions per multiply of a row of B).
    typedef T Row __attribute__((vector_size(N * sizeof(T))));  // (an alias-declaration drops the attribute)
    Row acc[ix(Rows)] = {};
    index_t p = 0;
    if constexpr (K == 0) {
      // Two sets of sums over alternate rows of B: Rows chains of FMAs alone wait
      // on the FMA's latency (8 x 8 x 512 float: 1.2 us, BLAS 0.6).
      Row odd[ix(Rows)] = {};
      for (; p + 2 <= k; p += 2) {
        Row b0, b1;
        std::memcpy(&b0, b + p * lb.row_stride, sizeof(Row));
        std::memcpy(&b1, b + (p + 1) * lb.row_stride, sizeof(Row));
        for (int r = 0; r < Rows; ++r) {
          acc[r] += a[(i + r) * la.row_stride + p * acs] * b0;
          odd[r] += a[(i + r) * la.row_stride + (p + 1) * acs] * b1;
        }
      }
      for (int r = 0; r < Rows; ++r) acc[r] += odd[r];
    }
    for (; p < k; ++p) {
      Row brow;
      std::memcpy(&brow, b + p * lb.row_stride, sizeof(Row));
      for (int r = 0; r < Rows; ++r) acc[r] += a[(i + r) * la.row_stride + p * acs] * brow;
    }
    for (int r = 0; r < Rows; ++r) {
      T* __restrict crow = c + (i + r) * lc.row_stride;
      Row out = alpha * acc[r];
      if (beta != T(0)) {
        Row old;
        std::memcpy(&old, crow, sizeof(Row));
        out += beta * old;
      }
      std::memcpy(crow, &out, sizeof(Row));
    }
  } else {
    T acc[ix(Rows)][ix(N)] = {};
    for (index_t p = 0; p < k; ++p) {
      const T* __restrict brow = b + p * lb.row_stride;
      for (int r = 0; r < Rows; ++r) {
        const T aip = a[(i + r) * la.row_stride + p * acs];
        for (int j = 0; j < N; ++j) acc[r][j] += aip * brow[j];
      }
    }
    for (int r = 0; r < Rows; ++r) {
      T* __restrict crow = c + (i + r) * lc.row_stride;
      for (int j = 0; j < N; ++j) crow[j] = beta == T(0) ? alpha * acc[r][j] : alpha * acc[r][j] + beta * crow[j];
    }
  }
}

/// The widest row of C that a row block keeps in registers as one vector (4 rows
/// of it and a row of B: 10 of AVX's 16 registers; without AVX, 5 of 16 XMM).
/// 16 x 16 x 16 double, 16 doubles a row before, medians: -march=native 1400 ->
/// 200-220 ns (Eigen's product 320-450); baseline x86-64 2190 -> 1415 ns (Eigen
/// 1250-1650), float 1040 -> 650 (Eigen 610-920).
#ifdef __AVX__
inline constexpr int small_gemm_row_bytes = 64;
#else
inline constexpr int small_gemm_row_bytes = 16;
#endif

/// Every row block of C: one function per shape, called (tail-called) by small_gemm.
template <class T, int N, int K, bool UnitA>
[[gnu::noinline]] void small_gemm_rows_kernel(T alpha, const T* __restrict a, const MatrixLayout& la,
                                              const T* __restrict b, const MatrixLayout& lb, T beta, T* __restrict c,
                                              const MatrixLayout& lc) {
  // A row of C wider than small_gemm_row_bytes goes in column blocks that wide: as
  // one vector g++ 12 spilled it to the stack.
  // (Only a row of a power of two elements is one vector; its blocks are too.)
  constexpr int width = [] {
    int w = N;
    while ((N & (N - 1)) == 0 && w > 1 && w * int(sizeof(T)) > small_gemm_row_bytes) w /= 2;
    return w;
  }();
  if constexpr (width < N) {
    for (int j = 0; j < N; j += width)
      small_gemm_rows_kernel<T, width, K, UnitA>(alpha, a, la, b + j, lb, beta, c + j, lc);
    return;
  }
  const index_t m = lc.rows;
  index_t i = 0;
  for (; i + 4 <= m; i += 4) small_gemm_row_block<T, N, K, UnitA, 4>(alpha, a, la, b, lb, beta, c, lc, i);
  for (; i < m; ++i) small_gemm_row_block<T, N, K, UnitA, 1>(alpha, a, la, b, lb, beta, c, lc, i);
}

/// An N x N x N product of row-major, unit-column-stride A, B and C (N = 2 or 4: the
/// tiny square cases), every extent known and the row strides passed by value: no
/// loop over M to enter and no layout to read back from memory. 4 x 4 x 4 float, 1
/// thread, Zen 5: 9.8 ns for checks and product together, against 12.8 ns through
/// small_gemm's dispatch and layouts (Eigen's dynamic-size product: 10.7 ns). (Not
/// small_gemm_row_block on layouts built here: that took 5-8% longer in double, 4x4.)
template <class T, int N>
[[gnu::noinline]] void small_gemm_square(T alpha, const T* __restrict a, index_t a_row_stride, const T* __restrict b,
                                         index_t b_row_stride, T beta, T* __restrict c, index_t c_row_stride) {
  typedef T Row __attribute__((vector_size(N * sizeof(T))));  // (an alias-declaration drops the attribute)
  Row brow[ix(N)], acc[ix(N)];
  for (int p = 0; p < N; ++p) std::memcpy(&brow[p], b + p * b_row_stride, sizeof(Row));
  for (int r = 0; r < N; ++r) {
    const T* __restrict arow = a + r * a_row_stride;
    acc[r] = arow[0] * brow[0];
    for (int p = 1; p < N; ++p) acc[r] += arow[p] * brow[p];
  }
  for (int r = 0; r < N; ++r) {
    T* __restrict crow = c + r * c_row_stride;
    Row out = alpha == T(1) ? acc[r] : alpha * acc[r];
    if (beta != T(0)) {
      Row old;
      std::memcpy(&old, crow, sizeof(Row));
      out += beta * old;
    }
    std::memcpy(crow, &out, sizeof(Row));
  }
}

/// small_gemm_rows with A's column stride tested once (UnitA) where the whole
/// product unrolls (K known): there the index arithmetic it saves is a third of the work.
template <class T, int N, int K = 0>
[[gnu::always_inline]] inline void small_gemm_rows(T alpha, const T* __restrict a, const MatrixLayout& la,
                                                   const T* __restrict b, const MatrixLayout& lb, T beta,
                                                   T* __restrict c, const MatrixLayout& lc) {
  if constexpr (K > 0)
    if (la.col_stride == 1) return small_gemm_rows_kernel<T, N, K, true>(alpha, a, la, b, lb, beta, c, lc);
  return small_gemm_rows_kernel<T, N, K, false>(alpha, a, la, b, lb, beta, c, lc);
}

/// A row-major B of any width: C in column blocks as wide as a row block
/// (small_gemm_row_bytes), the rest in one block of each narrower power of two
/// that it holds, every block's rows in registers over all of K. (Streaming C's
/// rows instead reloads and stores a row of C per multiply of a row of B: 12 x 24
/// x 24 products ran at 7 multiply-adds per ns, 16-wide blocks at 30.)
template <class T, int Width = small_gemm_row_bytes / int(sizeof(T))>
[[gnu::noinline]] void small_gemm_column_blocks(T alpha, const T* __restrict a, const MatrixLayout& la,
                                                const T* __restrict b, const MatrixLayout& lb, T beta,
                                                T* __restrict c, const MatrixLayout& lc, index_t j = 0) {
  constexpr bool widest = Width == small_gemm_row_bytes / int(sizeof(T));
  do {  // (a narrower block than the widest fits once at most)
    if (j + Width > lc.cols) break;
    small_gemm_rows_kernel<T, Width, 0, false>(alpha, a, la, b + j, lb, beta, c + j, lc);
    j += Width;
  } while (widest);
  if constexpr (Width > 1)
    if (j < lc.cols) small_gemm_column_blocks<T, Width / 2>(alpha, a, la, b, lb, beta, c, lc, j);
}

/// small_gemm's other cases: C's rows in column blocks, or B packed row-major
/// on the stack.
template <class T>
[[gnu::noinline]] void small_gemm_any(T alpha, const T* __restrict a, const MatrixLayout& la, const T* __restrict b,
                                      const MatrixLayout& lb, T beta, T* __restrict c, const MatrixLayout& lc);

/// C = alpha * A * B + beta * C by direct loops; C row-major, K at least 1 (gemm()
/// and batched_gemm() take K = 0 before: a K = 0 product reads no A or B). When C's rows are
/// short (N in 1, 2, 3, 4, 8, 16) each row block of C stays in registers
/// (small_gemm_rows); a row-major B of another width goes in column blocks of
/// those widths, and any other B is packed row-major on the stack, a block at a
/// time (small_gemm_any). This part only dispatches, with no stack frame: a 4x4
/// product is about 70 instructions.
template <class T>
void small_gemm(T alpha, const T* __restrict a, const MatrixLayout& la, const T* __restrict b, const MatrixLayout& lb,
                T beta, T* __restrict c, const MatrixLayout& lc) {
  const index_t n = lc.cols, k = la.cols;
  if (lb.col_stride == 1 || n == 1) {
    const bool square = k == n;  // the common tiny case: unroll K too
    switch (n) {
      case 1: return small_gemm_rows<T, 1>(alpha, a, la, b, lb, beta, c, lc);
      case 2:
        if (square) return small_gemm_rows<T, 2, 2>(alpha, a, la, b, lb, beta, c, lc);
        return small_gemm_rows<T, 2>(alpha, a, la, b, lb, beta, c, lc);
      case 3: return small_gemm_rows<T, 3>(alpha, a, la, b, lb, beta, c, lc);
      case 4:
        if (square) return small_gemm_rows<T, 4, 4>(alpha, a, la, b, lb, beta, c, lc);
        return small_gemm_rows<T, 4>(alpha, a, la, b, lb, beta, c, lc);
      case 8: return small_gemm_rows<T, 8>(alpha, a, la, b, lb, beta, c, lc);
      case 16: return small_gemm_rows<T, 16>(alpha, a, la, b, lb, beta, c, lc);
      default: break;
    }
  }
  return small_gemm_any(alpha, a, la, b, lb, beta, c, lc);
}

template <class T>
void small_gemm_any(T alpha, const T* __restrict a, const MatrixLayout& la, const T* __restrict b,
                    const MatrixLayout& lb, T beta, T* __restrict c, const MatrixLayout& lc) {
  if (lb.col_stride == 1) return small_gemm_column_blocks(alpha, a, la, b, lb, beta, c, lc);
  // Any other B is packed row-major on the stack, a block of up to `width` columns
  // and `depth` rows at a time, each block a row-major product (later blocks of K
  // add to C). Dot products per element of C instead ("ij,kj->ik", 16 x 32 x 200)
  // ran 10-20x slower than Eigen's product.
  constexpr index_t width = small_gemm_row_bytes / index_t(sizeof(T)), depth = 256;
  T packed[static_cast<std::size_t>(width * depth)];
  const index_t n = lc.cols, k = la.cols;
  for (index_t j = 0; j < n; j += width) {
    const index_t w = std::min(width, n - j);
    for (index_t p = 0; p < k; p += depth) {
      const index_t d = std::min(depth, k - p);
      for (index_t jj = 0; jj < w; ++jj)
        for (index_t q = 0; q < d; ++q) packed[q * w + jj] = b[(p + q) * lb.row_stride + (j + jj) * lb.col_stride];
      const MatrixLayout la_block{la.rows, d, la.row_stride, la.col_stride}, lp{d, w, w, 1};
      const MatrixLayout lc_block{lc.rows, w, lc.row_stride, lc.col_stride};
      small_gemm(alpha, a + p * la.col_stride, la_block, packed, lp, p == 0 ? beta : T(1), c + j, lc_block);
    }
  }
}

}  // namespace ein::detail
