// One GEMM, C = alpha * A * B + beta * C, on strided matrices through Eigen's
// kernels: no copies, transposes become storage orders and leading dimensions.
// Layer: backend (with interop.hpp, the only place that includes Eigen).
//
// This calls the kernels behind Eigen's `c.noalias() = a * b` directly
// (general_matrix_matrix_product, and general_matrix_vector_product when C is a
// row or a column, as Eigen's product does), with Eigen's blocking and its
// OpenMP split (parallelize_gemm). Going through the product expression instead,
// `cm.noalias() = alpha * am * bm` for each of the 4 storage orders of A and B,
// instantiated Eigen's whole product dispatch (GEMV, lazy and coefficient-based
// products, the expression evaluators) 8 times over and made the first einsum
// of a translation unit cost 2 to 4 s of compile time (bench/compile_time);
// this costs one GEMM kernel per storage pair and one GEMV per storage order of
// A, with one parallelize_gemm for all.
#pragma once

#include <Eigen/Core>

#include "ein/backend/scratch.hpp"
#include "ein/lower/matrix.hpp"

namespace ein::detail {

/// C = beta * C on a row-major C (col_stride 1); beta = 0 writes zeros (NaN in C is dropped).
template <class T>
void scale_rows(T beta, T* c, const MatrixLayout& lc) {
  for (index_t i = 0; i < lc.rows; ++i) {
    T* row = c + i * lc.row_stride;
    if (beta == T(0))
      for (index_t j = 0; j < lc.cols; ++j) row[j] = T(0);
    else
      for (index_t j = 0; j < lc.cols; ++j) row[j] *= beta;
  }
}

/// y += alpha * L x for an L of `rows` x `cols` with leading dimension ld, stored
/// in `Order`; x and y strided. Eigen's GEMV reads x contiguous for a row-major L
/// and writes y contiguous for a column-major one: the other is copied, as
/// Eigen's product does (on the stack up to EIGEN_STACK_ALLOCATION_LIMIT).
template <class T, int Order>
void eigen_gemv(index_t rows, index_t cols, const T* l, index_t ld, const T* x, index_t incx, T* y, index_t incy,
                T alpha) {
  using Index = Eigen::Index;
  using LhsMapper = Eigen::internal::const_blas_data_mapper<T, Index, Order>;
  namespace internal = Eigen::internal;  // (ei_declare_aligned_stack_constructed_variable names it unqualified)
  if constexpr (Order == Eigen::RowMajor) {
    using RhsMapper = Eigen::internal::const_blas_data_mapper<T, Index, Eigen::ColMajor>;
    // (the macro takes a size_t count)
    ei_declare_aligned_stack_constructed_variable(T, packed, static_cast<std::size_t>(cols),
                                                  incx == 1 ? const_cast<T*>(x) : nullptr);
    if (incx != 1)
      for (index_t j = 0; j < cols; ++j) packed[j] = x[j * incx];
    Eigen::internal::general_matrix_vector_product<Index, T, LhsMapper, Eigen::RowMajor, false, T, RhsMapper,
                                                   false>::run(rows, cols, LhsMapper(l, ld), RhsMapper(packed, 1), y,
                                                               incy, alpha);
  } else {
    using RhsMapper = Eigen::internal::const_blas_data_mapper<T, Index, Eigen::RowMajor>;
    ei_declare_aligned_stack_constructed_variable(T, out, static_cast<std::size_t>(rows), incy == 1 ? y : nullptr);
    if (incy != 1)
      for (index_t i = 0; i < rows; ++i) out[i] = y[i * incy];
    Eigen::internal::general_matrix_vector_product<Index, T, LhsMapper, Eigen::ColMajor, false, T, RhsMapper,
                                                   false>::run(rows, cols, LhsMapper(l, ld), RhsMapper(x, incx), out, 1,
                                                               alpha);
    if (incy != 1)
      for (index_t i = 0; i < rows; ++i) y[i * incy] = out[i];
  }
}

/// y += alpha * L x, L of either storage (storage_of).
template <class T>
void eigen_gemv(const T* l, MatrixLayout ll, const T* x, index_t incx, T* y, index_t incy, T alpha) {
  ll = normalized(ll);
  if (storage_of(ll) == Storage::row_major)
    eigen_gemv<T, Eigen::RowMajor>(ll.rows, ll.cols, l, ll.row_stride, x, incx, y, incy, alpha);
  else
    eigen_gemv<T, Eigen::ColMajor>(ll.rows, ll.cols, l, ll.col_stride, x, incx, y, incy, alpha);
}

template <class T>
using EigenBlocking =
    Eigen::internal::gemm_blocking_space<Eigen::RowMajor, T, T, Eigen::Dynamic, Eigen::Dynamic, Eigen::Dynamic>;

/// Eigen's blocking, its packing buffers taken from this thread's scratch pool:
/// Eigen's own allocates them on the heap on every call past
/// EIGEN_STACK_ALLOCATION_LIMIT (2 to 5 heap allocations in each step of the
/// README's MLP). Under the OpenMP split, each thread's packed B is Eigen's.
template <class T>
class PooledBlocking : public EigenBlocking<T> {
 public:
  PooledBlocking(index_t m, index_t n, index_t k) : EigenBlocking<T>(m, n, k, 1, true) { provide(); }
  PooledBlocking(const PooledBlocking&) = delete;
  PooledBlocking& operator=(const PooledBlocking&) = delete;
  ~PooledBlocking() { this->m_blockA = this->m_blockB = nullptr; }  // (the scratch's: the base frees nothing)

  void initParallel(index_t rows, index_t cols, index_t depth, index_t threads) {
    this->m_blockA = this->m_blockB = nullptr;  // (Eigen asserts them null)
    EigenBlocking<T>::initParallel(rows, cols, depth, threads);
    provide();
  }

 private:
  void provide() {
    this->m_blockA = scratch_.allocate(this->kc() * this->mc());
    this->m_blockB = scratch_.allocate(this->kc() * this->nc());
  }
  Scratch<T> scratch_;
};

/// Eigen's GEMM kernel for A and B in the storage orders LhsOrder and RhsOrder, C row-major.
template <class T, int LhsOrder, int RhsOrder>
using EigenGemm = Eigen::internal::general_matrix_matrix_product<Eigen::Index, T, LhsOrder, false, T, RhsOrder, false,
                                                                 Eigen::RowMajor, 1>;

/// One call of Eigen's GEMM kernel on rows [row, row + nrows) and columns [col,
/// col + ncols) of C: what Eigen's gemm_functor is, on pointers and leading
/// dimensions. The kernel is a pointer, so that parallelize_gemm is instantiated
/// once for the 4 storage orders of A and B.
template <class T>
struct EigenGemmTask {
  using Index = Eigen::Index;
  using Traits = Eigen::internal::gebp_traits<T, T>;  // (parallelize_gemm reads its register block sizes)
  using Kernel = decltype(&EigenGemm<T, Eigen::RowMajor, Eigen::RowMajor>::run);
  Kernel kernel;
  bool a_row_major, b_row_major;
  const T* a;
  index_t lda;
  const T* b;
  index_t ldb;
  T* c;
  index_t ldc, rows, cols, depth;
  T alpha;
  PooledBlocking<T>& blocking;

  void initParallelSession(Index threads) const {
    blocking.initParallel(rows, cols, depth, threads);
    blocking.allocateA();
  }
  void operator()(Index row, Index nrows, Index col = 0, Index ncols = -1,
                  Eigen::internal::GemmParallelInfo<Index>* info = nullptr) const {
    if (ncols == -1) ncols = cols;
    const T* a0 = a + (a_row_major ? row * lda : row);
    const T* b0 = b + (b_row_major ? col : col * ldb);
    kernel(nrows, ncols, depth, a0, lda, b0, ldb, c + row * ldc + col, 1, ldc, alpha, blocking, info);
  }
};

/// C = alpha * A * B + beta * C with Eigen's kernels. C row-major; A and B of a
/// storage other than `unsupported` (storage_of).
template <class T>
void eigen_gemm(T alpha, const T* a, MatrixLayout la, const T* b, MatrixLayout lb, T beta, T* c, MatrixLayout lc) {
  la = normalized(la);
  lb = normalized(lb);
  const Storage sa = storage_of(la);
  const Storage sb = storage_of(lb);
  if (beta != T(1)) scale_rows(beta, c, lc);
  if (lc.rows == 0 || lc.cols == 0 || la.cols == 0) return;
  // A row or a column of C is one GEMV, as in Eigen's product (a column first).
  if (lc.cols == 1) return eigen_gemv(a, la, b, lb.row_stride, c, lc.row_stride, alpha);
  if (lc.rows == 1) return eigen_gemv(b, lb.transposed(), a, la.col_stride, c, 1, alpha);
  const bool a_row = sa == Storage::row_major, b_row = sb == Storage::row_major;
  const auto kernel = a_row ? (b_row ? &EigenGemm<T, Eigen::RowMajor, Eigen::RowMajor>::run
                                     : &EigenGemm<T, Eigen::RowMajor, Eigen::ColMajor>::run)
                            : (b_row ? &EigenGemm<T, Eigen::ColMajor, Eigen::RowMajor>::run
                                     : &EigenGemm<T, Eigen::ColMajor, Eigen::ColMajor>::run);
  const index_t m = lc.rows, n = lc.cols, k = la.cols;
  const index_t lda = a_row ? la.row_stride : la.col_stride, ldb = b_row ? lb.row_stride : lb.col_stride;
  // C += alpha * A * B, threaded as Eigen's product threads it (parallelize_gemm:
  // OpenMP, outside a parallel region, when large enough).
  PooledBlocking<T> blocking(m, n, k);
  const EigenGemmTask<T> task{kernel, a_row, b_row, a, lda, b, ldb, c, lc.row_stride, m, n, k, alpha, blocking};
  Eigen::internal::parallelize_gemm<true>(task, m, n, k, true);
}

}  // namespace ein::detail
