// einsum on Vars of a device other than the host (autodiff/einsum.hpp: what
// CUDA Vars run, through the device table's Backend) on the emulated CUDA device,
// against the host's einsum on Vars: GEMM-shaped specs, a trace, a sum within an
// operand, ellipsis and size-1 broadcasting, three operands, an implicit output.
// Runs without a GPU.
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
/// (autodiff/einsum.hpp: the table's lowered Backend, execute_on and
/// accumulate_gradient_on), here on the emulated CUDA device: the GPU's lowering
/// (DeviceBackend's GEMM calls and kernels) run on the CPU, bounds-checked.
template <ein::fixed_string S, std::size_t... R>
void check_spec(const ein::Extents<R>&... extents) {
  INFO("spec " << S.view());
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
  const auto same = [](const auto& got, const auto& want) {
    REQUIRE(got.extents() == want.extents());
    for (index_t e = 0; e < got.size(); ++e) {
      INFO("element " << e);
      CHECK(got.data()[e] == doctest::Approx(want.data()[e]).epsilon(1e-12));
    }
  };
  same(y_other.value(), y.value());
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    const auto one = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
      INFO("operand " << I);
      same(std::get<I>(other).grad(), std::get<I>(host).grad());
    };
    (one(std::integral_constant<std::size_t, K>{}), ...);
  }(std::make_index_sequence<sizeof...(R)>{});
}

}  // namespace

TEST_CASE("einsum on another device's Vars: the value and gradients of the host's") {
  using E1 = ein::Extents<1>;
  using E2 = ein::Extents<2>;
  using E3 = ein::Extents<3>;
  check_spec<"ij,lj->li">(E2{5, 7}, E2{3, 7});  // the MLP's layer
  check_spec<"ij,jk->ik">(E2{4, 6}, E2{6, 3});
  check_spec<"bij,bjk->bik">(E3{2, 3, 4}, E3{2, 4, 5});
  check_spec<"ii->">(E2{4, 4});
  check_spec<"ii->i">(E2{3, 3});
  check_spec<"ij->i">(E2{3, 5});
  check_spec<"ij,k->k">(E2{3, 5}, E1{4});  // i and j summed within operand 0
  check_spec<"i,j->ij">(E1{3}, E1{4});
  check_spec<"...ij,...jk->...ik">(E3{2, 3, 4}, E2{4, 5});
  check_spec<"ij,ij->ij">(E2{3, 1}, E2{3, 4});  // size-1 broadcast
  check_spec<"ab,bc,cd->ad">(E2{3, 4}, E2{4, 5}, E2{5, 2});
  check_spec<"i,i,i->i">(E1{6}, E1{6}, E1{6});
  check_spec<"ij,jk">(E2{2, 3}, E2{3, 4});  // implicit output
}
