// Heap allocations of element-wise evaluation, counted by replacing the global
// operator new of this test executable: a fused expression allocates nothing beyond
// its destination.
#include "ein/math/element.hpp"  // first: each header compiles on its own
#include "ein/expr/elementwise.hpp"

#include <doctest/doctest.h>

#include "counting_new.hpp"
#include "elementwise_support.hpp"

namespace {
/// Allocations made while running f, every tensor block a new one.
template <class F>
long allocations_in(F&& f) {
  ein::release_cached_memory();  // (else a block the memory pool kept would serve it, uncounted)
  return ein::test::allocations_in(f);
}
}  // namespace

using ein::index_t;
using ein::Tensor;
using ein::TensorView;

namespace {
/// A non-element-wise expression (dst = alpha * aᵀ + beta * dst) that allocates nothing itself.
template <class T>
struct Transposed {
  using value_type = T;
  static constexpr std::size_t rank = 2;
  const Tensor<T, 2>* a;
  [[nodiscard]] ein::Extents<2> extents() const { return {a->extent(1), a->extent(0)}; }
  void evaluate_into(TensorView<T, 2> dst, T alpha, T beta) const {
    for (index_t i = 0; i < dst.extent(0); ++i)
      for (index_t j = 0; j < dst.extent(1); ++j)
        dst(i, j) = beta == T(0) ? alpha * (*a)(j, i) : alpha * (*a)(j, i) + beta * dst(i, j);
  }
  [[nodiscard]] bool overlaps(const void*, const void*) const { return false; }
};
}  // namespace

TEST_CASE("the counting operator new sees ein's allocations") {
  CHECK(allocations_in([] { Tensor<float, 2> t(3, 4); }) == 1);
  CHECK(allocations_in([] { Tensor<float, 2> t(0, 4); }) == 0);
}

TEST_CASE_TEMPLATE("a fused expression allocates nothing beyond its destination", T, float, double) {
  const ein::Extents<2> e{64, 33};
  const auto A = ein_test::random_tensor<T>(e, 1);
  const auto B = ein_test::random_tensor<T>(e, 2);
  const auto D = ein_test::random_tensor<T>(e, 3);

  // Seven operations, three leaves, two scalars: one allocation, the result.
  const long constructed = allocations_in([&] {
    Tensor<T, 2> C = ein::relu(A + T(2) * B) - ein::sigmoid(D) * A / (T(1) + ein::square(B));
    REQUIRE(C.size() == 64 * 33);
  });
  CHECK(constructed == 1);

  Tensor<T, 2> C(e);
  CHECK(allocations_in([&] { C = ein::relu(A + T(2) * B) - ein::sigmoid(D) * A / (T(1) + ein::square(B)); }) == 0);
  CHECK(allocations_in([&] { C += ein::exp(A) * B - D; }) == 0);
  CHECK(allocations_in([&] { C -= ein::max(A, T(0)) + ein::min(T(1), B); }) == 0);
  CHECK(allocations_in([&] { C.view() = ein::tanh(A) + ein::pow(ein::abs(B), T(2)); }) == 0);

  // Held in a variable, built once, evaluated twice.
  CHECK(allocations_in([&] {
          const auto expr = ein::sqrt(ein::abs(A)) * B + D;
          C = expr;
          C += expr;
        }) == 0);

  // The strided and row loops: a transposed and a block destination.
  Tensor<T, 2> S(33, 64);
  const TensorView<T, 2> St(S.data(), e, {1, 64});
  Tensor<T, 2> big(128, 40);
  const TensorView<T, 2> block(big.data() + 40 + 3, e, {40, 1});
  CHECK(allocations_in([&] { St = A * B - T(1); }) == 0);
  CHECK(allocations_in([&] { block = ein::relu(A) + D; }) == 0);

  // Shape errors allocate their message only.
  Tensor<T, 2> wrong(33, 64);
  CHECK(allocations_in([&] {
          try {
            C = A + wrong;
          } catch (const ein::shape_error&) {
          }
        }) > 0);
}

TEST_CASE_TEMPLATE("what does allocate: aliasing and materialised operands", T, float, double) {
  const ein::Extents<2> e{16, 16};
  auto A = ein_test::random_tensor<T>(e, 4);
  const auto B = ein_test::random_tensor<T>(e, 5);
  Tensor<T, 2> C(e);

  // A = A * 2 + B reads A: Tensor evaluates into a temporary, then takes its storage.
  CHECK(allocations_in([&] { A = A * T(2) + B; }) == 1);
  // A non-element-wise operand is evaluated once into a temporary.
  const Transposed<T> Bt{&B};
  CHECK(allocations_in([&] { C = ein::relu(Bt + A); }) == 1);
  using ein::operator*;  // Transposed lives outside ein: argument-dependent lookup cannot find it
  CHECK(allocations_in([&] { C = Bt * Bt; }) == 2);  // once per occurrence
}
