// The GEMM dispatcher: every GEMM of a plan goes through gemm(), which picks
// one of three kernels from the step's M, N and K (einsum_path shows it):
//   1. direct    M*N*K <= small_gemm_limit: plain loops (small_gemm.hpp)
//   2. BLAS      M*N*K >= blas_gemm_limit, when built with a CBLAS (blas/gemm.hpp)
//   3. Eigen     everything else, and everything when no CBLAS (eigen/gemm.hpp)
// A column-major C is computed as C^T = B^T A^T, so the kernels see C row-major.
// Layer: backend.
#pragma once

#include <array>
#include <utility>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "ein/backend/blas/gemm.hpp"
#include "ein/backend/eigen/gemm.hpp"
#include "ein/backend/small_gemm.hpp"
#include "ein/spec/limits.hpp"

namespace ein {

/// Which kernel runs a GEMM.
enum class GemmKernel : unsigned char { direct, eigen, blas };

constexpr const char* to_string(GemmKernel k) {
  switch (k) {
    case GemmKernel::direct: return "direct";
    case GemmKernel::eigen: return "Eigen";
    case GemmKernel::blas: return "BLAS";
  }
  return "?";
}

namespace detail {

/// At most this many multiply-adds: direct loops beat the set-up of a blocked GEMM.
inline constexpr double small_gemm_limit = 12.0 * 12.0 * 12.0;
/// At least this many: the BLAS kernels pay for their call.
inline constexpr double blas_gemm_limit = 48.0 * 48.0 * 48.0;

constexpr GemmKernel choose_gemm_kernel(double m, double n, double k) {
  const double work = m * n * k;
  if (work <= small_gemm_limit) return GemmKernel::direct;
  if (have_blas && work >= blas_gemm_limit) return GemmKernel::blas;
  return GemmKernel::eigen;
}

/// C = alpha * A * B + beta * C. A, B and C must each have a storage other than
/// `unsupported` (storage_of).
template <class T>
void gemm(T alpha, const T* a, MatrixLayout la, const T* b, MatrixLayout lb, T beta, T* c, MatrixLayout lc) {
  if (storage_of(lc) == Storage::col_major) {
    std::swap(a, b);
    const MatrixLayout t = la.transposed();
    la = lb.transposed();
    lb = t;
    lc = lc.transposed();
    storage_of(lc);
  }
  if (lc.rows == 0 || lc.cols == 0) return;
  if (la.cols == 0) {  // nothing to sum: C = beta * C
    for (index_t i = 0; i < lc.rows; ++i)
      for (index_t j = 0; j < lc.cols; ++j) {
        T& x = c[i * lc.row_stride + j * lc.col_stride];
        x = beta == T(0) ? T(0) : beta * x;
      }
    return;
  }
  switch (choose_gemm_kernel(double(lc.rows), double(lc.cols), double(la.cols))) {
    case GemmKernel::direct: small_gemm(alpha, a, la, b, lb, beta, c, lc); return;
    case GemmKernel::blas:
#ifdef EIN_USE_CBLAS
      if (blas_gemm(alpha, a, la, b, lb, beta, c, lc)) return;
#endif
      [[fallthrough]];
    case GemmKernel::eigen: eigen_gemm(alpha, a, la, b, lb, beta, c, lc); return;
  }
}

/// One GEMM per batch index. Small GEMMs of a large batch run in parallel over the
/// batch (each single-threaded); otherwise the batch is sequential and the GEMM
/// threads, so the cores are never oversubscribed.
template <class T>
void batched_gemm(T alpha, const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb, T beta, T* c,
                  const MatrixLayout& lc, const BatchLoop& batch) {
  index_t batches = 1;
  for (int i = 0; i < batch.count; ++i) batches *= batch.extent[i];
  const auto one = [&](index_t index) {
    index_t oa = 0, ob = 0, oc = 0;
    for (int i = batch.count; i-- > 0;) {
      const index_t at = index % batch.extent[i];
      index /= batch.extent[i];
      oa += at * batch.sa[i];
      ob += at * batch.sb[i];
      oc += at * batch.sc[i];
    }
    gemm<T>(alpha, a + oa, la, b + ob, lb, beta, c + oc, lc);
  };
  const double work = double(la.rows) * double(la.cols) * double(lb.cols);
  const bool parallel = batches > 1 && work * double(batches) > 5e5 &&
                        choose_gemm_kernel(double(la.rows), double(lb.cols), double(la.cols)) != GemmKernel::blas;
#ifdef _OPENMP
#pragma omp parallel for schedule(static) if (parallel)
#endif
  for (index_t i = 0; i < batches; ++i) one(i);
  (void)parallel;
}

}  // namespace detail
}  // namespace ein
