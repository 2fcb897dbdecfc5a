// One GEMM through CBLAS (OpenBLAS on Debian), for steps large enough to gain
// from its kernels. Only compiled with EIN_USE_CBLAS, which the CMake target
// defines when it finds a CBLAS. Strides become leading dimensions and
// transpose flags: no copies. Layer: backend.
#pragma once

#ifdef EIN_USE_CBLAS
#include <cblas.h>

#include <limits>
#include <type_traits>

#include "ein/lower/matrix.hpp"

namespace ein::detail {

inline constexpr bool have_blas = true;

}  // namespace ein::detail

// OpenBLAS says how it was built; weak, so that another CBLAS (without it) still links.
extern "C" int openblas_get_parallel(void) __attribute__((weak));

namespace ein::detail {

/// Whether cblas may run on every thread of an OpenMP team at once: OpenBLAS's
/// OpenMP and sequential builds then run single-threaded; its pthreads build
/// (Debian's default) and a CBLAS that cannot be asked would start threads of
/// their own on every call, and oversubscribe the cores.
inline bool blas_in_team_ok() {
  static const bool ok = openblas_get_parallel != nullptr && openblas_get_parallel() != 1;
  return ok;
}

/// C = alpha * A * B + beta * C; C row-major, A and B of supported storage.
template <class T>
bool blas_gemm(T alpha, const T* a, MatrixLayout la, const T* b, MatrixLayout lb, T beta, T* c, MatrixLayout lc) {
  if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double>) {
    la = normalized(la);
    lb = normalized(lb);
    const Storage sa = storage_of(la), sb = storage_of(lb);
    const auto ta = sa == Storage::row_major ? CblasNoTrans : CblasTrans;
    const auto tb = sb == Storage::row_major ? CblasNoTrans : CblasTrans;
    const index_t lda = sa == Storage::row_major ? la.row_stride : la.col_stride;
    const index_t ldb = sb == Storage::row_major ? lb.row_stride : lb.col_stride;
    // CBLAS takes int sizes: a larger GEMM goes to Eigen (64-bit indices) instead.
    constexpr index_t int_max = std::numeric_limits<int>::max();
    if (lc.rows > int_max || lc.cols > int_max || la.cols > int_max || lda > int_max || ldb > int_max ||
        lc.row_stride > int_max)
      return false;
    const auto m = static_cast<int>(lc.rows), n = static_cast<int>(lc.cols), k = static_cast<int>(la.cols);
    if constexpr (std::is_same_v<T, float>)
      cblas_sgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
                  static_cast<int>(lc.row_stride));
    else
      cblas_dgemm(CblasRowMajor, ta, tb, m, n, k, alpha, a, static_cast<int>(lda), b, static_cast<int>(ldb), beta, c,
                  static_cast<int>(lc.row_stride));
    return true;
  } else {
    return false;
  }
}

}  // namespace ein::detail
#else
namespace ein::detail {
inline constexpr bool have_blas = false;
inline bool blas_in_team_ok() { return false; }
}  // namespace ein::detail
#endif
