// Each lowering path of lower/pairwise.hpp, in float and double, against the reference.
#include "engine_support.hpp"

using ein::Extents;
using ein::Tensor;
using ein::TensorView;
using ein::index_t;
using ein::test::check_against_reference;
using ein::test::random_tensor;

namespace {

template <class T, std::size_t RA, std::size_t RB, std::size_t RC>
void pairwise_case(std::string_view spec, const Extents<RA>& ea, const Extents<RB>& eb, unsigned seed = 1) {
  const auto a = random_tensor<T>(ea, seed);
  const auto b = random_tensor<T>(eb, seed + 7);
  const Tensor<T, RC> c = ein::einsum(spec, a, b);
  check_against_reference<T>(spec, c.view(), a, b);
}

}  // namespace

TEST_CASE_TEMPLATE("GEMM in every orientation, small and large", T, float, double) {
  for (index_t n : {1, 2, 5, 33, 130}) {
    const index_t m = n + 3, k = n + 1;
    CAPTURE(n);
    pairwise_case<T, 2, 2, 2>("ij,jk->ik", {m, k}, {k, n});
    pairwise_case<T, 2, 2, 2>("ji,jk->ik", {k, m}, {k, n});
    pairwise_case<T, 2, 2, 2>("ij,kj->ik", {m, k}, {n, k});
    pairwise_case<T, 2, 2, 2>("ji,kj->ik", {k, m}, {n, k});
    pairwise_case<T, 2, 2, 2>("ij,jk->ki", {m, k}, {k, n});  // column-major result: C^T = B^T A^T
    pairwise_case<T, 2, 1, 1>("ij,j->i", {m, k}, {k});         // GEMV
    pairwise_case<T, 1, 1, 0>("i,i->", {k}, {k});              // dot
  }
}

TEST_CASE_TEMPLATE("multi-label groups collapse into one GEMM axis", T, float, double) {
  pairwise_case<T, 4, 4, 4>("abcd,cdef->abef", {3, 4, 5, 6}, {5, 6, 2, 3});
  pairwise_case<T, 4, 4, 4>("acbd,dcef->abfe", {3, 5, 4, 6}, {6, 5, 2, 3});  // K order differs: one copy
  pairwise_case<T, 3, 2, 3>("bij,jk->bik", {4, 3, 5}, {5, 6});                // b and i fold into M
  pairwise_case<T, 3, 3, 2>("ijk,jkl->il", {7, 3, 4}, {3, 4, 9});
  pairwise_case<T, 3, 3, 2>("ijk,kjl->il", {7, 3, 4}, {4, 3, 9});              // K walked in B's order
}

TEST_CASE_TEMPLATE("batched GEMM: leading, inner and trailing batch labels", T, float, double) {
  pairwise_case<T, 3, 3, 3>("bij,bjk->bik", {4, 3, 5}, {4, 5, 6});
  pairwise_case<T, 3, 3, 3>("ibj,bjk->bik", {3, 4, 5}, {4, 5, 6});
  pairwise_case<T, 3, 3, 3>("ijb,jkb->ikb", {3, 5, 4}, {5, 6, 4});
  pairwise_case<T, 4, 4, 4>("bhqd,bhkd->bhqk", {2, 3, 8, 5}, {2, 3, 7, 5});
  pairwise_case<T, 3, 3, 3>("bij,bjk->bik", {2, 2, 2}, {2, 2, 2});
  pairwise_case<T, 3, 3, 3>("bij,bjk->bik", {600, 16, 16}, {600, 16, 16});  // large batch of small GEMMs: threads over b
}

TEST_CASE_TEMPLATE("labels summed within one operand are reduced before the GEMM", T, float, double) {
  pairwise_case<T, 2, 2, 1>("ij,jk->k", {4, 5}, {5, 6});
  pairwise_case<T, 3, 2, 1>("aij,jk->i", {3, 4, 5}, {5, 6});
  pairwise_case<T, 2, 2, 0>("ij,kl->", {3, 4}, {5, 6});
}

// The compile-time fast path takes one GEMM of M, N >= 2 without asking the model
// (ein::one_gemm_beats_the_loop): the model must agree at every size.
TEST_CASE("the cost model prefers one GEMM of M, N >= 2 to the loop at every size") {
  REQUIRE(ein::one_gemm_beats_the_loop());
  for (double m : {2.0, 3.0, 4.0, 5.0, 64.0, 4096.0})
    for (double n : {2.0, 3.0, 7.0, 1024.0, 1e6})
      for (double k : {1.0, 2.0, 3.0, 16.0, 4096.0, 1e7})
        for (double element_size : {4.0, 8.0}) {
          CAPTURE(m);
          CAPTURE(n);
          CAPTURE(k);
          CHECK(ein::prefer_gemm(1, m, n, k, element_size));
          CHECK(ein::prefer_gemm(1, n, m, k, element_size));
        }
}

TEST_CASE_TEMPLATE("steps without a contracted label run as loops", T, float, double) {
  pairwise_case<T, 1, 1, 2>("i,j->ij", {5}, {7});
  pairwise_case<T, 2, 2, 2>("ij,ij->ij", {5, 7}, {5, 7});
  pairwise_case<T, 2, 2, 2>("ij,ji->ij", {5, 7}, {7, 5});
  pairwise_case<T, 2, 1, 2>("bi,b->bi", {5, 7}, {5});
  pairwise_case<T, 2, 2, 4>("ij,kl->ljki", {2, 3}, {4, 5});
}

TEST_CASE_TEMPLATE("diagonals are strided views, not copies", T, float, double) {
  pairwise_case<T, 2, 2, 1>("ii,ij->j", {4, 4}, {4, 5});
  pairwise_case<T, 3, 2, 2>("iij,jk->ik", {4, 4, 5}, {5, 3});
  pairwise_case<T, 3, 3, 2>("bii,bij->bj", {3, 4, 4}, {3, 4, 5});
  const auto a = random_tensor<T>(Extents<3>{3, 4, 4}, 3);
  const Tensor<T, 2> d = ein::einsum<"bii->bi">(a);
  check_against_reference<T>("bii->bi", d.view(), a);
  const Tensor<T, 0> tr = ein::einsum<"bii->">(a);
  check_against_reference<T>("bii->", tr.view(), a);
}

TEST_CASE_TEMPLATE("strided operands: transposed, sliced, negative and non-unit inner strides", T, float, double) {
  const auto base = random_tensor<T>(Extents<2>{12, 10}, 5);
  const auto b = random_tensor<T>(Extents<2>{5, 4}, 6);
  // Every other column of the first 6 rows: inner stride 2, so GEMM needs a copy.
  const TensorView<const T, 2> every_other(base.data(), {6, 5}, {10, 2});
  Tensor<T, 2> c = ein::einsum<"ij,jk->ik">(every_other, b);
  check_against_reference<T>("ij,jk->ik", c.view(), every_other, b);
  // A transposed window: strides (1, 10).
  const TensorView<const T, 2> transposed(base.data() + 3, {5, 6}, {1, 10});
  c = ein::einsum<"ij,jk->ik">(ein::TensorView<const T, 2>(base.data(), {6, 5}, {10, 1}), b);
  check_against_reference<T>("ij,jk->ik", c.view(), TensorView<const T, 2>(base.data(), {6, 5}, {10, 1}), b);
  Tensor<T, 2> ct = ein::einsum<"ji,jk->ik">(transposed, b);
  check_against_reference<T>("ji,jk->ik", ct.view(), transposed, b);
  // Rows walked backwards: a negative stride.
  const TensorView<const T, 2> reversed(base.data() + 11 * 10, {6, 5}, {-10, 1});
  c = ein::einsum<"ij,jk->ik">(reversed, b);
  check_against_reference<T>("ij,jk->ik", c.view(), reversed, b);
  // A broadcast operand (stride 0).
  const TensorView<const T, 2> broadcast(b.data(), {6, 5}, {0, 4});
  c = ein::einsum<"ij,jk->ik">(broadcast, b);
  check_against_reference<T>("ij,jk->ik", c.view(), broadcast, b);
}

TEST_CASE_TEMPLATE("destinations that do not fit a GEMM receive the result through a temporary", T, float, double) {
  const auto a = random_tensor<T>(Extents<2>{6, 5}, 8);
  const auto b = random_tensor<T>(Extents<2>{5, 4}, 9);
  std::vector<T> buffer(6 * 4 * 3, T(7));
  const TensorView<T, 2> spaced(buffer.data(), {6, 4}, {12, 3});  // inner stride 3
  spaced = ein::einsum<"ij,jk->ik">(a, b);
  check_against_reference<T>("ij,jk->ik", TensorView<const T, 2>(spaced), a, b);
  CHECK(buffer[1] == T(7));  // elements between the strided ones untouched
  // A 3-d destination whose M labels are not adjacent in memory.
  const auto x = random_tensor<T>(Extents<3>{3, 4, 5}, 10);
  const auto y = random_tensor<T>(Extents<2>{5, 6}, 11);
  Tensor<T, 3> out(Extents<3>{6, 3, 4});
  const TensorView<T, 3> permuted(out.data(), {3, 6, 4}, {4, 12, 1});  // "ikj" order in memory
  permuted = ein::einsum<"abj,jk->akb">(x, y);
  check_against_reference<T>("abj,jk->akb", TensorView<const T, 3>(permuted), x, y);
}

TEST_CASE_TEMPLATE("alpha and beta: scaling and accumulation without a temporary", T, float, double) {
  const auto a = random_tensor<T>(Extents<2>{40, 30}, 12);
  const auto b = random_tensor<T>(Extents<2>{30, 20}, 13);
  const Tensor<T, 2> ab = ein::einsum<"ij,jk->ik">(a, b);
  Tensor<T, 2> c = random_tensor<T>(Extents<2>{40, 20}, 14);
  const Tensor<T, 2> c0 = c;
  c += T(2) * ein::einsum<"ij,jk->ik">(a, b);
  c -= ein::einsum<"ij,jk->ik">(a, b);
  for (index_t i = 0; i < c.size(); ++i) CHECK(c.data()[i] == doctest::Approx(c0.data()[i] + ab.data()[i]).epsilon(1e-4));
  Tensor<T, 1> rows(Extents<1>{40});
  rows += ein::einsum<"ij->i">(a);
  rows += -ein::einsum<"ij->i">(a);
  for (index_t i = 0; i < rows.size(); ++i) CHECK(std::abs(rows.data()[i]) < 1e-5);
}

TEST_CASE_TEMPLATE("zero-size extents and rank-0 operands", T, float, double) {
  pairwise_case<T, 2, 2, 2>("ij,jk->ik", {0, 3}, {3, 4});
  pairwise_case<T, 2, 2, 2>("ij,jk->ik", {3, 0}, {0, 4});  // K = 0: zeros
  pairwise_case<T, 2, 2, 2>("ij,jk->ik", {3, 0}, {1, 4});  // 1 broadcasts to 0
  const Tensor<T, 0> s({}, {T(3)});
  const auto v = random_tensor<T>(Extents<1>{4}, 15);
  const Tensor<T, 1> sv = ein::einsum<",i->i">(s, v);
  check_against_reference<T>(",i->i", sv.view(), s, v);
  const Tensor<T, 0> ss = ein::einsum<",->">(s, s);
  CHECK(ss() == T(9));
}

TEST_CASE_TEMPLATE("many operands follow the cheapest order", T, float, double) {
  const auto a = random_tensor<T>(Extents<2>{8, 64}, 16);
  const auto b = random_tensor<T>(Extents<2>{64, 8}, 17);
  const auto c = random_tensor<T>(Extents<2>{8, 64}, 18);
  const auto d = random_tensor<T>(Extents<2>{64, 8}, 19);
  const Tensor<T, 2> r = ein::einsum<"ab,bc,cd,de->ae">(a, b, c, d);
  check_against_reference<T>("ab,bc,cd,de->ae", r.view(), a, b, c, d);
  const auto x = random_tensor<T>(Extents<1>{6}, 20);
  const auto y = random_tensor<T>(Extents<1>{6}, 21);
  const auto z = random_tensor<T>(Extents<1>{6}, 22);
  const Tensor<T, 1> three = ein::einsum<"i,i,i->i">(x, y, z);
  check_against_reference<T>("i,i,i->i", three.view(), x, y, z);
  // Seven operands: the greedy search.
  const auto m = random_tensor<T>(Extents<2>{3, 4}, 23);
  const auto n = random_tensor<T>(Extents<2>{4, 5}, 24);
  const auto o = random_tensor<T>(Extents<2>{5, 3}, 25);
  const Tensor<T, 2> seven = ein::einsum<"ab,bc,ca,ad,bd,i,i->cd">(m, n, o, random_tensor<T>(Extents<2>{3, 2}, 26),
                                                                   random_tensor<T>(Extents<2>{4, 2}, 27), x, y);
  check_against_reference<T>("ab,bc,ca,ad,bd,i,i->cd", seven.view(), m, n, o,
                             random_tensor<T>(Extents<2>{3, 2}, 26), random_tensor<T>(Extents<2>{4, 2}, 27), x, y);
}

TEST_CASE("the per-thread plan cache: alternating shapes each get their own plan") {
  // "ab,bc,cd,de->ae": the best order depends on the extents, so a plan reused for
  // the wrong shapes would contract in another order (still right, but costlier) or
  // with wrong extents (wrong). Twelve shapes overflow the cache's eight entries.
  for (int round = 0; round < 3; ++round)
    for (index_t s = 1; s <= 12; ++s) {
      const index_t big = 8 * s, small = s % 3 + 1;
      const Extents<2> ea{big, small}, eb{small, big}, ec{big, small}, ed{small, 2};
      const auto a = random_tensor<double>(ea, 1), b = random_tensor<double>(eb, 2);
      const auto c = random_tensor<double>(ec, 3), d = random_tensor<double>(ed, 4);
      const Tensor<double, 2> out = ein::einsum<"ab,bc,cd,de->ae">(a, b, c, d);
      check_against_reference<double>("ab,bc,cd,de->ae", out.view(), a, b, c, d);
      // The cache answers exactly what make_plan answers for the same input.
      ein::PlanInput in;
      in.num_operands = 4;
      for (int k = 0; k < 4; ++k) {
        in.operands[k].add(k);
        in.operands[k].add(k + 1);
      }
      in.output.add(0);
      in.output.add(4);
      const index_t extent[5] = {big, small, big, small, 2};
      for (int l = 0; l < 5; ++l) in.extent[l] = extent[l];
      const ein::Plan cached = ein::detail::cached_plan(in), fresh = ein::make_plan(in);
      REQUIRE(cached.num_steps == fresh.num_steps);
      CHECK(cached.optimized_flops == fresh.optimized_flops);
      for (int t = 0; t < fresh.num_steps; ++t) {
        CHECK(cached.steps[t].lhs == fresh.steps[t].lhs);
        CHECK(cached.steps[t].rhs == fresh.steps[t].rhs);
      }
    }
}

TEST_CASE("a loop step's intermediate is laid out along its operands' strides, a GEMM step's batch first") {
  // The Khatri-Rao product of an MTTKRP, "jr,kr->jkr" (labels j 0, k 1, r 2): the
  // loop writes rows along r, where both operands are unit-stride. Batch first (r,
  // j, k) its rows ran along k, reading "kr" 32 apart.
  std::vector<float> jr(128 * 32), kr(128 * 32), ir(64 * 32);
  const auto matrix = [](const float* data, unsigned char row, unsigned char col, index_t rows, index_t cols) {
    ein::detail::Strided<const float> x;
    x.data = data;
    x.rank = 2;
    x.labels = {row, col};
    x.extents = {rows, cols};
    x.strides = {cols, 1};
    return x;
  };
  const auto a = matrix(jr.data(), 0, 2, 128, 32), b = matrix(kr.data(), 1, 2, 128, 32);
  ein::detail::Strided<float> dest;  // "ir" (i: label 3)
  dest.data = ir.data();
  dest.rank = 2;
  dest.labels = {3, 2};
  dest.extents = {64, 32};
  dest.strides = {32, 1};
  const std::array<index_t, 4> extent{128, 128, 32, 64};
  const auto groups = ein::classify(ein::detail::labels_of(a), ein::detail::labels_of(b),
                                            ein::detail::labels_of(dest) | ein::detail::labels_of(a) | ein::detail::labels_of(b));
  ein::detail::HostBackend<float> be;
  const auto loop = ein::detail::intermediate_for<float>(a, b, ein::StepKind::loop, groups, dest, extent.data(), be);
  CHECK(std::vector<int>(loop.labels.begin(), loop.labels.begin() + loop.rank) == std::vector<int>{0, 1, 2});
  CHECK(loop.strides[2] == 1);
  // (A GEMM writes the batch outermost: its C is one matrix per batch element.)
  const auto gemm = ein::detail::intermediate_for<float>(a, b, ein::StepKind::batched_gemm, groups, dest, extent.data(), be);
  CHECK(gemm.labels[0] == 2);
}

namespace {

// A dense row-major view of `data` whose axes carry `labels` (label numbers) and `extents`.
template <class T>
ein::detail::Strided<T> dense_view(T* data, std::vector<int> labels, std::vector<index_t> extents) {
  ein::detail::Strided<T> x;
  x.data = data;
  x.rank = int(labels.size());
  index_t stride = 1;
  for (std::size_t d = labels.size(); d-- > 0;) {
    x.labels[d] = static_cast<unsigned char>(labels[d]);
    x.extents[d] = extents[d];
    x.strides[d] = stride;
    stride *= extents[d];
  }
  return x;
}

// The labels, outermost first, of the intermediate that the GEMM step "a,b" writes
// on the way to `dest`, when the later steps still need `later` besides dest's labels.
std::vector<int> intermediate_labels(const ein::detail::Strided<const float>& a,
                                     const ein::detail::Strided<const float>& b,
                                     const ein::detail::Strided<float>& dest, std::vector<int> later,
                                     const index_t* label_extent) {
  ein::LabelSet needed = ein::detail::labels_of(dest);
  for (int l : later) needed.add(l);
  const auto groups = ein::classify(ein::detail::labels_of(a), ein::detail::labels_of(b), needed);
  ein::detail::HostBackend<float> be;
  const auto t = ein::detail::intermediate_for<float>(a, b, ein::StepKind::gemm, groups, dest, label_extent, be);
  return std::vector<int>(t.labels.begin(), t.labels.begin() + t.rank);
}

}  // namespace

TEST_CASE("a GEMM step's intermediate puts the labels the destination keeps outermost") {
  // Tucker "ijk,ai,bj,ck->abc" (i 0, j 1, k 2, a 3, b 4, c 5), its first step
  // "ijk,ai": M = jk, N = a. Both orders of M and N leave the destination's labels
  // in its order; "ajk" (C = A X) leaves the next step ("bj,ajk") a batch over a of
  // row-major products, "jka" a product 32 x 2048 x 64 with its B 2048 wide:
  // 1.4x slower in double (and "bj,jka" can only write "kab", whose last step is slower too).
  std::vector<float> x(64 * 64 * 64), w(32 * 64), out(32 * 32 * 32);
  const std::array<index_t, 6> extent{64, 64, 64, 32, 32, 32};
  CHECK(intermediate_labels(dense_view<const float>(x.data(), {0, 1, 2}, {64, 64, 64}),
                            dense_view<const float>(w.data(), {3, 0}, {32, 64}),
                            dense_view(out.data(), {3, 4, 5}, {32, 32, 32}), {1, 2},
                            extent.data()) == std::vector<int>{3, 1, 2});
  // Orders that keep the destination's both: first the one whose GEMM reads both
  // operands along their rows. The chain "ab,bc,cd,de->ae" (a 0, c 1, d 2, e 3): "cd,de"
  // writes "ce" (C = A B) though the destination keeps e, not c: "ec" is C^T = B^T A^T,
  // whose B ("cd" read down its columns) a direct kernel must pack (1.5x slower).
  std::vector<float> cd(8 * 512), de(512 * 8), ae(8 * 8);
  const std::array<index_t, 4> chain_extent{8, 8, 512, 8};
  CHECK(intermediate_labels(dense_view<const float>(cd.data(), {1, 2}, {8, 512}),
                            dense_view<const float>(de.data(), {2, 3}, {512, 8}),
                            dense_view(ae.data(), {0, 3}, {8, 8}), {1},
                            chain_extent.data()) == std::vector<int>{1, 3});
}
