// The device einsum's gradient step (accumulate_gradient_on, what ein::cuda's
// einsum on Vars runs on DeviceBackend) on the CPU's HostBackend, against the
// CPU autodiff's einsum gradients: GEMM-shaped specs, a trace, a sum within an
// operand, ellipsis and size-1 broadcasting, three operands, an implicit output.
// Runs without a GPU.
#include <random>

#include <doctest/doctest.h>

#include "ein/autodiff.hpp"
#include "ein/backend/cuda/autodiff/gradient.hpp"

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

/// Every operand's gradient of sum(einsum<S>(operands) * w), by the CPU autodiff
/// and by accumulate_gradient_on with HostBackend.
template <ein::fixed_string S, std::size_t... R>
void check_spec(const ein::Extents<R>&... extents) {
  INFO("spec " << S.view());
  std::mt19937 gen(17);
  const auto values = std::make_tuple(random_tensor<double>(extents, gen)...);
  const auto vars = std::apply([](const auto&... v) { return std::make_tuple(ein::param(Tensor(v))...); }, values);
  const auto y = std::apply([](const auto&... v) { return ein::einsum<S>(v...); }, vars);
  const auto w = random_tensor<double>(y.extents(), gen);
  ein::sum(y * ein::constant(Tensor(w))).backward();

  using Source = ein::detail::StaticSpec<S, static_cast<int>(R)...>;
  constexpr std::size_t n = sizeof...(R);
  const std::array<ein::detail::Strided<const double>, n> strided = std::apply(
      [](const auto&... v) {
        int k = 0;
        return std::array<ein::detail::Strided<const double>, n>{ein::cuda::detail::labelled_dense<const double>(
            v.data(), v.extents(), Source::value.inputs[k++])...};
      },
      values);
  const auto seed = ein::cuda::detail::labelled_dense<const double>(w.data(), w.extents(), Source::value.output);
  [&]<std::size_t... K>(std::index_sequence<K...>) {
    const auto one = [&]<std::size_t I>(std::integral_constant<std::size_t, I>) {
      const auto& cpu_grad = std::get<I>(vars).grad();
      Tensor<double, std::remove_cvref_t<decltype(cpu_grad)>::rank> grad(cpu_grad.extents());
      ein::detail::HostBackend<double> be;
      constexpr ein::BoundSpec gradient = ein::derive_gradient(Source::value, static_cast<int>(I));
      ein::cuda::detail::accumulate_gradient_on<double>(
          be, Source::value, gradient, S.view(), static_cast<int>(I), strided.data(), seed,
          ein::cuda::detail::labelled_dense<double>(grad.data(), grad.extents(), Source::value.inputs[I]));
      for (index_t e = 0; e < grad.size(); ++e) {
        INFO("operand " << I << " element " << e);
        CHECK(grad.data()[e] == doctest::Approx(cpu_grad.data()[e]).epsilon(1e-12));
      }
    };
    (one(std::integral_constant<std::size_t, K>{}), ...);
  }(std::make_index_sequence<n>{});
}

}  // namespace

TEST_CASE("device einsum gradients (HostBackend) match the CPU autodiff") {
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
