// The loop lowering (lower/): fold's postcondition on random spaces, loop_nest
// against the reference over every nest shape (rows, reductions, tiles, N
// operands, empty sums, threads), and the lowering the cost model picks for
// each class of einsum, as einsum_path reports it.
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <vector>

#include "engine_support.hpp"
#include "ein/lower/loop_nest.hpp"

using ein::Extents;
using ein::StepKind;
using ein::Tensor;
using ein::index_t;
using ein::detail::LoopSpace;
using ein::test::check_against_reference;
using ein::test::random_tensor;

namespace {

// Every operand's offsets in the order a nest over `s` (outermost first) visits them.
std::vector<std::vector<index_t>> visit(const LoopSpace& s) {
  std::vector<std::vector<index_t>> out(static_cast<std::size_t>(s.operands));
  std::vector<index_t> at(static_cast<std::size_t>(s.rank), 0);
  for (int a = 0; a < s.rank; ++a)
    if (s.axes[static_cast<std::size_t>(a)].extent == 0) return out;
  while (true) {
    for (int k = 0; k < s.operands; ++k) {
      index_t off = 0;
      for (int a = 0; a < s.rank; ++a)
        off += at[static_cast<std::size_t>(a)] * s.axes[static_cast<std::size_t>(a)].stride[static_cast<std::size_t>(k)];
      out[static_cast<std::size_t>(k)].push_back(off);
    }
    int a = s.rank;
    while (true) {
      if (--a < 0) return out;
      if (++at[static_cast<std::size_t>(a)] < s.axes[static_cast<std::size_t>(a)].extent) break;
      at[static_cast<std::size_t>(a)] = 0;
    }
  }
}

template <class T, std::size_t RC, class... Ops>
void check_spec(std::string_view spec, T alpha, T beta, const Ops&... ops) {
  Tensor<T, RC> c = ein::einsum(spec, ops...);
  Tensor<T, RC> start = c;
  for (index_t i = 0; i < start.size(); ++i) start.data()[i] = T(0.25) * T(i % 7);
  Tensor<T, RC> got = start;
  ein::einsum(spec, ops...).evaluate_into(got.view(), alpha, T(0));
  check_against_reference<T>(spec, c.view(), ops...);
  if (beta != T(0)) {  // out = alpha * einsum + beta * out: each output element takes beta once
    Tensor<T, RC> acc = start;
    ein::einsum(spec, ops...).evaluate_into(acc.view(), alpha, beta);
    for (index_t i = 0; i < acc.size(); ++i)
      REQUIRE(double(acc.data()[i]) ==
              doctest::Approx(double(beta * start.data()[i] + alpha * c.data()[i])).epsilon(1e-4).scale(1));
  }
  for (index_t i = 0; i < got.size(); ++i)
    REQUIRE(double(got.data()[i]) == doctest::Approx(double(alpha * c.data()[i])).epsilon(1e-5).scale(1));
}

template <class... Ops>
std::vector<StepKind> lowerings(std::string_view spec, const Ops&... ops) {
  std::vector<StepKind> kinds;
  for (const ein::PathStep& s : ein::einsum_path(spec, ops...).steps) kinds.push_back(s.kind);
  return kinds;
}

}  // namespace

TEST_CASE("fold: same offsets in the same order, no size-1 axis, nothing left to merge") {
  std::mt19937 gen(7);
  for (int trial = 0; trial < 1000; ++trial) {
    LoopSpace s;
    s.operands = 1 + static_cast<int>(gen() % 4);
    s.rank = static_cast<int>(gen() % 5);
    // Row-major blocks of a few extents per operand, some axes broadcast (stride 0), some reversed.
    std::vector<index_t> extent(static_cast<std::size_t>(s.rank));
    for (auto& e : extent) e = 1 + static_cast<index_t>(gen() % 4);
    for (int k = 0; k < s.operands; ++k) {
      index_t step = 1 + static_cast<index_t>(gen() % 2);
      for (int a = s.rank; a-- > 0;) {
        auto& axis = s.axes[static_cast<std::size_t>(a)];
        axis.extent = extent[static_cast<std::size_t>(a)];
        const int kind = static_cast<int>(gen() % 6);
        axis.stride[static_cast<std::size_t>(k)] = kind == 0 ? 0 : kind == 1 ? -step : step;
        if (kind != 0) step *= axis.extent + static_cast<index_t>(gen() % 2);
      }
    }
    // fold sorts the axes: compare with the unfolded space in fold's own order.
    LoopSpace sorted = s;
    ein::detail::fold(sorted);
    LoopSpace ordered = s;
    std::stable_sort(ordered.axes.begin(), ordered.axes.begin() + ordered.rank, [&](const auto& x, const auto& y) {
      return ein::detail::stride_weight(s, x) > ein::detail::stride_weight(s, y);
    });
    CAPTURE(trial);
    REQUIRE(visit(sorted) == visit(ordered));
    for (int a = 0; a < sorted.rank; ++a) REQUIRE(sorted.axes[static_cast<std::size_t>(a)].extent > 1);
    for (int a = 1; a < sorted.rank; ++a) {
      bool merges = true;
      for (int k = 0; k < sorted.operands; ++k)
        merges = merges && sorted.axes[static_cast<std::size_t>(a - 1)].stride[static_cast<std::size_t>(k)] ==
                               sorted.axes[static_cast<std::size_t>(a)].stride[static_cast<std::size_t>(k)] *
                                   sorted.axes[static_cast<std::size_t>(a)].extent;
      REQUIRE_FALSE(merges);
    }
  }
}

TEST_CASE_TEMPLATE("loop nests: permutations, reductions, products, any operand count", T, float, double) {
  // Tiled permutations (extents past the 32 x 32 tile, and not multiples of it).
  const auto p = random_tensor<T>(Extents<3>{37, 70, 45}, 1);
  check_spec<T, 3>("ijk->kji", T(1), T(1), p);
  check_spec<T, 3>("ijk->ikj", T(2), T(0.5), p);
  check_spec<T, 3>("ijk->jki", T(-1), T(0), p);
  const auto q = random_tensor<T>(Extents<5>{3, 4, 5, 6, 7}, 2);
  check_spec<T, 5>("abcde->edcba", T(1), T(1), q);
  check_spec<T, 4>("ijkl->ljki", T(1), T(1), random_tensor<T>(Extents<4>{5, 33, 34, 6}, 3));
  // Reductions over leading, middle and trailing axes, of one and of two operands.
  const auto a = random_tensor<T>(Extents<3>{9, 40, 35}, 4), b = random_tensor<T>(Extents<3>{9, 40, 35}, 5);
  check_spec<T, 2>("ijk,ijk->jk", T(1), T(-0.5), a, b);
  check_spec<T, 2>("ijk,ijk->ik", T(1), T(1), a, b);
  check_spec<T, 2>("ijk,ijk->ij", T(1), T(1), a, b);
  check_spec<T, 1>("ijk->j", T(3), T(1), a);
  check_spec<T, 2>("ijk->kj", T(1), T(1), a);  // a tiled reduction: k is unit-stride in, i summed
  check_spec<T, 0>("ijk,ijk->", T(1), T(1), a, b);
  // N-ary Hadamard and broadcast products, in one fused nest.
  const auto x = random_tensor<T>(Extents<2>{33, 65}, 6), y = random_tensor<T>(Extents<2>{33, 65}, 7),
             z = random_tensor<T>(Extents<2>{33, 65}, 8);
  const auto u = random_tensor<T>(Extents<1>{65}, 9), v = random_tensor<T>(Extents<1>{33}, 10);
  check_spec<T, 2>("ij,ij,ij->ij", T(1), T(1), x, y, z);
  check_spec<T, 2>("ij,ij,ij,j,i->ij", T(2), T(1), x, y, z, u, v);
  check_spec<T, 1>("ij,ij,ij->i", T(1), T(1), x, y, z);
  check_spec<T, 3>("bi,ij,bj->bij", T(1), T(1), random_tensor<T>(Extents<2>{7, 33}, 11), x,
                   random_tensor<T>(Extents<2>{7, 65}, 12));
  check_spec<T, 0>("i,i,i->", T(1), T(1), u, u, u);
  // Empty sums: the result is beta * out (0 here), never stale memory.
  const auto e = random_tensor<T>(Extents<2>{4, 0}, 13);
  check_spec<T, 1>("ij->i", T(1), T(1), e);
  check_spec<T, 1>("ij,ij->i", T(1), T(1), e, e);
}

TEST_CASE_TEMPLATE("loop nests split across threads give the serial answer", T, float, double) {
#ifdef _OPENMP
  const int threads = omp_get_max_threads();
  omp_set_num_threads(2);
#endif
  const auto a = random_tensor<T>(Extents<3>{64, 130, 129}, 21), b = random_tensor<T>(Extents<3>{64, 130, 129}, 22);
  check_spec<T, 3>("ijk->kji", T(1), T(1), a);
  check_spec<T, 2>("ijk,ijk->jk", T(1), T(-0.5), a, b);
  check_spec<T, 2>("ijk,ijk->ik", T(1), T(1), a, b);
  check_spec<T, 1>("ijk,ijk->i", T(1), T(1), a, b);
  check_spec<T, 3>("ijk,ijk,ijk->ijk", T(1), T(1), a, b, a);
#ifdef _OPENMP
  omp_set_num_threads(threads);
#endif
}

TEST_CASE("the cost model: loops for dots, GEMVs and Hadamard products, GEMMs where they reuse data") {
  const Tensor<float, 2> sq(256, 256), tall(4096, 512);
  const Tensor<float, 1> vec(256), long_vec(1 << 20);
  const Tensor<float, 3> cube(64, 64, 64);
  const Tensor<float, 2> rows(64, 256);
  CHECK(lowerings("i,i->", long_vec, long_vec) == std::vector{StepKind::loop});
  CHECK(lowerings("ij,ij->", sq, sq) == std::vector{StepKind::loop});
  CHECK(lowerings("ij,j->i", sq, vec) == std::vector{StepKind::loop});
  CHECK(lowerings("ji,j->i", sq, vec) == std::vector{StepKind::loop});
  CHECK(lowerings("ijk,ijk->ik", cube, cube) == std::vector{StepKind::loop});
  CHECK(lowerings("bij,bj->bi", cube, Tensor<float, 2>(64, 64)) == std::vector{StepKind::loop});
  CHECK(lowerings("ij,ij,ij->ij", sq, sq, sq) == std::vector{StepKind::fused});
  CHECK(lowerings("bi,ij,bj->bij", rows, sq, rows) == std::vector{StepKind::fused});
  CHECK(lowerings("ij,jk->ik", sq, sq) == std::vector{StepKind::gemm});
  CHECK(lowerings("ij,jk->ik", Tensor<float, 2>(4, 4), Tensor<float, 2>(4, 4)) == std::vector{StepKind::gemm});
  CHECK(lowerings("bij,bjk->bik", cube, cube) == std::vector{StepKind::batched_gemm});
  CHECK(lowerings("bi,ij,bj->b", Tensor<float, 2>(128, 256), sq, Tensor<float, 2>(128, 256)) ==
        std::vector{StepKind::gemm, StepKind::loop});
  // Tucker mode products and MTTKRP stay pairwise GEMMs: a fused nest would repeat their multiply-adds.
  const Tensor<float, 2> factor(32, 64);
  for (StepKind k : lowerings("ijk,ai,bj,ck->abc", cube, factor, factor, factor)) CHECK(k == StepKind::gemm);
  const auto mttkrp = lowerings("ijk,jr,kr->ir", Tensor<float, 3>(128, 128, 128), Tensor<float, 2>(128, 32),
                                Tensor<float, 2>(128, 32));
  CHECK(mttkrp.size() == 2);
  CHECK(mttkrp.back() == StepKind::gemm);
  (void)tall;
}

TEST_CASE_TEMPLATE("a 1x1 convolution: a GEMM per image over the strides, the answer of the reference", T, float, double) {
  const auto x = random_tensor<T>(Extents<4>{3, 8, 5, 7}, 31);
  const auto w = random_tensor<T>(Extents<2>{6, 8}, 32);
  check_spec<T, 4>("nchw,kc->nkhw", T(1), T(1), x, w);
  check_spec<T, 4>("nchw,kc->nkhw", T(1), T(1), random_tensor<T>(Extents<4>{4, 64, 12, 12}, 33),
                   random_tensor<T>(Extents<2>{32, 64}, 34));
  check_spec<T, 4>("nhwc,kc->nkhw", T(1), T(1), random_tensor<T>(Extents<4>{4, 12, 12, 64}, 35),
                   random_tensor<T>(Extents<2>{32, 64}, 36));
}

TEST_CASE("einsum_path shows each GEMM as it runs: one per image for a 1x1 convolution, the copies a permuted K needs") {
  const Tensor<float, 4> x(32, 64, 28, 28), a(8, 8, 8, 8);
  const Tensor<float, 2> w(64, 64);
  const auto conv = ein::einsum_path("nchw,kc->nkhw", x, w).steps;
  REQUIRE(conv.size() == 1);
  CHECK(conv[0].batch == 32);  // a GEMM per image over the strides,
  CHECK(conv[0].m * conv[0].n == 784 * 64);
  CHECK(conv[0].k == 64);
  CHECK(conv[0].copies == 0);  // and no copy
  const auto permuted = ein::einsum_path("acbd,dcef->abfe", a, a).steps;
  REQUIRE(permuted.size() == 1);
  CHECK(permuted[0].batch == 1);  // no split where a copy is needed anyway
  CHECK(permuted[0].copies == 2);
}
