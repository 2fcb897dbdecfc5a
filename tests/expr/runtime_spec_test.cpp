// The run-time entry point einsum("spec", ...): its cache of bound specs (one
// per spec text and operand ranks, per thread, bounded) and its agreement with
// the compile-time entry point, whose fast paths it shares.
#include <string>
#include <thread>

#include "engine_support.hpp"

using ein::Extents;
using ein::Tensor;
using ein::TensorView;
using ein::index_t;
using ein::test::check_against_reference;
using ein::test::message_of;
using ein::test::random_tensor;

namespace {

template <class T, std::size_t R>
void check_same(const Tensor<T, R>& got, const Tensor<T, R>& want) {
  REQUIRE(got.extents() == want.extents());
  for (index_t k = 0; k < got.size(); ++k) CHECK(got.data()[k] == doctest::Approx(want.data()[k]).epsilon(1e-5));
}

bool same_group(const ein::StaticPair::Group& x, const ein::StaticPair::Group& y) {
  return x.a == y.a && x.b == y.b && x.c == y.c && x.count == y.count;
}
bool same_pair(const ein::StaticPair& x, const ein::StaticPair& y) {
  return x.fast == y.fast && same_group(x.batch, y.batch) && same_group(x.m, y.m) && same_group(x.n, y.n) &&
         same_group(x.k, y.k) && x.out_operand == y.out_operand && x.out_axis == y.out_axis &&
         x.shared_a == y.shared_a && x.shared_b == y.shared_b && x.num_shared == y.num_shared;
}

}  // namespace

TEST_CASE("a run-time spec is bound once per spec text and operand ranks, with its fast-path description") {
  const int ranks[] = {2, 2};
  const auto first = ein::detail::runtime_spec("ij,jk->ik", ranks, 2);
  const auto again = ein::detail::runtime_spec("ij,jk->ik", ranks, 2);
  CHECK(&first.bound() == &again.bound());  // one entry, shared
  CHECK(first.text() == "ij,jk->ik");
  // The same description the compile-time entry point computes.
  using Static = ein::detail::StaticSpec<"ij,jk->ik", 2, 2>;
  CHECK(first.pair().fast);
  CHECK(same_pair(first.pair(), Static::pair()));
  CHECK(!first.single());
  const int one[] = {3};
  CHECK(ein::detail::runtime_spec("iij->ji", one, 1).single());
  CHECK(!ein::detail::runtime_spec("ijk->i", one, 1).single());
  // The ranks are part of the key: "...ij,jk->...ik" binds differently for a rank-3 A.
  const int batched[] = {3, 2};
  const auto broadcast = ein::detail::runtime_spec("...ij,jk->...ik", batched, 2);
  const auto plain = ein::detail::runtime_spec("...ij,jk->...ik", ranks, 2);
  CHECK(&broadcast.bound() != &plain.bound());
  CHECK(broadcast.bound().output.rank == 3);
  CHECK(plain.bound().output.rank == 2);
  // A bad spec throws each time, and is not kept.
  CHECK_THROWS_WITH_AS((void)ein::detail::runtime_spec("ij,jk->iq", ranks, 2),
                       "einsum \"ij,jk->iq\": label 'q' (position 8) is in the output but in no input",
                       ein::spec_error);
  CHECK_THROWS_AS((void)ein::detail::runtime_spec("ij,jk->iq", ranks, 2), ein::spec_error);
}

TEST_CASE("the cache of run-time specs stays bounded, and an evicted spec outlives the expressions holding it") {
  const auto a = random_tensor<double>(Extents<2>{3, 4}, 41);
  const auto b = random_tensor<double>(Extents<2>{4, 5}, 42);
  const auto held = ein::einsum("ij,jk->ik", a, b);
  const int ranks[] = {2, 2};
  for (int i = 0; i < 4 * ein::detail::runtime_spec_cache_capacity; ++i) {
    // Distinct texts of one spec (a user generating specs): every one is a miss.
    (void)ein::detail::runtime_spec("ij,jk->ik" + std::string(static_cast<std::size_t>(i + 1), ' '), ranks, 2);
    REQUIRE(ein::detail::runtime_spec_cache_size() <= ein::detail::runtime_spec_cache_capacity);
  }
  CHECK(ein::detail::runtime_spec_cache_size() == ein::detail::runtime_spec_cache_capacity);
  const Tensor<double, 2> c = held;  // its entry was evicted long ago
  check_against_reference<double>("ij,jk->ik", c.view(), a, b);
}

TEST_CASE_TEMPLATE("the run-time entry point gives the compile-time entry point's results", T, float, double) {
  const auto a = random_tensor<T>(Extents<2>{5, 7}, 51);
  const auto b = random_tensor<T>(Extents<2>{7, 3}, 52);
  const auto sq = random_tensor<T>(Extents<2>{4, 4}, 53);
  const auto x = random_tensor<T>(Extents<3>{2, 5, 7}, 54);
  const auto y = random_tensor<T>(Extents<3>{2, 7, 3}, 55);
  const auto v = random_tensor<T>(Extents<1>{7}, 56);

  SUBCASE("dense GEMM-shaped and batched") {
    check_same<T, 2>(ein::einsum("ij,jk->ik", a, b), ein::einsum<"ij,jk->ik">(a, b));
    check_same<T, 2>(ein::einsum("ij,jk->ik", sq, sq), ein::einsum<"ij,jk->ik">(sq, sq));
    check_same<T, 2>(ein::einsum("ij,kj->ik", a, a), ein::einsum<"ij,kj->ik">(a, a));
    check_same<T, 3>(ein::einsum("bij,bjk->bik", x, y), ein::einsum<"bij,bjk->bik">(x, y));
    check_same<T, 3>(ein::einsum("bij,bjk->bki", x, y), ein::einsum<"bij,bjk->bki">(x, y));
    check_same<T, 1>(ein::einsum("ij,j->i", a, v), ein::einsum<"ij,j->i">(a, v));
    check_same<T, 0>(ein::einsum("ij,ij->", a, a), ein::einsum<"ij,ij->">(a, a));
    check_against_reference<T>("bij,bjk->bik", Tensor<T, 3>(ein::einsum("bij,bjk->bik", x, y)).view(), x, y);
  }
  SUBCASE("strided, reversed and broadcast operands") {
    // A transposed view (column-major), B read backwards along both axes, a broadcast row.
    const TensorView<const T, 2> at(a.data(), Extents<2>{7, 5}, {1, 7});
    const TensorView<const T, 2> reversed(b.data() + b.size() - 1, Extents<2>{7, 3}, {-3, -1});
    const TensorView<const T, 2> rows(v.data(), Extents<2>{5, 7}, {0, 1});
    check_same<T, 2>(ein::einsum("ji,jk->ik", at, b), ein::einsum<"ji,jk->ik">(at, b));
    check_same<T, 2>(ein::einsum("ij,jk->ik", a, reversed), ein::einsum<"ij,jk->ik">(a, reversed));
    check_same<T, 2>(ein::einsum("ij,jk->ik", rows, b), ein::einsum<"ij,jk->ik">(rows, b));
    check_against_reference<T>("ij,jk->ik", Tensor<T, 2>(ein::einsum("ij,jk->ik", rows, reversed)).view(), rows,
                               reversed);
    // Into a strided destination, scaled and accumulated: dst = 2 * AB + 3 * dst, dst a transposed view.
    Tensor<T, 2> ct({3, 5}), rt({3, 5});
    ct.fill(T(1));
    rt.fill(T(1));
    const TensorView<T, 2> ct_t(ct.data(), Extents<2>{5, 3}, {1, 5});
    const TensorView<T, 2> rt_t(rt.data(), Extents<2>{5, 3}, {1, 5});
    ein::einsum<"ij,jk->ik">(a, b).evaluate_into(ct_t, T(2), T(3));
    ein::einsum("ij,jk->ik", a, b).evaluate_into(rt_t, T(2), T(3));
    check_same(rt, ct);
    check_same<T, 2>(T(2) * ein::einsum("ij,jk->ik", a, b), T(2) * ein::einsum<"ij,jk->ik">(a, b));
  }
  SUBCASE("one operand: copies, diagonals, permutations") {
    const auto d = random_tensor<T>(Extents<3>{4, 4, 3}, 57);
    check_same<T, 2>(ein::einsum("iij->ji", d), ein::einsum<"iij->ji">(d));
    check_same<T, 2>(ein::einsum("ij->ji", a), ein::einsum<"ij->ji">(a));
    check_same<T, 1>(ein::einsum("ii->i", sq), ein::einsum<"ii->i">(sq));
    check_same<T, 1>(ein::einsum("ij->i", a), ein::einsum<"ij->i">(a));
  }
  SUBCASE("an output that aliases an operand") {
    auto c = sq;
    const Tensor<T, 2> expected = ein::einsum<"ij,jk->ik">(c, sq);
    c = ein::einsum("ij,jk->ik", c, sq);
    check_same(c, expected);
    auto d = sq;  // d += d sq: through a temporary, as for a compile-time spec
    Tensor<T, 2> expected_sum = sq;
    expected_sum += ein::einsum<"ij,jk->ik">(sq, sq);
    d += ein::einsum("ij,jk->ik", d, sq);
    check_same(d, expected_sum);
  }
  SUBCASE("+= and -= into a tensor and a view, the rank checked") {
    const Tensor<T, 2> ab = ein::einsum<"ij,jk->ik">(a, b);
    Tensor<T, 2> acc = ab;
    acc += ein::einsum("ij,jk->ik", a, b);         // 2 AB
    acc -= T(3) * ein::einsum("ij,jk->ik", a, b);  // -AB
    acc.view() += T(2) * ein::einsum("ij,jk->ik", a, b);  // AB
    check_same(acc, ab);
    const TensorView<T, 2> transposed(acc.data(), Extents<2>{3, 5}, {1, 3});
    transposed -= ein::einsum("ij,jk->ki", a, b);  // 0, through a strided view
    for (index_t k = 0; k < acc.size(); ++k) CHECK(acc.data()[k] == doctest::Approx(0).scale(1));
    CHECK_THROWS_AS(acc += ein::einsum("ij,jk->ijk", a, b), ein::spec_error);  // rank 3 into rank 2
    CHECK_THROWS_AS(acc.view() -= ein::einsum("ij,jk->i", a, b), ein::spec_error);
    Tensor<T, 2> wrong(5, 4);
    CHECK_THROWS_AS(wrong += ein::einsum("ij,jk->ik", a, b), ein::shape_error);  // 5 x 3 into 5 x 4
  }
  SUBCASE("extents that disagree: the same exception, word for word") {
    const Tensor<T, 2> wrong(6, 3);
    const auto ct_error = message_of([&] { (void)ein::einsum<"ij,jk->ik">(a, wrong).eval(); });
    CHECK(ct_error == "einsum \"ij,jk->ik\": label 'j' is 7 in operand 0 and 6 in operand 1");
    CHECK(message_of([&] { (void)ein::einsum("ij,jk->ik", a, wrong).template eval<2>(); }) == ct_error);
    const Tensor<T, 2> diag(3, 4);
    CHECK(message_of([&] { (void)ein::einsum("ii->i", diag).template eval<1>(); }) ==
          message_of([&] { (void)ein::einsum<"ii->i">(diag).eval(); }));
    Tensor<T, 2> dst(5, 4);  // the result is 5 x 3
    const auto dst_error = message_of([&] { ein::einsum<"ij,jk->ik">(a, b).evaluate_into(dst.view(), T(1), T(0)); });
    CHECK(dst_error == "einsum \"ij,jk->ik\": destination axis 1 is 4, the result's is 3");
    CHECK(message_of([&] { ein::einsum("ij,jk->ik", a, b).evaluate_into(dst.view(), T(1), T(0)); }) == dst_error);
  }
}

TEST_CASE("two threads evaluating run-time specs at once, each through its own cache") {
  const auto a = random_tensor<float>(Extents<2>{6, 5}, 61);
  const auto b = random_tensor<float>(Extents<2>{5, 4}, 62);
  const auto bt = random_tensor<float>(Extents<2>{4, 5}, 63);
  const Tensor<float, 2> ab = ein::einsum<"ij,jk->ik">(a, b);
  const Tensor<float, 2> abt = ein::einsum<"ij,kj->ik">(a, bt);
  bool ok[2] = {true, true};
  const auto work = [&](int t) {
    Tensor<float, 2> c(6, 4);
    for (int i = 0; i < 2000; ++i) {
      // Different specs per thread, and now and then a fresh text that evicts an entry.
      if (t == 0) c = ein::einsum("ij,jk->ik", a, b);
      else c = ein::einsum("ij,kj->ik", a, bt);
      if (i % 50 == 0) (void)ein::einsum("ij,jk->ik" + std::string(static_cast<std::size_t>(i / 50 + 1), ' '), a, b);
      const Tensor<float, 2>& want = t == 0 ? ab : abt;
      for (index_t k = 0; k < c.size(); ++k) ok[t] = ok[t] && c.data()[k] == want.data()[k];
    }
  };
  std::thread first(work, 0), second(work, 1);
  first.join();
  second.join();
  CHECK(ok[0]);
  CHECK(ok[1]);
}
