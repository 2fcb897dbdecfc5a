// einsum("spec", ...) with Var operands (issue 9, item 15): the spec is known
// only at run time; its gradient specs are derived at run time by the same
// constexpr code and cached. Checked against the compile-time einsum on Vars
// and by central differences.
#include <random>
#include <string>
#include <thread>

#include <doctest/doctest.h>

#include "ein/autodiff.hpp"
#include "gradcheck.hpp"

using ein::Extents;
using ein::Tensor;
using ein::Var;
using ein::test::gradcheck;
using ein::test::random_tensor;

namespace {
template <std::size_t R>
Var<double, 0> weighted(const Var<double, R>& out, unsigned seed) {
  std::mt19937 gen(seed);
  return ein::sum(out * ein::constant(random_tensor<double>(out.extents(), gen)));
}
}  // namespace

TEST_CASE("run-time einsum on Vars: the lecture's layer, value and gradients equal the compile-time einsum's") {
  std::mt19937 gen(11);
  const auto w = random_tensor<double>(Extents<2>{5, 7}, gen);
  const auto x = random_tensor<double>(Extents<2>{3, 7}, gen);
  const auto W1 = ein::param(w), X1 = ein::param(x);
  const auto W2 = ein::param(w), X2 = ein::param(x);
  const Var<double, 2> a = ein::einsum("ij,lj->li", W1, X1);
  const Var<double, 2> b = ein::einsum<"ij,lj->li">(W2, X2);
  weighted(a, 3).backward();
  weighted(b, 3).backward();
  for (ein::index_t i = 0; i < a.value().size(); ++i) CHECK(a.value().data()[i] == b.value().data()[i]);
  for (ein::index_t i = 0; i < w.size(); ++i) CHECK(W1.grad().data()[i] == doctest::Approx(W2.grad().data()[i]));
  for (ein::index_t i = 0; i < x.size(); ++i) CHECK(X1.grad().data()[i] == doctest::Approx(X2.grad().data()[i]));
}

TEST_CASE("run-time einsum on Vars passes gradcheck: diagonals, broadcasts, three operands, ellipses, constants") {
  std::mt19937 gen(5);
  const ein::test::GradcheckTolerances tol;
  {
    const auto r = gradcheck<2, 2>(
        tol, [](const Var<double, 2>& a, const Var<double, 2>& b) { return weighted(ein::einsum("ii,ij->j", a, b).template var<1>(), 1); },
        random_tensor<double>(Extents<2>{3, 3}, gen), random_tensor<double>(Extents<2>{3, 4}, gen));
    CHECK_MESSAGE(r.ok, r.message);
  }
  {
    const auto r = gradcheck<2, 2, 1>(
        tol,
        [](const Var<double, 2>& a, const Var<double, 2>& b, const Var<double, 1>& c) {
          return weighted(ein::einsum("ab,bc,c->a", a, b, c).template var<1>(), 2);
        },
        random_tensor<double>(Extents<2>{2, 3}, gen), random_tensor<double>(Extents<2>{3, 4}, gen),
        random_tensor<double>(Extents<1>{4}, gen));
    CHECK_MESSAGE(r.ok, r.message);
  }
  {
    const auto r = gradcheck<3, 2>(
        tol, [](const Var<double, 3>& a, const Var<double, 2>& b) { return weighted(ein::einsum("...ij,jk->...ik", a, b).template var<3>(), 3); },
        random_tensor<double>(Extents<3>{2, 3, 4}, gen), random_tensor<double>(Extents<2>{4, 2}, gen));
    CHECK_MESSAGE(r.ok, r.message);
  }
  {
    const auto c = random_tensor<double>(Extents<2>{3, 1}, gen);  // a constant operand, broadcast along j
    const auto r = gradcheck<2>(
        tol, [&](const Var<double, 2>& a) { return weighted(ein::einsum("ij,ij->i", a, c).template var<1>(), 4); },
        random_tensor<double>(Extents<2>{3, 4}, gen));
    CHECK_MESSAGE(r.ok, r.message);
  }
  {  // the scalar result: converts to Var<double, 0> and back-propagates from itself
    const auto r = gradcheck<2>(
        tol, [](const Var<double, 2>& a) -> Var<double, 0> { return ein::einsum("ij,ij->", a, a); },
        random_tensor<double>(Extents<2>{3, 2}, gen));
    CHECK_MESSAGE(r.ok, r.message);
  }
}

TEST_CASE("run-time einsum on Vars: bad specs and the wrong result rank throw; the specs are cached") {
  const auto a = ein::param(Tensor<float, 2>({2, 2}, {1, 2, 3, 4}));
  CHECK_THROWS_WITH_AS((void)ein::einsum("ij,jk->iq", a, a), doctest::Contains("label 'q' (position 8)"),
                       ein::spec_error);
  CHECK_THROWS_AS((void)ein::einsum("ijk->i", a), ein::spec_error);
  CHECK_THROWS_WITH_AS((void)ein::einsum("ij->i", a).var<2>(), doctest::Contains("the output has rank 1, not 2"),
                       ein::spec_error);
  // One cache for the run-time specs of plain and Var einsums (expr/runtime_spec.hpp),
  // seen from a new thread (an empty cache): the Var einsum binds its spec there, and
  // a Tensor einsum of the same spec and ranks finds that entry.
  int after_var = -1, after_plain = -1;
  bool same_entry = false, derived_once = false;
  float value = 0;
  std::thread([&] {
    const Var<float, 1> rows = ein::einsum("ij->i", a);
    after_var = ein::detail::runtime_spec_cache_size();  // (0 before: Var einsums had a cache of their own)
    const Tensor<float, 1> plain = ein::einsum("ij->i", a.value());
    after_plain = ein::detail::runtime_spec_cache_size();
    const auto first = ein::detail::runtime_spec("ij->i", std::array<int, 1>{2}.data(), 1).data;
    same_entry = first == ein::detail::runtime_spec("ij->i", std::array<int, 1>{2}.data(), 1).data &&
                 first != ein::detail::runtime_spec("...->", std::array<int, 1>{3}.data(), 1).data;
    derived_once = first->gradient(0).output.rank == 2;  // dA: the operand's labels
    value = rows.value()(1) + plain(1);
  }).join();
  CHECK(after_var == 1);
  CHECK(after_plain == 1);
  CHECK(same_entry);
  CHECK(derived_once);
  CHECK(value == 14.0f);
  {
    ein::no_grad off;  // recording off: a constant
    const Var<float, 1> c = ein::einsum("ij->i", a);
    CHECK_FALSE(c.requires_grad());
    CHECK(c.value()(1) == 7.0f);
  }
}
