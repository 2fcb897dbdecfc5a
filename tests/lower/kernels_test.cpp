// The direct kernels of backend/ (small_gemm, the strided sums and row loops)
// against plain loops in double, over every dispatch branch: the register-row
// widths (1, 2, 3, 4, 8, 16, with K unrolled when square), packed column-major
// B, the dot-product and streaming fallbacks, and beta 0, 1 and other; the
// lowering's merge rule (merge_axes) and the GEMM groups and batches it merges.
#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <cstdlib>
#include <initializer_list>
#include <limits>
#include <random>
#include <type_traits>
#include <vector>

#include "ein/backend/gemm.hpp"
#include "ein/lower/label_order.hpp"
#include "ein/lower/loop_nest.hpp"
#include "ein/lower/matrix.hpp"
#include "ein/backend/small_gemm.hpp"
#include "ein/tensor/tensor.hpp"

using ein::index_t;
using ein::detail::MatrixLayout;

namespace {

template <class T>
std::vector<T> random_values(std::size_t n, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<T> v(n);
  for (T& x : v) x = static_cast<T>(dist(gen));
  return v;
}

// A layout of rows x cols in a buffer, row- or column-major, with padding in the leading dimension.
MatrixLayout layout(index_t rows, index_t cols, bool row_major, index_t pad) {
  return row_major ? MatrixLayout{rows, cols, cols + pad, 1} : MatrixLayout{rows, cols, 1, rows + pad};
}
index_t extent_of(const MatrixLayout& l) { return (l.rows - 1) * l.row_stride + (l.cols - 1) * l.col_stride + 1; }

// `kernel` (small_gemm or eigen_gemm) against plain loops; C row-major, padded.
template <class T, class Kernel>
void check_gemm(Kernel kernel, index_t m, index_t n, index_t k, bool a_row, bool b_row, T beta, T alpha = T(0.75)) {
  const MatrixLayout la = layout(m, k, a_row, 1), lb = layout(k, n, b_row, 2), lc = layout(m, n, true, 3);
  const auto a = random_values<T>(extent_of(la), 1), b = random_values<T>(extent_of(lb), 2);
  auto c = random_values<T>(extent_of(lc), 3);
  const auto c0 = c;
  if (beta == T(0)) c[0] = std::numeric_limits<T>::quiet_NaN();  // beta = 0 drops what C held, NaN too
  kernel(alpha, a.data(), la, b.data(), lb, beta, c.data(), lc);
  for (index_t i = 0; i < m; ++i)
    for (index_t j = 0; j < n; ++j) {
      double sum = 0;
      for (index_t p = 0; p < k; ++p)
        sum += double(a[i * la.row_stride + p * la.col_stride]) * double(b[p * lb.row_stride + j * lb.col_stride]);
      const double expect = alpha * sum + (beta == T(0) ? 0.0 : double(beta) * c0[i * lc.row_stride + j]);
      REQUIRE(double(c[i * lc.row_stride + j]) == doctest::Approx(expect).epsilon(1e-5));
    }
  // Padding between C's rows is never written.
  for (index_t i = 0; i < m; ++i)
    for (index_t j = n; j < lc.row_stride && i * lc.row_stride + j < index_t(c.size()); ++j)
      REQUIRE(c[i * lc.row_stride + j] == c0[i * lc.row_stride + j]);
}

// `kernel` for each shape {m, n, k}, A and B each row- or column-major, beta 0, 1 and
// other, and each alpha. (No structured binding: CAPTURE is a lambda, and Clang 14
// cannot capture one.)
template <class T, class Kernel, class Shapes = std::initializer_list<std::array<index_t, 3>>>
void check_gemm_shapes(Kernel kernel, const Shapes& shapes, std::initializer_list<T> alphas) {
  for (const auto& mnk : shapes)
    for (bool a_row : {true, false})
      for (bool b_row : {true, false})
        for (T beta : {T(0), T(1), T(-0.5)})
          for (T alpha : alphas) {
            const index_t m = mnk[0], n = mnk[1], k = mnk[2];
            CAPTURE(m);
            CAPTURE(n);
            CAPTURE(k);
            CAPTURE(a_row);
            CAPTURE(b_row);
            CAPTURE(beta);
            CAPTURE(alpha);
            check_gemm<T>(kernel, m, n, k, a_row, b_row, beta, alpha);
          }
}

}  // namespace

TEST_CASE_TEMPLATE("small_gemm: every branch against plain loops", T, float, double) {
  std::vector<std::array<index_t, 3>> shapes;
  for (index_t n : {1, 2, 3, 4, 5, 7, 8, 12, 16, 17, 24, 31, 40})
    for (index_t k : {1, 2, 4, 7, 8, 33, 40, 300})  // (K >= 1: gemm() takes K = 0 before small_gemm)
      for (index_t m : {1, 3, 4, 9}) shapes.push_back({m, n, k});
  check_gemm_shapes<T>(ein::detail::small_gemm<T>, shapes, {T(0.75)});
}

// gemm()'s own first cases: the 2 x 2 x 2 and 4 x 4 x 4 products of row-major operands go
// straight to small_gemm_square (alpha 1 or not, beta 0, 1 or other, padded rows), its neighbours
// and other storage orders to small_gemm.
TEST_CASE_TEMPLATE("gemm: the tiny square kernel and its neighbours", T, float, double) {
  const auto kernel = [](T alpha, const T* a, MatrixLayout la, const T* b, MatrixLayout lb, T beta, T* c,
                         MatrixLayout lc) { ein::detail::gemm<T>(alpha, a, la, b, lb, beta, c, lc); };
  check_gemm_shapes<T>(kernel,
                       {{4, 4, 4}, {3, 4, 4}, {4, 3, 4}, {4, 4, 3}, {4, 4, 5}, {5, 4, 4}, {2, 2, 2}, {2, 2, 3}, {2, 3, 2},
                        {3, 2, 2}},
                       {T(1), T(0.75)});
}

// The direct kernel reads B by rows: a B it would pack block by block (not
// row-major, past direct_pack_limit) goes to a blocked GEMM, which packs it once
// ("ij,kj->ik" at 16 x 32 x 200 ran 10-20x slower than Eigen's product by dot
// products, 1.3-3x packed block by block).
TEST_CASE("the direct kernel keeps the products whose B it reads by rows or packs in one block") {
  using ein::GemmKernel;
  using ein::detail::choose_gemm_kernel;
  const MatrixLayout a{16, 32, 32, 1}, c{16, 200, 200, 1};
  CHECK(choose_gemm_kernel(a, MatrixLayout{32, 200, 200, 1}, c, 4) == GemmKernel::direct);  // row-major B
  CHECK(choose_gemm_kernel(a, MatrixLayout{32, 200, 1, 32}, c, 4) != GemmKernel::direct);   // "kj" as K x N
  // Up to direct_pack_limit elements it packs B once: 16 x 16 x 16, B column-major.
  const MatrixLayout small_a{16, 16, 16, 1}, small_c{16, 16, 16, 1};
  CHECK(choose_gemm_kernel(small_a, MatrixLayout{16, 16, 1, 16}, small_c, 4) == GemmKernel::direct);
  // And sizes alone decide as before for a row-major B.
  CHECK(choose_gemm_kernel(MatrixLayout{256, 256, 256, 1}, MatrixLayout{256, 256, 256, 1},
                           MatrixLayout{256, 256, 256, 1}, 4) == choose_gemm_kernel(256.0, 256.0, 256.0, 4));
  // A tall thin product whose B is column-major and large goes to a blocked GEMM too,
  // the one its size picks (the MLP's logits "ij,lj->li", 128 x 10 x 256: BLAS, as before).
  CHECK(choose_gemm_kernel(MatrixLayout{2048, 512, 512, 1}, MatrixLayout{512, 8, 1, 512}, MatrixLayout{2048, 8, 8, 1},
                           4) == choose_gemm_kernel(2048.0, 8.0, 512.0, 4, false));
  CHECK(choose_gemm_kernel(2048.0, 8.0, 512.0, 4, false) != GemmKernel::direct);
  if (ein::detail::have_blas)
    CHECK(choose_gemm_kernel(MatrixLayout{128, 256, 256, 1}, MatrixLayout{256, 10, 1, 256},
                             MatrixLayout{128, 10, 10, 1}, 4) == GemmKernel::blas);
}

// eigen_gemm calls Eigen's GEMM and GEMV kernels directly: each storage order of A
// and B, C a row (M = 1) or a column (N = 1) through GEMV with strided vectors
// (the padded layouts), sizes past Eigen's threading threshold, beta 0, 1 and other.
TEST_CASE_TEMPLATE("eigen_gemm: storage orders, GEMV rows and columns, threads, beta", T, float, double) {
  const auto eigen = [](T alpha, const T* a, MatrixLayout la, const T* b, MatrixLayout lb, T beta, T* c,
                        MatrixLayout lc) { ein::detail::eigen_gemm<T>(alpha, a, la, b, lb, beta, c, lc); };
  check_gemm_shapes<T>(eigen, {{1, 40, 33}, {37, 1, 65}, {1, 1, 50}, {13, 29, 41}, {64, 48, 70}, {150, 130, 90}},
                       {T(0.75)});
}

TEST_CASE("choose_gemm_kernel: thin products go to the direct kernel, others by size") {
  using ein::GemmKernel;
  using ein::detail::choose_gemm_kernel;
  for (const std::size_t size : {std::size_t(4), std::size_t(8)}) {
    CAPTURE(size);
    CHECK(choose_gemm_kernel(4, 4, 4, size) == GemmKernel::direct);
    CHECK(choose_gemm_kernel(512, 8, 8, size) == GemmKernel::direct);  // "ab,be->ae" of the uneven chain
    CHECK(choose_gemm_kernel(8, 512, 16, size) == GemmKernel::direct);
    // Deep and thin below blas_gemm_limit: the direct kernel ran 1.1-1.9x as fast as Eigen's
    // blocked one (8 x 8 x 512: 1.2 against 1.8-2.2 us in double); past it, BLAS.
    CHECK(choose_gemm_kernel(8, 8, 512, size) == GemmKernel::direct);
    CHECK(choose_gemm_kernel(16, 16, 1024, size) != GemmKernel::direct);
    CHECK(choose_gemm_kernel(256, 256, 256, size) != GemmKernel::direct);
    // Tall and thin at any size (tall_gemm_rows): the direct kernel reads A once, unpacked
    // (split across threads by ein, not by a threaded GEMM).
    CHECK(choose_gemm_kernel(2048, 8, 2048, size) == GemmKernel::direct);
    CHECK(choose_gemm_kernel(1 << 20, 16, 32, size) == GemmKernel::direct);
    CHECK(choose_gemm_kernel(64, 16, 4096, size) == GemmKernel::direct);
    CHECK(choose_gemm_kernel(63, 16, 4096, size) != GemmKernel::direct);  // (not tall: blocked)
    // Wide and short is a blocked GEMM's case (the direct kernel ran 2.6-5.6x slower).
    CHECK(choose_gemm_kernel(8, 2048, 2048, size) != GemmKernel::direct);
    CHECK(choose_gemm_kernel(2048, 17, 2048, size) != GemmKernel::direct);
  }
  // Tall deep double products up to thin_double_eigen_cols wide: Eigen's kernel where it
  // is built; float keeps BLAS (where there is one), as do wider or shallower doubles
  // (the Tucker product's 4096 x 32 x 64).
  if (ein::detail::have_eigen_gemm) {
    CHECK(choose_gemm_kernel(2048, 32, 2048, 8) == GemmKernel::eigen);
    CHECK(choose_gemm_kernel(128, 17, 16384, 8) == GemmKernel::eigen);
    CHECK(choose_gemm_kernel(128, 32, 1024, 8) == GemmKernel::eigen);
  }
  if (ein::detail::have_blas) {
    CHECK(choose_gemm_kernel(2048, 32, 2048, 4) == GemmKernel::blas);
    CHECK(choose_gemm_kernel(2048, 33, 2048, 8) == GemmKernel::blas);
    CHECK(choose_gemm_kernel(32, 2048, 2048, 8) == GemmKernel::blas);
    CHECK(choose_gemm_kernel(4096, 32, 64, 8) == GemmKernel::blas);
    CHECK(choose_gemm_kernel(4096, 32, 1023, 8) == GemmKernel::blas);
  }
}

TEST_CASE_TEMPLATE("strided_sum and strided_dot: every length and stride", T, float, double) {
  const auto a = random_values<T>(4000, 5), b = random_values<T>(4000, 6);
  for (index_t n : {0, 1, 3, 4, 5, 31, 32, 33, 64, 65, 200, 999})
    for (index_t sa : {1, 2, 3})
      for (index_t sb : {1, 4}) {
        double sum = 0, dot = 0;
        for (index_t i = 0; i < n; ++i) {
          sum += a[i * sa];
          dot += double(a[i * sa]) * b[i * sb];
        }
        CAPTURE(n);
        CAPTURE(sa);
        CHECK(double(ein::detail::strided_sum(a.data(), sa, n)) == doctest::Approx(sum).epsilon(1e-5));
        CHECK(double(ein::detail::strided_dot(a.data(), sa, b.data(), sb, n)) == doctest::Approx(dot).epsilon(1e-5));
      }
}

TEST_CASE_TEMPLATE("copy_row and product_row: strides 0, 1 and more, alpha and beta", T, float, double) {
  const auto a = random_values<T>(400, 7), b = random_values<T>(400, 8), o0 = random_values<T>(400, 9);
  for (index_t n : {0, 1, 7, 33})
    for (index_t so : {1, 2})
      for (index_t sa : {0, 1, 3})
        for (index_t sb : {0, 1, 2})
          for (T alpha : {T(1), T(2)})
            for (T beta : {T(0), T(1), T(0.5)}) {
              auto o = o0, p = o0;
              ein::detail::copy_row(o.data(), so, a.data(), sa, n, alpha, beta);
              ein::detail::product_row(p.data(), so, a.data(), sa, b.data(), sb, n, alpha, beta);
              for (index_t i = 0; i < 400; ++i) {
                const bool on = i % so == 0 && i / so < n;
                const index_t r = i / so;
                const double keep = double(o0[i]);
                const double copy = on ? alpha * double(a[r * sa]) + (beta == T(0) ? 0.0 : beta * keep) : keep;
                const double prod =
                    on ? alpha * double(a[r * sa]) * double(b[r * sb]) + (beta == T(0) ? 0.0 : beta * keep) : keep;
                CAPTURE(i);
                REQUIRE(double(o[i]) == doctest::Approx(copy));
                REQUIRE(double(p[i]) == doctest::Approx(prod));
              }
            }
}

TEST_CASE_TEMPLATE("row kernels storing past the caches: the cached kernels' answer at every alignment and length", T,
                   float, double) {
  // Streamed rows peel the elements before the first whole vector and after the
  // last: every start within a vector and lengths around one and two vectors.
  constexpr index_t w = ein::detail::native_vector_bytes / index_t(sizeof(T));
  const auto a = random_values<T>(200, 11), b = random_values<T>(200, 12), c = random_values<T>(200, 13);
  const auto d = random_values<T>(200, 14), o0 = random_values<T>(200, 15);
  for (index_t shift = 0; shift <= w; ++shift)
    for (index_t n : {index_t(0), index_t(1), w - 1, w, w + 1, 2 * w + 3, index_t(150)})
      for (index_t sa : {0, 1})
        for (T alpha : {T(1), T(2)}) {
          CAPTURE(shift);
          CAPTURE(n);
          CAPTURE(sa);
          ein::Tensor<T, 1> cached(200), streamed(200);  // (64-byte aligned: shift sets the row's alignment)
          const auto run = [&](auto stream, ein::Tensor<T, 1>& out, int kernel) {
            constexpr bool S = decltype(stream)::value;
            std::copy(o0.begin(), o0.end(), out.data());
            T* o = out.data() + shift;
            const T* ops[4] = {a.data(), b.data(), c.data(), d.data()};
            const index_t strides[4] = {sa, 1, 1, 1};
            if (kernel == 0) ein::detail::copy_row<T, S>(o, 1, a.data(), sa, n, alpha, T(0));
            if (kernel == 1) ein::detail::product_row<T, S>(o, 1, a.data(), sa, b.data(), 1, n, alpha, T(0));
            if (kernel >= 2) ein::detail::product_row_n<T, S>(o, 1, ops, strides, kernel + 1, n, alpha, T(0));
            ein::detail::stream_fence();
          };
          for (int kernel = 0; kernel < 4; ++kernel) {  // copy_row, product_row, product_row_n of 3 and 4
            CAPTURE(kernel);
            run(std::false_type{}, cached, kernel);
            run(std::true_type{}, streamed, kernel);
            for (index_t i = 0; i < 200; ++i) REQUIRE(streamed.data()[i] == cached.data()[i]);
            for (index_t i = 0; i < 200; ++i)  // (the kernels write the row and nothing else)
              if (i < shift || i >= shift + n) REQUIRE(cached.data()[i] == o0[static_cast<std::size_t>(i)]);
          }
        }
}

TEST_CASE("loops large enough to run on several threads give the serial answer") {
  // 1100 x 1000 elements: past parallel_loop_elements, so with OpenMP the outer axis is split.
  const index_t n = 1100, m = 1000;
  const auto x = random_values<double>(std::size_t(n * m), 11), y = random_values<double>(std::size_t(m), 12);
  ein::detail::Strided<const double> a;
  a.data = x.data();
  a.rank = 2;
  a.labels = {0, 1};
  a.extents = {n, m};
  a.strides = {m, 1};
  std::vector<double> rows(static_cast<std::size_t>(n)), cols(static_cast<std::size_t>(m)),
      outer(static_cast<std::size_t>(n * m));
  ein::detail::Strided<double> row_sums;  // "ij->i"
  row_sums.data = rows.data();
  row_sums.rank = 1;
  row_sums.labels = {0};
  row_sums.extents = {n};
  row_sums.strides = {1};
  ein::detail::loop_nest<double>(&a, 1, row_sums, 1.0, 0.0);
  ein::detail::Strided<double> col_sums;  // "ij->j"
  col_sums.data = cols.data();
  col_sums.rank = 1;
  col_sums.labels = {1};
  col_sums.extents = {m};
  col_sums.strides = {1};
  ein::detail::loop_nest<double>(&a, 1, col_sums, 1.0, 0.0);
  ein::detail::Strided<const double> b;  // "ij,j->ij" (Hadamard with a broadcast row)
  b.data = y.data();
  b.rank = 1;
  b.labels = {1};
  b.extents = {m};
  b.strides = {1};
  ein::detail::Strided<double> scaled;
  scaled.data = outer.data();
  scaled.rank = 2;
  scaled.labels = {0, 1};
  scaled.extents = {n, m};
  scaled.strides = {m, 1};
  const ein::detail::Strided<const double> both[] = {a, b};
  ein::detail::loop_nest<double>(both, 2, scaled, 2.0, 0.0);
  std::vector<double> expect_cols(std::size_t(m), 0.0);
  for (index_t i = 0; i < n; ++i) {
    double r = 0;
    for (index_t j = 0; j < m; ++j) {
      r += x[i * m + j];
      expect_cols[j] += x[i * m + j];
      REQUIRE(outer[i * m + j] == doctest::Approx(2.0 * x[i * m + j] * y[j]));
    }
    REQUIRE(rows[i] == doctest::Approx(r));
  }
  for (index_t j = 0; j < m; ++j) REQUIRE(cols[j] == doctest::Approx(expect_cols[j]));
}

TEST_CASE_TEMPLATE("batched_gemm: a batch of GEMMs in parallel over the batch gives each GEMM's answer", T, float, double) {
  // 8 GEMMs of 64^3 (batch_parallel_limit or less): with OpenMP threads, one GEMM per thread.
  const index_t batches = 8, m = 64, n = 64, k = 64;
  const auto a = random_values<T>(std::size_t(batches * m * k), 21), b = random_values<T>(std::size_t(batches * k * n), 22);
  std::vector<T> c(static_cast<std::size_t>(batches * m * n), T(0));
  ein::detail::BatchLoop loop;
  loop.count = 1;
  loop.extent[0] = batches;
  loop.sa[0] = m * k;
  loop.sb[0] = k * n;
  loop.sc[0] = m * n;
  const MatrixLayout la{m, k, k, 1}, lb{k, n, 1, k}, lc{m, n, n, 1};  // B column-major: a transposed operand
  ein::detail::batched_gemm<T>(T(1), a.data(), la, b.data(), lb, T(0), c.data(), lc, loop);
  for (index_t q = 0; q < batches; ++q)
    for (index_t i = 0; i < m; ++i)
      for (index_t j = 0; j < n; ++j) {
        double sum = 0;
        for (index_t p = 0; p < k; ++p) sum += double(a[q * m * k + i * k + p]) * double(b[q * k * n + p + j * k]);
        REQUIRE(double(c[q * m * n + i * n + j]) == doctest::Approx(sum).epsilon(1e-4));
      }
}

// A batch of fewer tall thin products than threads (3 of 400 x 8 x 200 on 4 threads):
// each goes through gemm(), which splits it across the team (the direct kernel has no
// threads of its own); on 1 thread, the direct kernel in turn. Both give each answer.
TEST_CASE_TEMPLATE("batched_gemm: a short batch of tall thin products, 1 and 4 threads", T, float, double) {
  const index_t batches = 3, m = 400, n = 8, k = 200;
  const auto a = random_values<T>(std::size_t(batches * m * k), 23), b = random_values<T>(std::size_t(batches * k * n), 24);
  ein::detail::BatchLoop loop;
  loop.push(batches, m * k, k * n, m * n);
  const MatrixLayout la{m, k, k, 1}, lb{k, n, n, 1}, lc{m, n, n, 1};
#ifdef _OPENMP
  const int threads_before = omp_get_max_threads();
  for (const int threads : {1, 4}) {
    omp_set_num_threads(threads);
#else
  for (const int threads : {1}) {
#endif
    CAPTURE(threads);
    std::vector<T> c(static_cast<std::size_t>(batches * m * n), T(0));
    ein::detail::batched_gemm<T>(T(1), a.data(), la, b.data(), lb, T(0), c.data(), lc, loop);
    for (index_t q = 0; q < batches; ++q)
      for (index_t i = 0; i < m; ++i)
        for (index_t j = 0; j < n; ++j) {
          double sum = 0;
          for (index_t p = 0; p < k; ++p) sum += double(a[q * m * k + i * k + p]) * double(b[q * k * n + p * n + j]);
          REQUIRE(double(c[q * m * n + i * n + j]) == doctest::Approx(sum).epsilon(1e-4));
        }
  }
#ifdef _OPENMP
  omp_set_num_threads(threads_before);
#endif
}

TEST_CASE_TEMPLATE("split_gemm_across_team: BLAS products split along C's longer side give the serial answer", T,
                   float, double) {
  // Taken only where more than one thread may run and BLAS runs single-threaded inside
  // a team (OpenBLAS's OpenMP build): the test engine_kernels_openmp_blas runs this file
  // so, and says it expects it (EIN_EXPECT_BLAS_IN_TEAM). Every storage of A and B, beta 0 and not.
  const bool expect_split = std::getenv("EIN_EXPECT_BLAS_IN_TEAM") != nullptr;
  int team = 1;
#ifdef _OPENMP
  team = omp_get_max_threads();
#endif
#ifdef EIN_USE_CBLAS
  if (expect_split) REQUIRE(ein::detail::blas_in_team_ok());
#endif
  struct Shape {
    index_t m, n, k;
    bool thin;
  };
  for (const Shape s : {Shape{2000, 20, 20, true}, Shape{20, 2000, 20, true}, Shape{999, 33, 17, true},
                        Shape{37, 1500, 10, true}, Shape{64, 64, 200, true}, Shape{100, 100, 60, false},
                        Shape{600, 300, 70, false}, Shape{90, 520, 40, false}})
    for (const bool a_row : {true, false})
      for (const bool b_row : {true, false})
        for (const T beta : {T(0), T(0.5)}) {
          CAPTURE(s.m);
          CAPTURE(s.n);
          bool split = false;
          check_gemm<T>(
              [&](T alpha, const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb, T b2, T* c,
                  const MatrixLayout& lc) {
                split = ein::detail::split_gemm_across_team(ein::GemmKernel::blas, alpha, a, la, b, lb, b2, c, lc);
                if (!split) ein::detail::gemm_any(alpha, a, la, b, lb, b2, c, lc, true);
              },
              s.m, s.n, s.k, a_row, b_row, beta);
          // (a wider product where each thread's block of the longer side is long enough)
          const bool long_blocks = std::max(s.m, s.n) >= index_t(team) * ein::detail::team_split_block;
          CHECK(split == (expect_split && (s.thin || long_blocks)));
        }
}

// The tall thin products the direct kernel (or, in double, Eigen's) takes at any size
// are split across the threads by ein, with no BLAS in the team: each kernel's split,
// and gemm_any's whole dispatch at those shapes, give the serial answer (every storage
// of A and B, beta 0 and not; B column-major and large goes to a blocked GEMM).
TEST_CASE_TEMPLATE("split_gemm_across_team: tall products split for the direct and Eigen's kernels", T, float, double) {
#ifdef _OPENMP
  const bool threads = omp_get_max_threads() >= 2;
#else
  const bool threads = false;
#endif
  for (const ein::GemmKernel kernel : {ein::GemmKernel::direct, ein::GemmKernel::eigen})
    for (const bool a_row : {true, false})
      for (const bool b_row : {true, false})
        for (const T beta : {T(0), T(0.5)}) {
          bool split = false;
          check_gemm<T>(
              [&](T alpha, const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb, T b2, T* c,
                  const MatrixLayout& lc) { split = ein::detail::split_gemm_across_team(kernel, alpha, a, la, b, lb, b2, c, lc); },
              1000, 12, 100, a_row, b_row, beta);
          CHECK(split == threads);
        }
  const auto dispatch = [](T alpha, const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb, T beta,
                           T* c, const MatrixLayout& lc) { ein::detail::gemm_any(alpha, a, la, b, lb, beta, c, lc, true); };
  check_gemm_shapes<T>(dispatch, {{1000, 8, 100}, {777, 16, 90}, {300, 24, 100}, {64, 3, 99}}, {T(0.75)});
  // (Deep enough for Eigen's kernel in double; float's sums of 1100 round too far for the tolerance.)
  if constexpr (std::is_same_v<T, double>) check_gemm_shapes<T>(dispatch, {{200, 24, 1100}}, {T(0.75)});
}

// The lowering's one merge rule (merge_axes, lower/loop_space.hpp) and its users:
// a GEMM group (collapse), the compile-time fast path's groups (collapse_axes) and
// a GEMM's batch loop (merge_batch).
TEST_CASE("merge_axes: contiguous axes merge in every operand at once; size-1 axes drop; overflow stays apart") {
  using ein::detail::LoopAxis;
  std::array<LoopAxis, 4> axes;
  // (operand 0 row-major 3x4x5; operand 1 broadcast along the middle axis)
  axes[0].extent = 3, axes[0].stride = {20, 5};
  axes[1].extent = 4, axes[1].stride = {5, 0};
  axes[2].extent = 5, axes[2].stride = {1, 1};
  CHECK(ein::detail::merge_axes(axes.data(), 3, 1) == 1);  // one operand: all three merge
  CHECK(axes[0].extent == 60);
  CHECK(axes[0].stride[0] == 1);

  axes[0].extent = 3, axes[0].stride = {20, 5};
  axes[1].extent = 4, axes[1].stride = {5, 0};
  axes[2].extent = 5, axes[2].stride = {1, 1};
  CHECK(ein::detail::merge_axes(axes.data(), 3, 2) == 3);  // the broadcast keeps them apart

  // A size-1 axis between two mergeable ones, with a stride that fits nothing; negative strides.
  axes[0].extent = 3, axes[0].stride = {-8, 0};
  axes[1].extent = 1, axes[1].stride = {999, 0};
  axes[2].extent = 4, axes[2].stride = {-2, 0};
  axes[3].extent = 2, axes[3].stride = {-1, 0};
  CHECK(ein::detail::merge_axes(axes.data(), 4, 1) == 1);
  CHECK(axes[0].extent == 24);
  CHECK(axes[0].stride[0] == -1);

  // Extents whose product overflows index_t are not merged (a huge broadcast view).
  const index_t big = index_t(1) << 40;
  axes[0].extent = big, axes[0].stride = {0, 0};
  axes[1].extent = big, axes[1].stride = {0, 0};
  CHECK(ein::detail::merge_axes(axes.data(), 2, 1) == 2);
}

TEST_CASE("collapse: a GEMM group with a size-1 axis of any stride is one axis (no copy)") {
  // x: labels a (extent 1, stride 999: a sliced view), b (4, stride 3), c (3, stride 1).
  ein::detail::Strided<const float> x;
  x.rank = 3;
  x.labels[0] = 0, x.labels[1] = 1, x.labels[2] = 2;
  x.extents[0] = 1, x.extents[1] = 4, x.extents[2] = 3;
  x.strides[0] = 999, x.strides[1] = 3, x.strides[2] = 1;
  std::array<index_t, 3> label_extent{1, 4, 3};
  ein::detail::LabelOrder group;
  group.push(0), group.push(1), group.push(2);
  const auto c = ein::detail::collapse(x, group, label_extent.data());
  CHECK(c.ok);  // (failed before the one merge rule: the size-1 axis's stride broke the chain)
  CHECK(c.extent == 12);
  CHECK(c.stride == 1);
  x.strides[1] = 4;  // a gap between rows: no longer one axis
  CHECK_FALSE(ein::detail::collapse(x, group, label_extent.data()).ok);
}

TEST_CASE("merge_batch: batch labels contiguous in A, B and C become one loop axis") {
  ein::detail::BatchLoop loop;
  loop.push(2, 3 * 24, 3 * 10, 3 * 8);  // outer: a stride of 3 inner batches in each
  loop.push(3, 24, 10, 8);
  loop.push(1, 12345, 0, 7);  // size 1: any strides
  ein::detail::merge_batch(loop);
  CHECK(loop.count == 1);
  CHECK(loop.extent[0] == 6);
  CHECK(loop.sa[0] == 24);
  CHECK(loop.sb[0] == 10);
  CHECK(loop.sc[0] == 8);
  ein::detail::BatchLoop apart;
  apart.push(2, 3 * 24, 3 * 10, 100);  // C's outer stride leaves a gap
  apart.push(3, 24, 10, 8);
  ein::detail::merge_batch(apart);
  CHECK(apart.count == 2);
}

TEST_CASE("storage_of is a query; normalized makes the strides of an axis of extent 1 explicit") {
  using ein::detail::normalized;
  using ein::detail::Storage;
  using ein::detail::storage_of;
  const MatrixLayout row{1, 5, 0, 1};  // one row: its row stride is never stepped along
  CHECK(storage_of(row) == Storage::row_major);  // (a const layout: storage_of used to rewrite it)
  const MatrixLayout row_n = normalized(row);
  CHECK(row_n.row_stride == 5);  // a leading dimension BLAS accepts
  CHECK(row_n.col_stride == 1);
  const MatrixLayout col{3, 1, 1, 0};  // one column, unit stride
  CHECK(storage_of(col) == Storage::row_major);
  CHECK(normalized(col).col_stride == 1);
  const MatrixLayout cm{3, 4, 1, 3};
  CHECK(storage_of(cm) == Storage::col_major);
  CHECK(normalized(cm).col_stride == 3);
  const MatrixLayout neither{3, 4, 4, 2};
  CHECK(storage_of(neither) == Storage::unsupported);
  CHECK(normalized(neither).row_stride == 4);  // left as it is
}
