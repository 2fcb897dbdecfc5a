// The per-thread memos of prepared loop nests (lower/nest_memo.hpp) and of recorded
// programs (backend/host_program.hpp): a call whose shapes repeat runs the nest
// prepared for them, or replays the backend calls its steps made, with its own
// data, alpha and beta; a call that differs in any label, extent or stride gets its
// own; calls that throw, and calls with more axes than a key holds, are not kept;
// a program recorded on a tensor given twice replays only where it is again, one
// recorded on overlapping operands is not kept. Every result is checked against the naive reference. Each case runs
// on a fresh thread, whose memos start empty.
#include <cmath>
#include <string>
#include <thread>

#include "engine_support.hpp"
#include "ein/backend/host_program.hpp"
#include "ein/lower/nest_memo.hpp"

using ein::Extents;
using ein::index_t;
using ein::Tensor;
using ein::TensorView;
using ein::test::check_against_reference;
using ein::test::message_of;
using ein::test::random_tensor;

namespace {

/// Whether this thread's memo holds a nest for the compile-time spec S evaluated
/// on `ins` into `out` (the key execute_on builds for the call).
template <ein::fixed_string S, class T, std::size_t RO, std::size_t... R>
bool memoized(const TensorView<T, RO>& out, const TensorView<const T, R>&... ins) {
  using Spec = ein::detail::StaticSpec<S, static_cast<int>(R)...>;
  std::size_t k = 0;
  const std::array<ein::detail::Strided<const T>, sizeof...(R)> ops{
      ein::detail::labelled(ins, Spec::bound().inputs[k++])...};
  const auto dest = ein::detail::labelled_destination(out, Spec::bound().output);
  ein::detail::CallKey key;
  return ein::detail::call_key(key, ops.data(), static_cast<int>(ops.size()), dest, true) &&
         ein::detail::nest_memo().find(key) != nullptr;
}

/// Runs `body` on a thread of its own (an empty memo); rethrows nothing, so
/// `body`'s checks are doctest's own (they are thread-safe).
template <class Body>
void on_fresh_thread(Body body) {
  std::thread t(body);
  t.join();
}

template <class T>
void repeated_calls() {
  // (Rows of 100: a short row summed over a strided run takes the product path, no nest.)
  const Tensor<T, 2> a = random_tensor<T>(Extents<2>{7, 100}, 1), b = random_tensor<T>(Extents<2>{7, 100}, 2);
  const Tensor<T, 2> a2 = random_tensor<T>(Extents<2>{7, 100}, 3), b2 = random_tensor<T>(Extents<2>{7, 100}, 4);
  const Tensor<T, 1> x = random_tensor<T>(Extents<1>{100}, 5), x2 = random_tensor<T>(Extents<1>{100}, 6);
  Tensor<T, 1> c(100);
  CHECK_FALSE(memoized<"ij,ij->j">(c.view(), a.view(), b.view()));
  c = ein::einsum<"ij,ij->j">(a, b);
  check_against_reference<T>("ij,ij->j", c, a, b);
  CHECK(memoized<"ij,ij->j">(c.view(), a.view(), b.view()));
  // The same shapes, other data, alpha and beta: the kept nest, this call's operands.
  const Tensor<T, 1> before = c;
  c.view().assign(T(2) * ein::einsum<"ij,ij->j">(a2, b2), T(1), T(-0.5));
  const auto want = ein::reference::einsum<T>("ij,ij->j", ein::reference::to_array(a2), ein::reference::to_array(b2));
  index_t bad = -1;
  for (index_t i = 0; i < c.size() && bad < 0; ++i) {
    const double expected = 2.0 * double(want.values[static_cast<std::size_t>(i)]) - 0.5 * double(before.data()[i]);
    if (std::abs(double(c.data()[i]) - expected) > 1e-5 * (1.0 + std::abs(expected))) bad = i;
  }
  CHECK(bad == -1);
  // A broadcast product, a row sum, a GEMV and a dot, each twice with other data.
  for (int round = 0; round < 2; ++round) {
    const Tensor<T, 2>& p = round ? a2 : a;
    const Tensor<T, 1>& v = round ? x2 : x;
    Tensor<T, 2> scaled = ein::einsum<"ij,j->ij">(p, v);
    check_against_reference<T>("ij,j->ij", scaled, p, v);
    Tensor<T, 1> sums = ein::einsum<"ij->j">(p);
    check_against_reference<T>("ij->j", sums, p);
    Tensor<T, 1> product = ein::einsum<"ij,j->i">(p, v);
    check_against_reference<T>("ij,j->i", product, p, v);
    Tensor<T, 0> dot = ein::einsum<"ij,ij->">(p, round ? b2 : b);
    check_against_reference<T>("ij,ij->", dot, p, round ? b2 : b);
    Tensor<T, 2> flipped = ein::einsum<"ij->ji">(p);  // (the single path)
    check_against_reference<T>("ij->ji", flipped, p);
    Tensor<T, 2> fused = ein::einsum<"ij,ij,j->ij">(p, round ? b2 : b, v);  // (three operands, one nest)
    check_against_reference<T>("ij,ij,j->ij", fused, p, round ? b2 : b, v);
    Tensor<T, 1> runtime = ein::einsum("ij,ij->j", p, round ? b2 : b);  // (the run-time spec: the same key)
    check_against_reference<T>("ij,ij->j", runtime, p, round ? b2 : b);
  }
  CHECK(memoized<"ij->j">(Tensor<T, 1>(100).view(), a.view()));
}

TEST_CASE("a repeated shape runs its memoized nest with each call's data, alpha and beta") {
  on_fresh_thread(repeated_calls<float>);
  on_fresh_thread(repeated_calls<double>);
}

/// Calls on this thread that replayed a recorded program.
std::uint64_t replays() { return ein::detail::host_program_replays; }

/// dest = 2 * einsum(S, ins) - 0.5 * dest, checked against the reference.
template <ein::fixed_string S, class T, std::size_t RO, std::size_t... R>
void check_scaled(Tensor<T, RO>& dest, const Tensor<T, R>&... ins) {
  const Tensor<T, RO> before = dest;
  dest.view().assign(T(2) * ein::einsum<S>(ins...), T(1), T(-0.5));
  const auto want = ein::reference::einsum<T>(S.view(), ein::reference::to_array(ins)...);
  index_t bad = -1;
  for (index_t i = 0; i < dest.size() && bad < 0; ++i) {
    const double expected = 2.0 * double(want.values[static_cast<std::size_t>(i)]) - 0.5 * double(before.data()[i]);
    if (std::abs(double(dest.data()[i]) - expected) > 1e-4 * (1.0 + std::abs(expected))) bad = i;
  }
  CHECK_MESSAGE(bad == -1, S.view() << ": element " << bad);
}

template <class T>
void replayed_programs() {
  // A chain of GEMM steps with a temporary, Tucker's mode products (three GEMM steps,
  // two temporaries), a batched product whose operand is copied permuted first, and
  // a GEMM step after a loop step: each called twice per data set, other data, alpha and beta.
  for (int round = 0; round < 3; ++round) {
    const unsigned seed = 10u * unsigned(round);
    const Tensor<T, 2> a = random_tensor<T>(Extents<2>{5, 6}, seed + 1), b = random_tensor<T>(Extents<2>{6, 7}, seed + 2),
                       c = random_tensor<T>(Extents<2>{7, 3}, seed + 3);
    const std::uint64_t before = replays();
    Tensor<T, 2> chain = ein::einsum<"ij,jk,kl->il">(a, b, c);
    check_against_reference<T>("ij,jk,kl->il", chain, a, b, c);
    CHECK(replays() == before + (round > 0 ? 1 : 0));
    check_scaled<"ij,jk,kl->il">(chain, a, b, c);
    CHECK(replays() == before + (round > 0 ? 2 : 0));

    const Tensor<T, 3> x = random_tensor<T>(Extents<3>{4, 5, 6}, seed + 4);
    const Tensor<T, 2> u = random_tensor<T>(Extents<2>{3, 4}, seed + 5), v = random_tensor<T>(Extents<2>{2, 5}, seed + 6),
                       w = random_tensor<T>(Extents<2>{3, 6}, seed + 7);
    Tensor<T, 3> tucker = ein::einsum<"ijk,ai,bj,ck->abc">(x, u, v, w);
    check_against_reference<T>("ijk,ai,bj,ck->abc", tucker, x, u, v, w);
    check_scaled<"ijk,ai,bj,ck->abc">(tucker, x, u, v, w);

    const Tensor<T, 3> p = random_tensor<T>(Extents<3>{3, 4, 5}, seed + 8), q = random_tensor<T>(Extents<3>{5, 3, 6}, seed + 9);
    Tensor<T, 3> batched = ein::einsum<"bij,jbk->kib">(p, q);
    check_against_reference<T>("bij,jbk->kib", batched, p, q);
    check_scaled<"bij,jbk->kib">(batched, p, q);

    const Tensor<T, 3> r = random_tensor<T>(Extents<3>{4, 5, 6}, seed + 10);
    const Tensor<T, 1> s = random_tensor<T>(Extents<1>{6}, seed + 11);
    const Tensor<T, 2> m = random_tensor<T>(Extents<2>{5, 3}, seed + 12);
    Tensor<T, 2> mixed = ein::einsum<"ijk,k,jl->il">(r, s, m);
    check_against_reference<T>("ijk,k,jl->il", mixed, r, s, m);
    check_scaled<"ijk,k,jl->il">(mixed, r, s, m);
  }
  CHECK(replays() >= 2 * 4 * 2);
}

TEST_CASE("a repeated shape of several steps replays its program with each call's data, alpha and beta") {
  on_fresh_thread(replayed_programs<float>);
  on_fresh_thread(replayed_programs<double>);
}

TEST_CASE("a program recorded on a tensor given twice replays only where it is given twice again") {
  on_fresh_thread([] {
    const Tensor<double, 2> a = random_tensor<double>(Extents<2>{6, 6}, 31), b = random_tensor<double>(Extents<2>{6, 6}, 32),
                            c = random_tensor<double>(Extents<2>{6, 6}, 33);
    // Recorded on (a, b, a): the third operand's pointers are the first's.
    Tensor<double, 2> out = ein::einsum<"ij,jk,kl->il">(a, b, a);
    check_against_reference<double>("ij,jk,kl->il", out, a, b, a);
    std::uint64_t before = replays();
    out = ein::einsum<"ij,jk,kl->il">(b, c, b);  // (given twice again: replayed)
    check_against_reference<double>("ij,jk,kl->il", out, b, c, b);
    CHECK(replays() == before + 1);
    out = ein::einsum<"ij,jk,kl->il">(a, b, c);  // (three tensors: recorded anew)
    check_against_reference<double>("ij,jk,kl->il", out, a, b, c);
    CHECK(replays() == before + 1);
    // Recorded on three tensors, every pointer told apart: replayed whatever the operands share.
    out = ein::einsum<"ij,jk,kl->il">(c, a, b);
    check_against_reference<double>("ij,jk,kl->il", out, c, a, b);
    out = ein::einsum<"ij,jk,kl->il">(c, c, c);
    check_against_reference<double>("ij,jk,kl->il", out, c, c, c);
    CHECK(replays() == before + 3);
    // Operands that overlap without starting at the same element: never recorded.
    Tensor<double, 1> storage = random_tensor<double>(Extents<1>{40}, 34);
    const TensorView<const double, 2> first(storage.data(), Extents<2>{5, 5}, {5, 1});
    const TensorView<const double, 2> shifted(storage.data() + 3, Extents<2>{5, 5}, {5, 1});
    const Tensor<double, 2> d = random_tensor<double>(Extents<2>{5, 5}, 35);
    before = replays();
    Tensor<double, 2> small(5, 5);
    for (int i = 0; i < 2; ++i) {
      small = ein::einsum<"ij,jk,kl->il">(first, shifted, d);
      check_against_reference<double>("ij,jk,kl->il", small, first, shifted, d);
    }
    CHECK(replays() == before);
    // Other strides (a transposed view): a program of its own.
    const TensorView<const double, 2> at(a.data(), Extents<2>{6, 6}, {1, 6});
    for (int i = 0; i < 2; ++i) {
      out = ein::einsum<"ij,jk,kl->il">(at, b, c);
      check_against_reference<double>("ij,jk,kl->il", out, at, b, c);
    }
    CHECK(replays() == before + 1);
  });
}

TEST_CASE("a call that differs in labels or strides alone gets a nest of its own") {
  on_fresh_thread([] {
    const Tensor<double, 2> a = random_tensor<double>(Extents<2>{9, 9}, 7), b = random_tensor<double>(Extents<2>{9, 9}, 8);
    Tensor<double, 1> c(9);
    // (Products summed down columns: "ij,ij->ij" and "ij,ij->i" take the product path,
    // lower/static_product.hpp, and no nest.)
    // Same extents and strides; "ji" labels b's axes the other way round.
    c = ein::einsum<"ij,ij->j">(a, b);
    check_against_reference<double>("ij,ij->j", c, a, b);
    c = ein::einsum<"ij,ji->j">(a, b);
    check_against_reference<double>("ij,ji->j", c, a, b);
    // Same labels and extents; b read through a transposed view.
    const TensorView<const double, 2> bt(b.data(), Extents<2>{9, 9}, {1, 9});
    c = ein::einsum<"ij,ij->j">(a, bt);
    check_against_reference<double>("ij,ij->j", c, a, bt);
    // A destination with other strides.
    Tensor<double, 1> wide(18);
    const TensorView<double, 1> every_other(wide.data(), Extents<1>{9}, {2});
    every_other = ein::einsum<"ij,ij->j">(a, b);
    check_against_reference<double>("ij,ij->j", every_other, a, b);
    c = ein::einsum<"ij,ij->j">(a, b);
    check_against_reference<double>("ij,ij->j", c, a, b);
  });
}

TEST_CASE("more shapes than the memo holds: each evicted nest is prepared again") {
  on_fresh_thread([] {
    for (int round = 0; round < 3; ++round)
      for (index_t n = 1; n <= 12; ++n) {
        const Tensor<float, 2> a = random_tensor<float>(Extents<2>{n, n + 2}, unsigned(n));
        const Tensor<float, 1> x = random_tensor<float>(Extents<1>{n + 2}, unsigned(n + 100));
        Tensor<float, 1> y = ein::einsum<"ij,j->i">(a, x);
        check_against_reference<float>("ij,j->i", y, a, x);
      }
  });
}

TEST_CASE("a sum over an empty axis scales the destination by beta, memoized too") {
  on_fresh_thread([] {
    // (A diagonal: the product path, which takes any empty sum of labels that
    // repeat nowhere, leaves it to the nest.)
    const Tensor<double, 3> a(Extents<3>{0, 0, 5});
    for (double beta : {0.0, 3.0, -1.0}) {
      Tensor<double, 1> out = random_tensor<double>(Extents<1>{5}, 11);
      const Tensor<double, 1> before = out;
      out.view().assign(ein::einsum<"iij->j">(a), 1.0, beta);
      for (index_t i = 0; i < 5; ++i) CHECK(out(i) == beta * before(i));
    }
    CHECK(memoized<"iij->j">(Tensor<double, 1>(5).view(), a.view()));
  });
}

TEST_CASE("calls that throw are not memoized: the same call throws again") {
  on_fresh_thread([] {
    const Tensor<float, 2> a(3, 4), b(3, 5);
    Tensor<float, 2> c(3, 4);
    const std::string first = message_of([&] { c = ein::einsum<"ij,ij->ij">(a, b); });
    CHECK(first == "einsum \"ij,ij->ij\": label 'j' is 4 in operand 0 and 5 in operand 1");
    CHECK(message_of([&] { c = ein::einsum<"ij,ij->ij">(a, b); }) == first);
    // A destination of the wrong extents, through evaluate_into: checked on every call.
    Tensor<float, 2> wrong(3, 5);
    const Tensor<float, 2> a2(3, 4);
    for (int i = 0; i < 2; ++i)
      CHECK(message_of([&] { ein::einsum<"ij,ij->ij">(a, a2).evaluate_into(wrong.view(), 1.0f, 0.0f); }) ==
            "einsum \"ij,ij->ij\": destination axis 1 is 5, the result's is 4");
    // A call that sums over a size-1 destination axis (execute without check_dest, as a
    // broadcast operand's gradient runs) keeps a nest that no checking call may use.
    using Spec = ein::detail::StaticSpec<"ij,ij->ij", 2, 2>;
    const std::array<ein::detail::Strided<const float>, 2> ops{
        ein::detail::labelled(a.view(), Spec::bound().inputs[0]), ein::detail::labelled(a2.view(), Spec::bound().inputs[1])};
    Tensor<float, 2> narrow(3, 1);
    ein::detail::execute<float>(Spec::bound(), "ij,ij->ij", ops.data(), 2,
                                ein::detail::labelled_destination(narrow.view(), Spec::bound().output), 1.0f, 0.0f);
    for (int i = 0; i < 2; ++i)
      CHECK(message_of([&] { ein::einsum<"ij,ij->ij">(a, a2).evaluate_into(narrow.view(), 1.0f, 0.0f); }) ==
            "einsum \"ij,ij->ij\": destination axis 1 is 1, the result's is 4");
    // The same destination with overlapping elements (a zero stride).
    const TensorView<float, 2> overlapping(c.data(), Extents<2>{3, 4}, {0, 1});
    for (int i = 0; i < 2; ++i)
      CHECK(message_of([&] { ein::einsum<"ij,ij->ij">(a, a2).evaluate_into(overlapping, 1.0f, 0.0f); }) ==
            "einsum \"ij,ij->ij\": the destination has a zero stride on axis 0, so its elements overlap");
  });
}

TEST_CASE("a call with more axes than a key holds is evaluated without the memo") {
  on_fresh_thread([] {
    // Four operands of rank 12 and an output of rank 12: 60 axes, past CallKey::capacity.
    static_assert(60 > ein::detail::CallKey::capacity);
    const Extents<12> e{2, 1, 2, 1, 2, 1, 2, 1, 2, 1, 2, 3};
    const Tensor<double, 12> a = random_tensor<double>(e, 1), b = random_tensor<double>(e, 2),
                             c = random_tensor<double>(e, 3), d = random_tensor<double>(e, 4);
    constexpr ein::fixed_string spec = "abcdefghijkl,abcdefghijkl,abcdefghijkl,abcdefghijkl->abcdefghijkl";
    for (int round = 0; round < 2; ++round) {
      Tensor<double, 12> out = ein::einsum<spec>(a, b, c, d);
      check_against_reference<double>(spec.view(), out, a, b, c, d);
      CHECK_FALSE(memoized<spec>(out.view(), a.view(), b.view(), c.view(), d.view()));
    }
  });
}

TEST_CASE("threads keep memos of their own") {
  const Tensor<float, 2> a = random_tensor<float>(Extents<2>{64, 48}, 21), b = random_tensor<float>(Extents<2>{64, 48}, 22);
  const auto work = [&] {
    for (int i = 0; i < 50; ++i) {
      Tensor<float, 2> c = ein::einsum<"ij,ij->ij">(a, b);
      Tensor<float, 1> s = ein::einsum<"ij->j">(a);
      if (i % 10 == 0) {
        check_against_reference<float>("ij,ij->ij", c, a, b);
        check_against_reference<float>("ij->j", s, a);
      }
    }
  };
  std::thread first(work), second(work);
  first.join();
  second.join();
}

}  // namespace
