// Steady state: a repeated einsum of the same shapes into an existing tensor
// allocates nothing (scratch buffers are kept per thread between calls).
#include "counting_new.hpp"
#include "engine_support.hpp"

using ein::Extents;
using ein::Tensor;
using ein::test::random_tensor;

template <class F>
long allocations_of(F&& f) {
  f();  // warm-up: fills this thread's scratch pool
  return ein::test::allocations_in([&] {
           for (int i = 0; i < 10; ++i) f();
         }) / 10;
}

TEST_CASE("a repeated einsum of the same shapes allocates nothing after the first call") {
  const auto a = random_tensor<float>(Extents<2>{64, 48}, 1);
  const auto b = random_tensor<float>(Extents<2>{48, 32}, 2);
  const auto c = random_tensor<float>(Extents<2>{32, 16}, 3);
  const auto x = random_tensor<float>(Extents<4>{6, 5, 4, 3}, 4);
  const auto y = random_tensor<float>(Extents<4>{3, 5, 7, 2}, 5);
  Tensor<float, 2> gemm(64, 32), chain(64, 16);
  Tensor<float, 4> permuted(6, 4, 2, 7);
  Tensor<float, 1> sums(64);
  CHECK(allocations_of([&] { gemm = ein::einsum<"ij,jk->ik">(a, b); }) == 0);                // fast path
  CHECK(allocations_of([&] { gemm += 2.f * ein::einsum<"ij,jk->ik">(a, b); }) == 0);
  CHECK(allocations_of([&] { chain = ein::einsum<"ij,jk,kl->il">(a, b, c); }) == 0);      // an intermediate
  CHECK(allocations_of([&] { permuted = ein::einsum<"abcd,dbef->acfe">(x, y); }) == 0);  // permuted copies
  CHECK(allocations_of([&] { sums = ein::einsum<"ij->i">(a); }) == 0);
  // A loop step's intermediate (the Khatri-Rao product "jr,kr->jkr"), laid out by
  // strides (lower/pairwise.hpp's intermediate_for: a std::stable_sort there allocated).
  const auto t = random_tensor<float>(Extents<3>{8, 12, 10}, 6);
  const auto jr = random_tensor<float>(Extents<2>{12, 16}, 7), kr = random_tensor<float>(Extents<2>{10, 16}, 8);
  Tensor<float, 2> mttkrp(8, 16);
  CHECK(allocations_of([&] { mttkrp = ein::einsum<"ijk,jr,kr->ir">(t, jr, kr); }) == 0);
  // A new tensor's storage: the block the last one of its size gave back to the memory pool.
  CHECK(allocations_of([&] { const Tensor<float, 2> fresh = ein::einsum<"ij,jk->ik">(a, b); }) == 0);
}

TEST_CASE("a repeated run-time spec allocates nothing: its bound spec comes from the cache") {
  const auto a = random_tensor<float>(Extents<2>{4, 4}, 1);
  const auto b = random_tensor<float>(Extents<2>{4, 4}, 2);
  const auto c = random_tensor<float>(Extents<2>{4, 4}, 3);
  Tensor<float, 2> gemm(4, 4), chain(4, 4);
  Tensor<float, 1> sums(4);
  // A spec longer than std::string's inline buffer: a copy of its text would allocate.
  CHECK(allocations_of([&] { gemm = ein::einsum(" ij , jk  ->  ik         ", a, b); }) == 0);  // fast path
  CHECK(allocations_of([&] { gemm = ein::einsum("ij,jk->ik", a, b); }) == 0);
  CHECK(allocations_of([&] { ein::einsum("ij,jk->ik", a, b).evaluate_into(gemm.view(), 2.f, 1.f); }) == 0);
  CHECK(allocations_of([&] { chain = ein::einsum("ij,jk,kl->il", a, b, c); }) == 0);  // the general path
  CHECK(allocations_of([&] { sums = ein::einsum("ij->i", a); }) == 0);
  CHECK(allocations_of([&] { const Tensor<float, 2> fresh = ein::einsum("ij,jk->ik", a, b); }) == 0);
}
