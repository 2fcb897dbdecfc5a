// einsum on Vars of a device other than the host (autodiff/einsum.hpp: what
// CUDA Vars run, through the device table's Backend) on the emulated CUDA device,
// against the host's einsum on Vars: GEMM-shaped specs, a trace, a sum within an
// operand, ellipsis and size-1 broadcasting, three operands, an implicit output;
// each spec also given at run time. Runs without a GPU.
#include <cstdint>
#include <random>

#include <doctest/doctest.h>

#include "ein/autodiff.hpp"
#include "emulated_cuda_device.hpp"

using ein::index_t;
using ein::Tensor;

namespace {

template <class T, std::size_t R>
Tensor<T, R> random_tensor(const ein::Extents<R>& extents, std::mt19937& gen) {
  Tensor<T, R> t(extents);
  std::uniform_real_distribution<double> u(-1, 1);
  for (index_t k = 0; k < t.size(); ++k) t.data()[k] = static_cast<T>(u(gen));
  return t;
}

/// Every operand's gradient of sum(einsum<S>(operands) * w), by the host's einsum
/// on Vars (its own fast paths) and by the one every other device runs
/// (autodiff/einsum.hpp: the table's lowered Backend, the compile-time fast path of
/// a GEMM-shaped pair, execute_on and accumulate_gradient_on), here on the emulated
/// CUDA device: the GPU's lowering (DeviceBackend's GEMM calls and kernels) run on
/// the CPU, bounds-checked. `fast`: how many of the forward and the gradients take
/// the fast path (lower/fast_pair.hpp); the rest are planned.
template <ein::fixed_string S, std::size_t... R>
void check_spec(int fast, const ein::Extents<R>&... extents) {
  INFO("spec " << S.view());
  const std::uint64_t taken = ein::detail::device_pair_probe.taken;
  std::mt19937 gen(17);
  const auto values = std::make_tuple(random_tensor<double>(extents, gen)...);
  const auto host = std::apply([](const auto&... v) { return std::make_tuple(ein::param(Tensor(v))...); }, values);
  const auto other = std::apply(
      [](const auto&... v) { return std::make_tuple(ein::param(ein::to<ein::test::EmulatedCuda>(v))...); }, values);
  const auto y = std::apply([](const auto&... v) { return ein::einsum<S>(v...); }, host);
  const int lowered = ein::test::calls["lowered"];
  const auto y_other = std::apply([](const auto&... v) { return ein::einsum<S>(v...); }, other);
  CHECK(ein::test::calls["lowered"] == lowered + 1);  // the forward, on the device's Backend
  static_assert(std::is_same_v<typename std::remove_cvref_t<decltype(y_other)>::device_type, ein::test::EmulatedCuda>);
  const auto w = random_tensor<double>(y.extents(), gen);
  ein::sum(y * ein::constant(Tensor(w))).backward();
  ein::sum(y_other * ein::constant(ein::to<ein::test::EmulatedCuda>(w))).backward();
  CHECK(ein::test::calls["lowered"] == lowered + 1 + static_cast<int>(sizeof...(R)));  // one per gradient
  CHECK(ein::detail::device_pair_probe.taken - taken == static_cast<std::uint64_t>(fast));
  const auto same = [](const auto& got, const auto& want) {
    REQUIRE(got.extents() == want.extents());
    for (index_t e = 0; e < got.size(); ++e) {
      INFO("element " << e);
      CHECK(got.data()[e] == doctest::Approx(want.data()[e]).epsilon(1e-12));
    }
  };
  // A second graph onto the same leaves: each gradient accumulates (beta = 1) on both devices.
  ein::sum(std::apply([](const auto&... v) { return ein::einsum<S>(v...); }, host) * ein::constant(Tensor(w)))
      .backward();
  ein::sum(std::apply([](const auto&... v) { return ein::einsum<S>(v...); }, other) *
           ein::constant(ein::to<ein::test::EmulatedCuda>(w)))
      .backward();
  // The spec given at run time, on the device's Vars: the same value and gradients, twice accumulated.
  constexpr std::size_t out_rank = std::remove_cvref_t<decltype(y)>::var_rank;
  const auto at_run_time = std::apply(
      [](const auto&... v) { return std::make_tuple(ein::param(ein::to<ein::test::EmulatedCuda>(v))...); }, values);
  const int lowered_before_run_time = ein::test::calls["lowered"];
  const std::uint64_t taken_before_run_time = ein::detail::device_pair_probe.taken;
  for (int twice = 0; twice < 2; ++twice) {
    const ein::Var<double, out_rank, ein::test::EmulatedCuda> y_run_time =
        std::apply([](const auto&... v) { return ein::einsum(S.view(), v...); }, at_run_time);
    if (twice == 0) same(y_run_time.value(), y.value());
    ein::sum(y_run_time * ein::constant(ein::to<ein::test::EmulatedCuda>(w))).backward();
  }
  CHECK(ein::test::calls["lowered"] == lowered_before_run_time + 2 * (1 + static_cast<int>(sizeof...(R))));
  // The same fast paths as the compile-time spec's, its gradients' included.
  CHECK(ein::detail::device_pair_probe.taken - taken_before_run_time == static_cast<std::uint64_t>(2 * fast));
  same(y_other.value(), y.value());
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    const auto one = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
      INFO("operand " << I);
      same(std::get<I>(other).grad(), std::get<I>(host).grad());
      same(std::get<I>(at_run_time).grad(), std::get<I>(host).grad());
    };
    (one(std::integral_constant<std::size_t, K>{}), ...);
  }(std::make_index_sequence<sizeof...(R)>{});
}

}  // namespace

TEST_CASE("einsum on another device's Vars: the value and gradients of the host's") {
  using E1 = ein::Extents<1>;
  using E2 = ein::Extents<2>;
  using E3 = ein::Extents<3>;
  check_spec<"ij,lj->li">(3, E2{5, 7}, E2{3, 7});  // the MLP's layer
  check_spec<"ij,jk->ik">(3, E2{4, 6}, E2{6, 3});
  check_spec<"ji,kj->ik">(3, E2{6, 4}, E2{3, 6});  // both operands read transposed
  check_spec<"ij,jk->ki">(3, E2{4, 6}, E2{6, 3});  // a column-major result
  check_spec<"bij,bjk->bik">(3, E3{2, 3, 4}, E3{2, 4, 5});
  check_spec<"bij,bkj->bik">(3, E3{2, 3, 4}, E3{2, 5, 4});
  check_spec<"abc,cde->abde">(3, E3{2, 3, 4}, E3{4, 2, 3});  // groups of two labels
  check_spec<"ij,jk->ik">(0, E2{4, 1}, E2{5, 3});  // j broadcast: planned
  check_spec<"ii->">(0, E2{4, 4});
  check_spec<"ii->i">(0, E2{3, 3});
  check_spec<"ij->i">(0, E2{3, 5});
  check_spec<"ij,k->k">(0, E2{3, 5}, E1{4});  // i and j summed within operand 0
  check_spec<"i,j->ij">(2, E1{3}, E1{4});  // no K: planned; its gradients are GEMVs ("ij,j->i")
  check_spec<"...ij,...jk->...ik">(3, E3{2, 3, 4}, E2{4, 5});  // the ellipsis joins M
  check_spec<"ij,ij->ij">(0, E2{3, 1}, E2{3, 4});  // size-1 broadcast
  check_spec<"ab,bc,cd->ad">(0, E2{3, 4}, E2{4, 5}, E2{5, 2});
  check_spec<"i,i,i->i">(0, E1{6}, E1{6}, E1{6});
  check_spec<"ij,jk">(3, E2{2, 3}, E2{3, 4});  // implicit output
}

namespace {

/// ein::einsum(spec, ...) with the spec given at run time on the emulated device's
/// tensors, against the compile-time spec there and the host's: values, scaling,
/// accumulation (+=, beta 1) and how many calls took the fast path.
template <ein::fixed_string S, std::size_t R, std::size_t... In>
void check_runtime_spec(int fast, const ein::Extents<In>&... extents) {
  using Dev = ein::test::EmulatedCuda;
  INFO("spec " << S.view());
  std::mt19937 gen(29);
  const auto host = std::make_tuple(random_tensor<double>(extents, gen)...);
  const auto other = std::apply([](const auto&... v) { return std::make_tuple(ein::to<Dev>(v)...); }, host);
  const Tensor<double, R> want = std::apply([](const auto&... v) { return ein::einsum<S>(v...).eval(); }, host);
  const std::uint64_t taken = ein::detail::device_pair_probe.taken;
  const Tensor<double, R, Dev> got =
      std::apply([](const auto&... v) { return ein::einsum(S.view(), v...).template eval<R>(); }, other);
  Tensor<double, R, Dev> twice = std::apply([](const auto&... v) { return ein::einsum<S>(v...).eval(); }, other);
  const auto three = std::apply([](const auto&... v) { return 2.0 * ein::einsum(S.view(), v...); }, other);
  twice += three;  // einsum + 2 einsum, the run-time spec's rank checked
  CHECK(ein::detail::device_pair_probe.taken - taken == static_cast<std::uint64_t>(3 * fast));
  REQUIRE(got.extents() == want.extents());
  REQUIRE(twice.extents() == want.extents());
  for (index_t e = 0; e < want.size(); ++e) {
    INFO("element " << e);
    CHECK(got.data()[e] == doctest::Approx(want.data()[e]).epsilon(1e-12));
    CHECK(twice.data()[e] == doctest::Approx(3 * want.data()[e]).epsilon(1e-12));
  }
}

}  // namespace

TEST_CASE("a run-time spec on another device's tensors: the compile-time spec's result") {
  using E1 = ein::Extents<1>;
  using E2 = ein::Extents<2>;
  using E3 = ein::Extents<3>;
  check_runtime_spec<"ij,jk->ik", 2>(1, E2{4, 6}, E2{6, 3});
  check_runtime_spec<"bij,bkj->bik", 3>(1, E3{2, 3, 4}, E3{2, 5, 4});
  check_runtime_spec<"ij,jk->ik", 2>(0, E2{4, 1}, E2{5, 3});  // j broadcast: planned
  check_runtime_spec<"ijk->kji", 3>(0, E3{2, 3, 4});
  check_runtime_spec<"ij->i", 1>(0, E2{3, 5});
  check_runtime_spec<"i,j->ij", 2>(0, E1{3}, E1{4});
  check_runtime_spec<"ab,bc,cd->ad", 2>(0, E2{3, 4}, E2{4, 5}, E2{5, 2});
  check_runtime_spec<"...ij,...jk", 3>(1, E3{2, 3, 4}, E2{4, 5});  // ellipsis, implicit output

  using Dev = ein::test::EmulatedCuda;
  const auto a = ein::to<Dev>(Tensor<float, 2>(ein::Extents<2>{2, 3}));
  const auto b = ein::to<Dev>(Tensor<float, 2>(ein::Extents<2>{3, 4}));
  Tensor<float, 2, Dev> c = ein::einsum("ij,jk->ik", a, b);  // the conversion asks for the rank the spec has
  CHECK(c.extents() == ein::Extents<2>{2, 4});
  CHECK_THROWS_AS((void)ein::einsum("ij,jk->ik", a, b).eval<3>(), ein::spec_error);  // a rank the spec has not
  Tensor<float, 1, Dev> row = ein::to<Dev>(Tensor<float, 1>(ein::Extents<1>{4}));
  CHECK_THROWS_AS(row += ein::einsum("ij,jk->ik", a, b), ein::spec_error);
  CHECK_THROWS_AS((void)ein::einsum("ij,jk->ik,", a, b), ein::spec_error);           // a bad spec
  CHECK_THROWS_AS((void)ein::einsum("ij,jk->ik", b, b).eval<2>(), ein::shape_error);  // j: 4 against 3

  // The same on the device's Vars: nothing is recorded where the spec, the rank or a shape is wrong.
  const auto va = ein::param(a);
  const auto vb = ein::param(b);
  const ein::Var<float, 2, Dev> vc = ein::einsum("ij,jk->ik", va, vb);
  CHECK(vc.value().extents() == ein::Extents<2>{2, 4});
  CHECK_THROWS_AS((void)ein::einsum("ij,jk->ik", va, vb).var<3>(), ein::spec_error);
  CHECK_THROWS_AS((void)ein::einsum("ij,jk->ik,", va, vb), ein::spec_error);
  CHECK_THROWS_AS((void)ein::einsum("ij,jk->ik", vb, vb).var<2>(), ein::shape_error);
}
