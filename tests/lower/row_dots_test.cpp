// The multi-row dot (lower/row_dots.hpp): row_dots and row_axpys at every row length 1..70 and
// a few long ones, every block remainder, padded rows, a shared (zero-stride) or a
// per-row vector, strided outputs, alpha and beta, against a direct sum in
// double; and the einsums the loop nest sends through it ("ij,j->i",
// "bij,bj->bi", "bij,j->bi", "ijk,ik->ij", "ijk,ijk->ij", "ji,j->i", "bji,bj->bi",
// the vector first; one operand's sums: "ij->i", "bij->bi", "ji->i", "bji->bi";
// two rows' products summed: "bji,bji->bi", "ji,ji->i"),
// on padded and broadcast operands, against the naive reference.
#include <algorithm>
#include <random>
#include <vector>

#include "engine_support.hpp"
#include "ein/lower/loop_nest.hpp"
#include "ein/lower/row_dots.hpp"

using ein::Extents;
using ein::index_t;
using ein::detail::Strided;
using ein::test::check_against_reference;
using ein::test::random_tensor;

namespace {

std::vector<index_t> row_lengths() {
  std::vector<index_t> n;
  for (index_t i = 1; i <= 70; ++i) n.push_back(i);
  for (index_t i : {79, 80, 81, 127, 128, 129, 255, 512, 513, 1000, 1024, 1025, 4096}) n.push_back(i);
  return n;
}

template <class T>
std::vector<T> random_values(std::size_t count, std::mt19937& gen) {
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  std::vector<T> v(count);
  for (T& x : v) x = static_cast<T>(dist(gen));
  return v;
}

template <class T>
double tolerance_for(index_t n) {
  return (std::is_same_v<T, float> ? 1e-6 : 1e-14) * double(n + 1);
}

}  // namespace

TEST_CASE_TEMPLATE("row_dots: every length, block remainder, pad, shared, per-row or no vector, alpha and beta", T,
                   float, double) {
  std::mt19937 gen(7);
  const index_t block = ein::detail::row_dot_rows;  // rows a dot block carries
  for (const index_t n : row_lengths())
    // (around one block, and two blocks and a remainder)
    for (const index_t rows : {index_t(1), index_t(3), index_t(4), block - 1, block, block + 1, 2 * block + 1})
      for (const index_t pad : {index_t(0), index_t(3)})
        for (const int with : {0, 1, 2}) {  // a row of b each, one shared, none (the rows' sums)
          const bool shared = with == 1, none = with == 2;
          const index_t ra = n + pad, rb = shared ? 0 : n + 2 * pad, so = pad + 1;
          const auto a = random_values<T>(static_cast<std::size_t>(rows * ra), gen);
          const auto b = random_values<T>(static_cast<std::size_t>(shared ? n : rows * rb), gen);
          for (const T beta : {T(0), T(-0.5)}) {
            std::vector<T> o(static_cast<std::size_t>(rows * so), T(0.75));
            const T alpha = T(1.5);
            ein::detail::row_dots(o.data(), so, a.data(), ra, none ? nullptr : b.data(), rb, rows, n, alpha, beta);
            for (index_t r = 0; r < rows; ++r) {
              double want = 0;
              double magnitude = 0;
              for (index_t i = 0; i < n; ++i) {
                const double p = double(a[static_cast<std::size_t>(r * ra + i)]) *
                                 (none ? 1.0 : double(b[static_cast<std::size_t>(r * rb + i)]));
                want += p;
                magnitude += std::abs(p);
              }
              want = double(alpha) * want + double(beta) * 0.75;
              INFO("n " << n << " rows " << rows << " pad " << pad << " with " << with << " row " << r);
              REQUIRE(std::abs(double(o[static_cast<std::size_t>(r * so)]) - want) <=
                      tolerance_for<T>(n) * (1.0 + magnitude));
              for (index_t k = 1; k < so; ++k) REQUIRE(o[static_cast<std::size_t>(r * so + k)] == T(0.75));  // gaps untouched
            }
          }
        }
}

TEST_CASE_TEMPLATE("row_axpys: every length, row remainder, pad, strided or no vector, alpha and beta", T, float,
                   double) {
  std::mt19937 gen(9);
  for (const index_t n : row_lengths())
    // (rows of up to row_axpy_register_vectors = 4 vectors and a remainder (n < 80 floats, 40 doubles
    // with AVX-512) summed in registers, two rows at a time: an even and an odd count of rows;
    // rows about row_axpy_rows = 8: a pass short of it, one, one and one row, two and one row;
    // at n 4096 and no pad, rows of x a multiple of cache_set_period apart: passes of
    // row_axpy_rows_aliased = 4; without pad, rows up to row_axpy_alone_bytes (n 1024 floats,
    // 512 doubles) go one per pass, one element longer or padded in blocks)
    for (const index_t rows : {index_t(0), index_t(1), index_t(3), index_t(4), index_t(7), index_t(8), index_t(9),
                               index_t(17)})
      for (const index_t pad : {index_t(0), index_t(3)})
        for (const int with : {0, 1, 2}) {  // x a strided vector; none (the rows summed); rows of x
          const bool none = with == 1, rows_of_x = with == 2;
          const index_t ra = n + pad, rx = rows_of_x ? n + 2 * pad : pad + 1;
          const auto a = random_values<T>(static_cast<std::size_t>(std::max<index_t>(rows * ra, 1)), gen);
          const auto x = random_values<T>(static_cast<std::size_t>(std::max<index_t>(rows * rx, 1)), gen);
          for (const T beta : {T(0), T(-0.5)}) {
            std::vector<T> o(static_cast<std::size_t>(n + 1), T(0.75));
            const T alpha = T(1.5);
            if (rows_of_x)
              ein::detail::row_axpys<T, true>(o.data(), a.data(), ra, x.data(), rx, rows, n, alpha, beta);
            else
              ein::detail::row_axpys(o.data(), a.data(), ra, none ? nullptr : x.data(), rx, rows, n, alpha, beta);
            for (index_t i = 0; i < n; ++i) {
              double want = 0, magnitude = 0;
              for (index_t r = 0; r < rows; ++r) {
                const double xr = none        ? 1.0
                                  : rows_of_x ? double(x[static_cast<std::size_t>(r * rx + i)])
                                              : double(x[static_cast<std::size_t>(r * rx)]);
                const double p = xr * double(a[static_cast<std::size_t>(r * ra + i)]);
                want += p;
                magnitude += std::abs(p);
              }
              want = double(alpha) * want + double(beta) * 0.75;
              INFO("n " << n << " rows " << rows << " pad " << pad << " with " << with << " i " << i);
              REQUIRE(std::abs(double(o[static_cast<std::size_t>(i)]) - want) <= tolerance_for<T>(rows) * (1.0 + magnitude));
            }
            REQUIRE(o[static_cast<std::size_t>(n)] == T(0.75));  // past the row: untouched
          }
        }
}

TEST_CASE_TEMPLATE("einsums of kept rows dotted with a vector: the naive reference at every row length", T, float,
                   double) {
  unsigned seed = 100;
  for (const index_t n : row_lengths()) {
    const index_t rows = n > 200 ? 5 : 9;
    const auto a2 = random_tensor<T>(Extents<2>{rows, n}, ++seed);
    const auto x = random_tensor<T>(Extents<1>{n}, ++seed);
    const auto a3 = random_tensor<T>(Extents<3>{3, rows, n}, ++seed);
    const auto x2 = random_tensor<T>(Extents<2>{3, n}, ++seed);
    const auto b3 = random_tensor<T>(Extents<3>{3, rows, n}, ++seed);
    INFO("n " << n);
    check_against_reference<T>("ij,j->i", ein::Tensor<T, 1>(ein::einsum("ij,j->i", a2, x)).view(), a2, x);
    check_against_reference<T>("j,ij->i", ein::Tensor<T, 1>(ein::einsum("j,ij->i", x, a2)).view(), x, a2);
    check_against_reference<T>("bij,bj->bi", ein::Tensor<T, 2>(ein::einsum("bij,bj->bi", a3, x2)).view(), a3, x2);
    check_against_reference<T>("bij,j->bi", ein::Tensor<T, 2>(ein::einsum("bij,j->bi", a3, x)).view(), a3, x);
    check_against_reference<T>("ijk,ik->ij", ein::Tensor<T, 2>(ein::einsum("ijk,ik->ij", b3, x2)).view(), b3, x2);
    const auto t2 = random_tensor<T>(Extents<2>{rows, n}, ++seed);
    const auto xr = random_tensor<T>(Extents<1>{rows}, ++seed);
    const auto t3 = random_tensor<T>(Extents<3>{3, rows, n}, ++seed);
    const auto xb = random_tensor<T>(Extents<2>{3, rows}, ++seed);
    check_against_reference<T>("ji,j->i", ein::Tensor<T, 1>(ein::einsum("ji,j->i", t2, xr)).view(), t2, xr);
    check_against_reference<T>("j,ji->i", ein::Tensor<T, 1>(ein::einsum("j,ji->i", xr, t2)).view(), xr, t2);
    check_against_reference<T>("bji,bj->bi", ein::Tensor<T, 2>(ein::einsum("bji,bj->bi", t3, xb)).view(), t3, xb);
    check_against_reference<T>("bij,bij->bi", ein::Tensor<T, 2>(ein::einsum("bij,bij->bi", a3, b3)).view(), a3, b3);
    // One operand: its rows summed (row_dots without b), or summed into one (row_axpys without x).
    check_against_reference<T>("ij->i", ein::Tensor<T, 1>(ein::einsum("ij->i", a2)).view(), a2);
    check_against_reference<T>("bij->bi", ein::Tensor<T, 2>(ein::einsum("bij->bi", a3)).view(), a3);
    check_against_reference<T>("ji->i", ein::Tensor<T, 1>(ein::einsum("ji->i", t2)).view(), t2);
    check_against_reference<T>("bji->bi", ein::Tensor<T, 2>(ein::einsum("bji->bi", t3)).view(), t3);
    // Two operands walking the kept row, their products summed over the rows (row_axpys, rows of x).
    const auto u3 = random_tensor<T>(Extents<3>{3, rows, n}, ++seed);
    check_against_reference<T>("bji,bji->bi", ein::Tensor<T, 2>(ein::einsum("bji,bji->bi", t3, u3)).view(), t3, u3);
    check_against_reference<T>("ji,ji->i", ein::Tensor<T, 1>(ein::einsum("ji,ji->i", t2, t2)).view(), t2, t2);
  }
}

TEST_CASE_TEMPLATE("loop_nest: padded rows, a broadcast vector, strided output, alpha and beta", T, float, double) {
  // "bij,bj->bi" through loop_nest directly: A (b, i, j) with rows of n padded to
  // n + 3; x (b, j) with stride 0 along b (one vector broadcast over the batch) or
  // a row per b; the output (b, i) with its rows i 2 apart.
  std::mt19937 gen(11);
  for (const index_t n : row_lengths()) {
    const index_t nb = 3, ni = 6, lda = n + 3;
    const auto a = random_values<T>(static_cast<std::size_t>(nb * ni * lda), gen);
    const auto xv = random_values<T>(static_cast<std::size_t>(nb * n), gen);
    for (const bool broadcast : {true, false})
      for (const T beta : {T(0), T(0.5)}) {
        Strided<const T> in[2];
        in[0].data = a.data();
        in[0].rank = 3;
        in[0].labels = {0, 1, 2};
        in[0].extents = {nb, ni, n};
        in[0].strides = {ni * lda, lda, 1};
        in[1].data = xv.data();
        in[1].rank = 2;
        in[1].labels = {0, 2};
        in[1].extents = {nb, n};
        in[1].strides = {broadcast ? 0 : n, 1};
        std::vector<T> o(static_cast<std::size_t>(nb * ni * 2), T(-1));
        Strided<T> out;
        out.data = o.data();
        out.rank = 2;
        out.labels = {0, 1};
        out.extents = {nb, ni};
        out.strides = {ni * 2, 2};
        const T alpha = T(-2);
        ein::detail::loop_nest<T>(in, 2, out, alpha, beta);
        for (index_t b = 0; b < nb; ++b)
          for (index_t i = 0; i < ni; ++i) {
            double want = 0, magnitude = 0;
            for (index_t j = 0; j < n; ++j) {
              const double p = double(a[static_cast<std::size_t>(b * ni * lda + i * lda + j)]) *
                               double(xv[static_cast<std::size_t>((broadcast ? 0 : b * n) + j)]);
              want += p;
              magnitude += std::abs(p);
            }
            want = double(alpha) * want - double(beta);
            INFO("n " << n << " broadcast " << broadcast << " b " << b << " i " << i);
            REQUIRE(std::abs(double(o[static_cast<std::size_t>(b * ni * 2 + i * 2)]) - want) <=
                    tolerance_for<T>(n) * (1.0 + 2 * magnitude));
            REQUIRE(o[static_cast<std::size_t>(b * ni * 2 + i * 2 + 1)] == T(-1));
          }
      }
  }
}
