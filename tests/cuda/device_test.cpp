// ein::cuda on a real device: tensors, contexts, errors, and einsum against the
// CPU einsum on the same inputs, in FP32/FP64 and with TF32 and BF16 GEMMs.
// Label gpu: skipped (exit 77) without a device (gpu_main.cpp).
#include "ein/cuda.hpp"
#include "ein/ein.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <random>
#include <string>

namespace {

namespace cu = ein::cuda;
using ein::index_t;

template <class T, std::size_t R>
ein::Tensor<T, R> random_tensor(const ein::Extents<R>& e, std::uint64_t seed) {
  ein::Tensor<T, R> t(e);
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(-1, 1);
  for (index_t i = 0; i < t.size(); ++i) t.data()[i] = static_cast<T>(u(rng));
  return t;
}

/// max |got - want| / (1 + |want|) over the elements.
template <class T, std::size_t R>
double max_error(const ein::Tensor<T, R>& got, const ein::Tensor<T, R>& want) {
  REQUIRE(got.extents() == want.extents());
  double worst = 0;
  for (index_t i = 0; i < want.size(); ++i) {
    const double g = got.data()[i], w = want.data()[i];
    const double e = std::isnan(g) ? INFINITY : std::abs(g - w) / (1 + std::abs(w));
    worst = std::max(worst, e);
  }
  return worst;
}

/// Tolerance per element relative to 1 + |value|, for sums of `k` products of values in [-1, 1].
template <class T>
double tolerance(cu::Precision p, index_t k) {
  const double n = static_cast<double>(std::max<index_t>(k, 1));
  if (std::is_same_v<T, double>) return 1e-12 * n;
  switch (p) {
    case cu::Precision::fp32: return 2e-6 * n;
    case cu::Precision::tf32: return 2e-3 * std::sqrt(n) + 1e-6 * n;
    case cu::Precision::bf16: return 8e-3 * std::sqrt(n) + 1e-6 * n;  // ~4x the expected worst rounding of BF16 inputs
  }
  return 0;
}

/// cuda::einsum<S> and ein::einsum<S> on the same random inputs; `k` is the longest sum.
template <ein::fixed_string S, class T, std::size_t... R>
void check_spec(cu::Precision p, index_t k, const ein::Extents<R>&... extents) {
  const auto hosts = [&]<std::size_t... I>(std::index_sequence<I...>) {
    return std::make_tuple(random_tensor<T>(extents, I + 1)...);  // a seed per operand
  }(std::make_index_sequence<sizeof...(R)>{});
  std::apply(
      [&](const auto&... h) {
        const auto devices = std::make_tuple(cu::to_device(h)...);
        const auto want = ein::einsum<S>(h...).eval();
        const auto got = std::apply([&](const auto&... d) { return cu::einsum<S>(p, d...); }, devices).to_host();
        const double err = max_error(got, want);
        INFO(S.view(), " ", cu::to_string(p), " ", sizeof(T) == 4 ? "float" : "double", ": max error ", err);
        CHECK(err <= tolerance<T>(p, k));
      },
      hosts);
}

template <class T>
void check_specs(cu::Precision p) {
  using E1 = ein::Extents<1>;
  using E2 = ein::Extents<2>;
  using E3 = ein::Extents<3>;
  using E4 = ein::Extents<4>;
  check_spec<"ij,jk->ik", T>(p, 300, E2{257, 300}, E2{300, 129});
  check_spec<"ji,kj->ik", T>(p, 300, E2{300, 257}, E2{129, 300});
  check_spec<"ij,kj->ik", T>(p, 300, E2{257, 300}, E2{129, 300});
  check_spec<"ij,jk->ki", T>(p, 300, E2{257, 300}, E2{300, 129});
  check_spec<"bij,bjk->bik", T>(p, 70, E3{6, 65, 70}, E3{6, 70, 33});
  check_spec<"abij,bajk->abik", T>(p, 17, E4{3, 4, 9, 17}, E4{4, 3, 17, 6});
  check_spec<"bij,jk->bik", T>(p, 40, E3{5, 30, 40}, E2{40, 20});
  check_spec<"ij,j->i", T>(p, 500, E2{300, 500}, E1{500});
  check_spec<"ijk->kji", T>(p, 1, E3{20, 30, 40});
  check_spec<"bii->b", T>(p, 50, E3{7, 50, 50});
  check_spec<"iij,jk->ik", T>(p, 30, E3{20, 20, 30}, E2{30, 10});
  check_spec<"ij->", T>(p, 3 * 100000, E2{3, 100000});
  check_spec<"ij->i", T>(p, 300000, E2{4, 300000});
  check_spec<"ij->j", T>(p, 3000, E2{3000, 70});
  check_spec<"i,j->ij", T>(p, 1, E1{300}, E1{200});
  check_spec<"ij,ij->ij", T>(p, 1, E2{300, 200}, E2{300, 200});
  check_spec<"...ij,...jk->...ik", T>(p, 5, E4{2, 3, 4, 5}, E3{3, 5, 6});
  check_spec<"ab,bc,cd,de->ae", T>(p, 64 * 64 * 64, E2{40, 64}, E2{64, 64}, E2{64, 64}, E2{64, 30});
  check_spec<"bij,bjk,bkl->bil", T>(p, 40 * 40, E3{3, 20, 40}, E3{3, 40, 40}, E3{3, 40, 10});
}

TEST_CASE("device: tensors round-trip, fill, copy, move") {
  const auto h = random_tensor<float>(ein::Extents<2>{37, 19}, 5);
  cu::Tensor<float, 2> d = cu::to_device(h);
  CHECK(d.size() == 37 * 19);
  CHECK(d.stride(0) == 19);
  CHECK(max_error(d.to_host(), h) == 0);
  cu::Tensor<float, 2> zero(ein::Extents<2>{4, 5});
  for (index_t i = 0; i < 20; ++i) CHECK(zero.to_host().data()[i] == 0.f);
  zero.fill(2.5f);
  CHECK(zero.to_host()(3, 4) == 2.5f);
  cu::Tensor<float, 2> copy(ein::Extents<2>{37, 19});
  copy.copy_from(d);
  CHECK(max_error(copy.to_host(), h) == 0);
  cu::Tensor<float, 2> moved = std::move(copy);
  CHECK(copy.data() == nullptr);
  CHECK(moved.clone().to_host()(36, 18) == h(36, 18));
  CHECK_THROWS_AS(moved.copy_from(zero), ein::shape_error);
  cu::Tensor<double, 0> scalar(ein::Extents<0>{});
  scalar.fill(3.0);
  CHECK(scalar.to_host()() == 3.0);
  cu::Tensor<float, 2> empty(ein::Extents<2>{0, 7});
  CHECK(empty.to_host().size() == 0);
}

TEST_CASE("device: contexts: current(), a second context, device()") {
  cu::Context& c = cu::Context::current();
  CHECK(&c == &cu::Context::current());
  CHECK(c.device() == 0);
  CHECK(c.stream() != nullptr);
  CHECK(c.blas() != nullptr);
  cu::Context other(0);
  const auto a = random_tensor<float>(ein::Extents<2>{64, 32}, 1);
  const auto b = random_tensor<float>(ein::Extents<2>{32, 16}, 2);
  auto da = cu::to_device(a, other), db = cu::to_device(b);
  const auto got = cu::einsum<"ij,jk->ik">(da, db);
  CHECK(&got.context() == &other);
  CHECK(max_error(got.to_host(), ein::einsum<"ij,jk->ik">(a, b).eval()) < 1e-4);
}

TEST_CASE_TEMPLATE("device: einsum agrees with the CPU einsum (FP32 / FP64)", T, float, double) {
  check_specs<T>(cu::Precision::fp32);
}

TEST_CASE("device: einsum with TF32 and BF16 GEMMs agrees within their precision") {
  check_specs<float>(cu::Precision::tf32);
  check_specs<float>(cu::Precision::bf16);
  // BF16 really rounds its inputs: a difference below BF16's resolution vanishes.
  ein::Tensor<float, 2> a(1, 1), b(1, 1);
  a(0, 0) = 1.0f + 1.0f / 1024;
  b(0, 0) = 1.0f;
  auto da = cu::to_device(a), db = cu::to_device(b);
  CHECK(cu::einsum<"ij,jk->ik">(cu::Precision::fp32, da, db).to_host()(0, 0) == a(0, 0));
  CHECK(cu::einsum<"ij,jk->ik">(cu::Precision::bf16, da, db).to_host()(0, 0) == 1.0f);
}

TEST_CASE("device: einsum_into accumulates, scales, and reads its own destination safely") {
  const auto a = random_tensor<double>(ein::Extents<2>{50, 50}, 3);
  const auto b = random_tensor<double>(ein::Extents<2>{50, 50}, 4);
  auto da = cu::to_device(a), db = cu::to_device(b);
  auto dc = cu::to_device(a);
  cu::einsum_into<"ij,jk->ik">(dc, {.alpha = 2.0, .beta = 0.5}, da, db);
  ein::Tensor<double, 2> want = ein::einsum<"ij,jk->ik">(a, b);
  for (index_t i = 0; i < want.size(); ++i) want.data()[i] = 2 * want.data()[i] + 0.5 * a.data()[i];
  CHECK(max_error(dc.to_host(), want) < 1e-12);
  // dest is an operand: A = A B
  cu::einsum_into<"ij,jk->ik">(da, da, db);
  CHECK(max_error(da.to_host(), ein::einsum<"ij,jk->ik">(a, b).eval()) < 1e-12);
  // plain accumulation of a loop-kernel step
  cu::Tensor<double, 1> sums(ein::Extents<1>{50});
  cu::einsum_into<"ij->i">(sums, {.beta = 1.0}, db);
  cu::einsum_into<"ij->i">(sums, {.beta = 1.0}, db);
  ein::Tensor<double, 1> row = ein::einsum<"ij->i">(b);
  for (index_t i = 0; i < 50; ++i) CHECK(std::abs(sums.to_host()(i) - 2 * row(i)) < 1e-12);
  // += of the lazy einsum, its spec known at compile time or at run time (the rank then checked)
  sums += ein::einsum<"ij->i">(db);
  sums += 2.0 * ein::einsum("ij->i", db);
  for (index_t i = 0; i < 50; ++i) CHECK(std::abs(sums.to_host()(i) - 5 * row(i)) < 1e-12);
  CHECK_THROWS_AS(sums += ein::einsum("ij->ij", db), ein::spec_error);
}

TEST_CASE("device: bad input throws with clear messages") {
  cu::Tensor<float, 2> a(ein::Extents<2>{3, 4}), b(ein::Extents<2>{5, 6});
  CHECK_THROWS_WITH_AS(cu::einsum<"ij,jk->ik">(a, b), doctest::Contains("label 'j' is 4 in operand 0 and 5 in operand 1"),
                       ein::shape_error);
  cu::Tensor<float, 2> wrong(ein::Extents<2>{3, 3});
  cu::Tensor<float, 2> c(ein::Extents<2>{4, 6});
  CHECK_THROWS_AS(cu::einsum_into<"ij,jk->ik">(wrong, a, c), ein::shape_error);
  cu::Tensor<float, 2> gone;
  CHECK_THROWS_AS(cu::einsum<"ij,jk->ik">(gone, c), std::invalid_argument);
  // A runtime error names the call and the status.
  float* p = nullptr;
  CHECK_THROWS_WITH_AS(EIN_CUDA_CHECK(cudaMemcpy(p, reinterpret_cast<const void*>(0x10), 64, cudaMemcpyDeviceToDevice)),
                       doctest::Contains("cudaMemcpy(p, "), cu::cuda_error);
  // A cuBLAS error names the call and the status.
  const float one = 1;
  try {
    EIN_CUDA_CHECK(cublasSgemm(cu::Context::current().blas(), CUBLAS_OP_N, CUBLAS_OP_N, -1, 1, 1, &one, nullptr, 1,
                               nullptr, 1, &one, nullptr, 1));
    FAIL("no cuda_error");
  } catch (const cu::cuda_error& e) {
    const std::string what = e.what();
    CHECK(what.find("cublasSgemm(") != std::string::npos);
    CHECK(what.find("CUBLAS_STATUS_INVALID_VALUE") != std::string::npos);
  }
}

TEST_CASE("device: steady-state einsum allocates no new temporaries") {
  // "ij,jk,kl->il" needs an intermediate: after the first call it comes from the cache.
  const auto a = random_tensor<float>(ein::Extents<2>{64, 64}, 1);
  auto da = cu::to_device(a);
  (void)cu::einsum<"ij,jk,kl->il">(da, da, da);
  cudaMemPool_t pool = nullptr;
  REQUIRE(cudaDeviceGetDefaultMemPool(&pool, 0) == cudaSuccess);
  cu::Context::current().synchronize();
  std::uint64_t before = 0, after = 0;
  REQUIRE(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrReservedMemCurrent, &before) == cudaSuccess);
  for (int i = 0; i < 10; ++i) (void)cu::einsum<"ij,jk,kl->il">(da, da, da);
  cu::Context::current().synchronize();
  REQUIRE(cudaMemPoolGetAttribute(pool, cudaMemPoolAttrReservedMemCurrent, &after) == cudaSuccess);
  CHECK(after == before);
}

}  // namespace
