// The GEMM dispatcher: every GEMM of a plan goes through gemm(), which picks
// one of three kernels from the step's M, N and K, the element size and B's layout
// (einsum_path shows it):
//   1. direct    M*N*K <= small_gemm_limit, or a thin product (min(M, N) <=
//                thin_gemm_extent and M*N*K < blas_gemm_limit, or K <=
//                thin_gemm_depth up to thin_gemm_limit), or a tall thin one at
//                any size (N <= thin_gemm_extent, M >= tall_gemm_rows), unless B
//                is not row-major and past direct_pack_limit: register-blocked
//                loops (small_gemm.hpp); packing for a blocked GEMM costs more
//                than such products ("ab,bc,cd,de->ae" with b, d, e = 8)
//   2. BLAS      M*N*K >= blas_gemm_limit, when built with a CBLAS (blas/gemm.hpp)
//   3. Eigen     everything else, and everything when no CBLAS (eigen/gemm.hpp);
//                tall deep double products up to thin_double_eigen_cols columns; not in
//                a build with a CBLAS and no AVX (have_eigen_gemm): there BLAS
//                takes everything the direct kernel does not
// A column-major C is computed as C^T = B^T A^T, so the kernels see C row-major.
// Layer: backend.
#pragma once

#include <algorithm>
#include <type_traits>
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

/// Thin products: one side this short goes to the direct kernel below
/// blas_gemm_limit, and with the depth this short too up to thin_gemm_limit
/// multiply-adds (beyond, a threaded GEMM can use more cores). Thin and below
/// blas_gemm_limit, the direct kernel ran 1.0-1.9x as fast as Eigen's at any depth
/// (8 x 8 x 512: 1.2 against 2.2 us in double; 16 x 64 x 64, 100 x 12 x 60).
inline constexpr double thin_gemm_extent = 16, thin_gemm_depth = 32, thin_gemm_limit = 64.0 * 64.0 * 64.0;

/// Whether Eigen's GEMM kernel runs (and so is compiled) for float and double. Built
/// without AVX, Eigen's kernel is SSE code, and OpenBLAS (which picks its kernels at
/// run time) was 1.3-2.5x faster single-threaded at every size from 13^3 to 64^3
/// (AMD Zen 5); with AVX, Eigen was up to 1.5x faster below blas_gemm_limit. So with
/// a CBLAS and no AVX, BLAS takes every non-direct GEMM, and the first einsum of a
/// TU does not compile Eigen's kernel (most of its cost over one Eigen product).
#if defined(EIN_USE_CBLAS) && !defined(__AVX__)
inline constexpr bool have_eigen_gemm = false;
#else
inline constexpr bool have_eigen_gemm = true;
#endif

/// Tall thin products: C (row-major) at least this many rows long and at most
/// thin_gemm_extent wide goes to the direct kernel at any size. Such a product
/// reads A once at the speed memory gives it; a blocked GEMM packs A first (one
/// more pass over it) and its micro-kernel is wider than C. One thread, medians,
/// ein's "ik,kj->ij" through each kernel in one run (AMD Zen 5, OpenBLAS 0.3.21 with
/// SkylakeX kernels): 2048 x 8 x 2048 double 1.5 ms direct, 3.7 BLAS, 2.3 Eigen;
/// x 16: 3.4, 4.7, 3.8; float x 8: 0.93, 1.42, 1.41; 128 x 8 x 8192 double 0.25,
/// 0.47, 0.38; 64 x 16 x 4096 float 48, 64, 72 us. At 32 wide the direct kernel
/// no longer wins (double 2048 x 32 x 2048: 7.3 ms, BLAS 6.7, Eigen 5.8).
inline constexpr double tall_gemm_rows = 64;
/// Tall double products up to this many columns (past thin_gemm_extent) and at
/// least thin_double_eigen_depth deep go to Eigen's kernel: OpenBLAS's double kernels
/// for a row-major C this narrow ran 1.04-1.17x Eigen's time there, same run as above
/// (2048 x 32 x 2048 6.7 against 5.8 ms, 128 x 32 x 16384 3.2 against 2.8, 1024 x 32
/// x 1024 1.15 against 1.11; 256 x 24 x 4096 0.96 against 0.89; 48 wide: 1.59
/// against 1.64, BLAS). Shallower, no gain: 512 x 32 x 512 even, 4096 x 32 x 128
/// 1.06x; and the Tucker product "ijk,ai,bj,ck->abc" (a step of 4096 x 32 x 64) ran
/// 5% slower on 1 thread and 20% on 2 with it. In float BLAS's were 1.2-1.4x faster.
inline constexpr double thin_double_eigen_cols = 32, thin_double_eigen_depth = 1024;

/// A tall product at most thin_double_eigen_cols wide: the shapes the two rules above
/// send to the direct or Eigen's kernel, which ein splits across threads (gemm_any).
constexpr bool tall_thin(double m, double n) { return m >= tall_gemm_rows && n <= thin_double_eigen_cols; }

/// direct_ok: B is one the direct kernel reads by rows or packs in one block (see
/// direct_pack_limit); where it is not, the products it would take go to a blocked
/// GEMM: Eigen's where the small and thin rules chose it, by the rules below where
/// only its tall shape did.
constexpr GemmKernel choose_gemm_kernel(double m, double n, double k, std::size_t element_size,
                                        bool direct_ok = true) {
  const double work = m * n * k;
  const bool tall = tall_thin(m, n);
  if (work <= small_gemm_limit || ((m <= thin_gemm_extent || n <= thin_gemm_extent) &&
                                   (work < blas_gemm_limit || (k <= thin_gemm_depth && work <= thin_gemm_limit))))
    return direct_ok ? GemmKernel::direct : have_eigen_gemm ? GemmKernel::eigen : GemmKernel::blas;
  if (direct_ok && tall && n <= thin_gemm_extent) return GemmKernel::direct;
  if (have_eigen_gemm && element_size == 8 && tall && k >= thin_double_eigen_depth)
    return GemmKernel::eigen;
  if (have_blas && (work >= blas_gemm_limit || !have_eigen_gemm)) return GemmKernel::blas;
  return GemmKernel::eigen;
}

/// Elements of a B that is not row-major up to which the direct kernel takes it
/// (packed on the stack in one block); past it a blocked GEMM, which packs it once:
/// block by block, "ij,kj->ik" at 16 x 32 x 200 ran at 0.5-0.7 of Eigen's speed.
inline constexpr double direct_pack_limit = 512;

/// choose_gemm_kernel for a product that orient_row_major has oriented (C row-major).
inline GemmKernel choose_gemm_kernel(const MatrixLayout& la, const MatrixLayout& lb, const MatrixLayout& lc,
                                     std::size_t element_size) {
  const bool direct_ok = lb.col_stride == 1 || lb.cols == 1 || double(lb.rows) * double(lb.cols) <= direct_pack_limit;
  return choose_gemm_kernel(double(lc.rows), double(lc.cols), double(la.cols), element_size, direct_ok);
}

/// The kernel for a GEMM that BLAS declines (an element type it lacks, or sizes
/// past its int): Eigen's, or where it is not in the build (have_eigen_gemm) for
/// float and double, the direct kernel, which takes any size.
template <class T>
void fallback_gemm(T alpha, const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb, T beta, T* c,
                   const MatrixLayout& lc) {
  if constexpr (have_eigen_gemm || !(std::is_same_v<T, float> || std::is_same_v<T, double>))
    eigen_gemm(alpha, a, la, b, lb, beta, c, lc);
  else
    small_gemm(alpha, a, la, b, lb, beta, c, lc);
}

/// Orients a product so that C is row-major (and normalized: its leading
/// dimension explicit): a column-major C is computed as C^T = B^T A^T. Returns
/// whether A and B were swapped.
template <class T>
bool orient_row_major(const T*& a, MatrixLayout& la, const T*& b, MatrixLayout& lb, MatrixLayout& lc) {
  lc = normalized(lc);
  if (storage_of(lc) != Storage::col_major) return false;
  std::swap(a, b);
  const MatrixLayout t = la.transposed();
  la = lb.transposed();
  lb = t;
  lc = normalized(lc.transposed());
  return true;
}

/// C's shorter side up to which a product on more than one thread is split by ein
/// at any size past thin_split_work: OpenBLAS's own threads divide a thin product
/// badly (float, 2 threads, in one run: 4096x32x64 1.17x slower than on 1 thread);
/// split along C's longer side, one single-threaded call per thread, it ran 2.05x
/// faster than that (32x2048x64 1.28x, 32x1024x64 1.21x, 64x32x16384 1.19x). The
/// tall products of the direct kernel (tall_gemm_rows), which has no threads of its
/// own, and of Eigen's are split the same way; Eigen's so ran as fast or faster
/// than under Eigen's own threads (2 threads, double: 2048 x 32 x 2048 2.69 against
/// 2.71 ms, 128 x 32 x 16384 1.44 against 1.97).
inline constexpr index_t thin_split_extent = 64;
/// Multiply-adds from which such a product is split.
inline constexpr double thin_split_work = 5e5;
/// A wider BLAS product is split the same way where each thread's block of C's
/// longer side is at least this long. OpenBLAS 0.3.21 (OpenMP build) on 2 threads
/// ran 1.29-1.65x its 1-thread speed at 256^3 to 1024^3 in float (1.41-1.79x in
/// double) and 0.93-1.16x (0.83-1.34x) where the sum is short (1024 x 1024 x 10 to
/// 64); split in two blocks, 1.70-1.86x (1.72-1.91x). AMD Zen 5, float two runs,
/// double one, least of 5-200 calls; 2048^3 float 1.88 against 1.86. Each thread
/// packs all of the other operand, so the blocks must stay long enough to pay for it.
inline constexpr index_t team_split_block = 128;

/// One product on this thread by the kernel chosen for it (BLAS falls back where
/// it declines the product).
template <class T>
void gemm_on_thread(GemmKernel kernel, T alpha, const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb,
                    T beta, T* c, const MatrixLayout& lc) {
  if (kernel == GemmKernel::direct) return small_gemm(alpha, a, la, b, lb, beta, c, lc);
#ifdef EIN_USE_CBLAS
  if (kernel == GemmKernel::blas && blas_gemm(alpha, a, la, b, lb, beta, c, lc)) return;
#endif
  fallback_gemm(alpha, a, la, b, lb, beta, c, lc);
}

/// gemm_any's case for a thin C (row-major), or a BLAS product long enough for
/// team_split_block, when more than one thread may run: C's longer side in one block
/// per thread of a team, each block one single-threaded call of `kernel` (BLAS only
/// where blas_in_team_ok). False, having done nothing, when the split does not apply.
template <class T>
bool split_gemm_across_team(GemmKernel kernel, T alpha, const T* a, const MatrixLayout& la, const T* b,
                            const MatrixLayout& lb, T beta, T* c, const MatrixLayout& lc) {
#if defined(_OPENMP)
  const bool by_rows = lc.rows >= lc.cols;
  const index_t long_side = by_rows ? lc.rows : lc.cols, short_side = by_rows ? lc.cols : lc.rows;
  if (long_side < 32 || omp_in_parallel() || omp_get_max_threads() < 2 ||
      (kernel == GemmKernel::blas && !blas_in_team_ok()) ||
      double(lc.rows) * double(lc.cols) * double(la.cols) < thin_split_work)
    return false;
  const bool long_blocks = kernel == GemmKernel::blas && long_side >= index_t(omp_get_max_threads()) * team_split_block;
  if (short_side > thin_split_extent && !long_blocks) return false;
#pragma omp parallel
  {
    const auto t = index_t(omp_get_thread_num()), threads = index_t(omp_get_num_threads());
    const index_t chunk = ((long_side + threads - 1) / threads + 15) / 16 * 16;  // (whole cache lines of C)
    const index_t begin = std::min(long_side, t * chunk), end = std::min(long_side, begin + chunk);
    if (begin < end) {
      MatrixLayout pa = la, pb = lb, pc = lc;
      const T *pa_data = a, *pb_data = b;
      T* pc_data = c;
      if (by_rows) {
        pa.rows = pc.rows = end - begin;
        pa_data += begin * la.row_stride;
        pc_data += begin * lc.row_stride;
      } else {
        pb.cols = pc.cols = end - begin;
        pb_data += begin * lb.col_stride;
        pc_data += begin * lc.col_stride;
      }
      gemm_on_thread(kernel, alpha, pa_data, pa, pb_data, pb, beta, pc_data, pc);
    }
  }
  return true;
#else
  (void)kernel, (void)alpha, (void)a, (void)la, (void)b, (void)lb, (void)beta, (void)c, (void)lc;
  return false;
#endif
}

/// gemm() past its first case: orientation, empty products, and the kernel by size.
template <class T>
[[gnu::noinline]] void gemm_any(T alpha, const T* a, MatrixLayout la, const T* b, MatrixLayout lb, T beta, T* c,
                                MatrixLayout lc, bool allow_blas) {
  orient_row_major(a, la, b, lb, lc);
  if (lc.rows == 0 || lc.cols == 0) return;
  if (la.cols == 0) {  // nothing to sum: C = beta * C
    for (index_t i = 0; i < lc.rows; ++i)
      for (index_t j = 0; j < lc.cols; ++j) {
        T& x = c[i * lc.row_stride + j * lc.col_stride];
        x = beta == T(0) ? T(0) : beta * x;
      }
    return;
  }
  GemmKernel kernel = choose_gemm_kernel(la, lb, lc, sizeof(T));
  if (kernel == GemmKernel::blas && !allow_blas) kernel = GemmKernel::eigen;
  // Split: BLAS's products, and the tall ones the direct or Eigen's kernel takes for
  // their shape (the others Eigen threads itself; the direct kernel's small ones are
  // not worth a team).
  if ((kernel == GemmKernel::blas || tall_thin(double(lc.rows), double(lc.cols))) &&
      split_gemm_across_team(kernel, alpha, a, la, b, lb, beta, c, lc))
    return;
  gemm_on_thread(kernel, alpha, a, la, b, lb, beta, c, lc);
}

/// C = alpha * A * B + beta * C. A, B and C must each have a storage other than
/// `unsupported` (storage_of). allow_blas = false keeps BLAS out (inside a
/// parallel region: a pthreads BLAS would start threads of its own per call).
/// Inlined up to its first cases, a 2 x 2 x 2 or 4 x 4 x 4 product of row-major operands
/// (its own kernel, strides by value) and a small product into a row-major C (a 4x4 product
/// costs about as much as the checks and copies of a general call), the rest in gemm_any.
template <class T>
[[gnu::always_inline]] inline void gemm(T alpha, const T* a, const MatrixLayout& la, const T* b,
                                        const MatrixLayout& lb, T beta, T* c, const MatrixLayout& lc,
                                        bool allow_blas = true) {
  // (A unit column stride means row-major here: the other storage would be `unsupported`.)
  if (lc.col_stride == 1 && la.col_stride == 1 && lb.col_stride == 1 && lc.rows == lc.cols && la.cols == lc.cols) {
    if (lc.rows == 4) return small_gemm_square<T, 4>(alpha, a, la.row_stride, b, lb.row_stride, beta, c, lc.row_stride);
    if (lc.rows == 2) return small_gemm_square<T, 2>(alpha, a, la.row_stride, b, lb.row_stride, beta, c, lc.row_stride);
  }
  if (lc.col_stride == 1 && lc.rows > 0 && lc.cols > 0 && la.cols > 0 &&
      double(lc.rows) * double(lc.cols) * double(la.cols) <= small_gemm_limit)
    return small_gemm(alpha, a, la, b, lb, beta, c, lc);
  gemm_any(alpha, a, la, b, lb, beta, c, lc, allow_blas);
}

/// Multiply-adds per GEMM up to which a batch of at least as many GEMMs as threads
/// runs one GEMM per thread rather than one threaded GEMM after another: a threaded
/// GEMM of 64^3 or 128x128x64 spends more on synchronising its threads than on its
/// own multiply-adds. Larger GEMMs go one per thread too when BLAS runs
/// single-threaded inside a team (blas_in_team_ok) and the batch divides evenly.
inline constexpr double batch_parallel_limit = 128.0 * 128.0 * 128.0;
/// Multiply-adds of a whole batch up to which it runs on one thread.
inline constexpr double parallel_batch_work = 5e5;

/// One GEMM per batch index. A batch of small GEMMs (see batch_parallel_limit)
/// runs in parallel over the batch, each GEMM single-threaded (Eigen's or the
/// direct kernel, or BLAS where blas_in_team_ok); otherwise the batch is
/// sequential and each GEMM threads, so the cores are never oversubscribed.
template <class T>
void batched_gemm(T alpha, const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb, T beta, T* c,
                  const MatrixLayout& lc, const BatchLoop& batch) {
  index_t batches = 1;
  for (int i = 0; i < batch.count; ++i) batches *= batch.extent[ix(i)];
  if (batches == 1) return gemm<T>(alpha, a, la, b, lb, beta, c, lc);
  if (batches == 0) return;

  // A batch of direct-kernel products (the small batched case) is oriented once
  // and calls the kernel itself: gemm()'s checks would cost as much as the product.
  MatrixLayout oa = la, ob = lb, oc = lc;
  const T* pa = a;
  const T* pb = b;
  const bool swapped = orient_row_major(pa, oa, pb, ob, oc);
  const double work = double(la.rows) * double(la.cols) * double(lb.cols);
  const GemmKernel kernel = choose_gemm_kernel(oa, ob, oc, sizeof(T));
  const bool direct = work > 0 && kernel == GemmKernel::direct;
  const auto direct_batch = [&] {
    for_each_batch(batch, [&](index_t off_a, index_t off_b, index_t off_c) {
      if (swapped) std::swap(off_a, off_b);
      small_gemm(alpha, pa + off_a, oa, pb + off_b, ob, beta, c + off_c, oc);
    });
  };
  // Too little work for a team (see `parallel`): asking OpenMP costs more than a 2x2 product.
  if (direct && work * double(batches) <= parallel_batch_work) return direct_batch();
  int threads = 1;
#ifdef _OPENMP
  if (!omp_in_parallel()) threads = omp_get_max_threads();
#endif
  const bool blas_kernel = kernel == GemmKernel::blas;
  const bool even = batches % threads == 0 || batches >= 4 * threads;  // no thread idles long at the end
  // Without Eigen's kernel (have_eigen_gemm), a team that may not call BLAS has only the
  // direct kernel: a batch of larger GEMMs then runs one BLAS call after another.
  const bool parallel = threads > 1 && batches >= threads && work * double(batches) > parallel_batch_work &&
                        (!blas_kernel || work <= batch_parallel_limit || (blas_in_team_ok() && even)) &&
                        (direct || have_eigen_gemm || blas_in_team_ok());
  // Each GEMM then runs on one thread of the team: BLAS only where it stays single-threaded there.
  const bool avoid_blas = parallel && !blas_in_team_ok();
  // Entering a parallel region costs about a microsecond even when `if` turns it
  // down (libgomp 12), more than a whole small batch: enter it only to fork.
  // (A tall direct product large enough goes through gemm(), which splits it across the threads.)
  const bool split_each = !parallel && direct && threads > 1 && work >= thin_split_work;
  const auto one = [&](index_t index) {
    index_t off_a = 0, off_b = 0, off_c = 0;
    for (std::size_t i = ix(batch.count); i-- > 0;) {
      const index_t at = index % batch.extent[i];
      index /= batch.extent[i];
      off_a += at * batch.sa[i];
      off_b += at * batch.sb[i];
      off_c += at * batch.sc[i];
    }
    if (direct && !split_each) {
      if (swapped) std::swap(off_a, off_b);
      small_gemm(alpha, pa + off_a, oa, pb + off_b, ob, beta, c + off_c, oc);
    } else {
      gemm<T>(alpha, a + off_a, la, b + off_b, lb, beta, c + off_c, lc, !avoid_blas);
    }
  };
  if (!parallel && direct && !split_each) return direct_batch();
  if (!parallel) {
    for (index_t i = 0; i < batches; ++i) one(i);
    return;
  }
#ifdef _OPENMP
#pragma omp parallel for schedule(static)
#endif
  for (index_t i = 0; i < batches; ++i) one(i);
}

}  // namespace detail
}  // namespace ein
