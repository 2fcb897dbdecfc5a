// PyTorch's own einsum test cases (test_linalg.py: test_einsum and
// test_einsum_corner_cases), run through ein's compile-time and run-time entry
// points and checked against the oracle, each also with extents set to 1.
#include "ein/backend/reference/naive.hpp"
#include "ein/ein.hpp"

#include <doctest/doctest.h>

#include <array>
#include <string>
#include <tuple>
#include <utility>
#include <vector>

#include "check_support.hpp"
#include "random_case.hpp"

namespace {

using ein::index_t;
using ein::reference::Array;

template <class... E>
std::array<index_t, sizeof...(E)> ext(E... extents) {
  return {static_cast<index_t>(extents)...};
}

std::string show(std::string_view spec, const std::vector<std::vector<index_t>>& extents) {
  std::string out = "spec \"" + std::string(spec) + "\" extents";
  for (const auto& e : extents) {
    out += " (";
    for (std::size_t d = 0; d < e.size(); ++d) {
      if (d) out += ',';
      out += std::to_string(e[d]);
    }
    out += ")";
  }
  return out;
}

/// What ein gave: a result, or the exception it threw.
template <class T>
struct Got {
  Array<T> value;
  std::string error;  // empty when ein computed a result
  bool shape_error = false;
};

template <class T, class F>
Got<T> attempt(F&& f) {
  Got<T> got;
  try {
    got.value = f();
  } catch (const ein::shape_error& e) {
    got.error = std::string("ein::shape_error: ") + e.what();
    got.shape_error = true;
  } catch (const std::exception& e) {
    got.error = std::string("exception: ") + e.what();
  }
  return got;
}

template <class T>
void expect_same(const char* entry, const std::string& where, const Got<T>& got, bool oracle_ok,
                 const ein::reference::Result<T>& want, std::size_t factors) {
  INFO(entry << " entry point, " << where);
  if (!oracle_ok) {  // the variant has a diagonal of unequal extents: ein must say so
    CHECK_MESSAGE(got.shape_error, "the oracle rejects it; ein gives " << (got.error.empty() ? "a result" : got.error));
    return;
  }
  REQUIRE_MESSAGE(got.error.empty(), got.error);
  const ein_test::Comparison c = ein_test::compare(got.value, want, factors);
  CHECK_MESSAGE(c.agree, c.why);
}

/// ein's two entry points on the same operands: ein::einsum<S> on tensors, and
/// ein::einsum(S, ...) on views in the given layout (see ein_test::lay_out).
template <class T>
using RunBoth = std::pair<Got<T>, Got<T>> (*)(const std::vector<Array<T>>&, int layout);

template <ein::fixed_string S, class T, std::size_t... R>
std::pair<Got<T>, Got<T>> run_both(const std::vector<Array<T>>& arrays, int layout) {
  constexpr std::size_t O = decltype(ein::einsum<S>(std::declval<const ein::Tensor<T, R>&>()...))::rank;
  return [&]<std::size_t... K>(std::index_sequence<K...>) {
    const std::tuple tensors{ein::reference::to_tensor<R>(arrays[K])...};
    Got<T> compile_time =
        attempt<T>([&] { return ein::reference::to_array(ein::einsum<S>(std::get<K>(tensors)...).eval()); });
    std::array<std::vector<T>, sizeof...(R) + 1> buffers;
    const std::tuple views{ein_test::lay_out<R>(arrays[K], layout, buffers[K])...};
    Got<T> run_time = attempt<T>(
        [&] { return ein::reference::to_array(ein::einsum(S.view(), std::get<K>(views)...).template eval<O>()); });
    return std::pair{std::move(compile_time), std::move(run_time)};
  }(std::index_sequence_for<decltype(R)...>{});
}

/// Checks a spec on operands of these extents, then on variants with one axis,
/// and with every axis, of extent 1, against the oracle.
template <class T>
void check_variants(std::string_view spec, const std::vector<std::vector<index_t>>& base, RunBoth<T> run) {
  std::vector<std::vector<std::vector<index_t>>> variants{base};
  for (std::size_t k = 0; k < base.size(); ++k)
    for (std::size_t d = 0; d < base[k].size(); ++d)
      if (base[k][d] != 1) {
        variants.push_back(base);
        variants.back()[k][d] = 1;
      }
  if (variants.size() > 2) {
    variants.push_back(base);
    for (auto& e : variants.back())
      for (index_t& x : e) x = 1;
  }
  ein_test::Rng rng{0x5eed + spec.size()};
  for (const auto& variant : variants) {
    std::vector<Array<T>> arrays;
    for (const auto& e : variant) {
      arrays.emplace_back(e);
      for (T& x : arrays.back().values) x = static_cast<T>(rng.uniform(-1, 1));
    }
    bool oracle_ok = true;
    ein::reference::Result<T> want;
    try {
      want = ein::reference::einsum_with_magnitude(spec, arrays);
    } catch (const std::invalid_argument&) {
      oracle_ok = false;
    }
    const auto [compile_time, run_time] = run(arrays, rng.below(4));
    const std::string where = show(spec, variant);
    expect_same("compile-time", where, compile_time, oracle_ok, want, base.size());
    expect_same("run-time", where, run_time, oracle_ok, want, base.size());
  }
}

/// Checks spec S, through both entry points, on operands of these extents and variants of them.
template <ein::fixed_string S, class T, std::size_t... R>
void check_row(const std::array<index_t, R>&... extents) {
  check_variants<T>(S.view(), {std::vector<index_t>(extents.begin(), extents.end())...}, &run_both<S, T, R...>);
}

}  // namespace

TEST_CASE_TEMPLATE("table: PyTorch's test_einsum cases agree with the oracle", T, float, double) {
  // Vector operations
  check_row<"i->", T>(ext(5));                                // sum
  check_row<"i,i->", T>(ext(5), ext(5));                      // dot
  check_row<"i,i->i", T>(ext(5), ext(5));                     // element-wise product
  check_row<"i,j->ij", T>(ext(5), ext(7));                    // outer product
  // Matrix operations
  check_row<"ij->ji", T>(ext(3, 5));                          // transpose
  check_row<"ij->j", T>(ext(3, 5));                           // row sum
  check_row<"ij->i", T>(ext(3, 5));                           // column sum
  check_row<"ij,ij->ij", T>(ext(3, 5), ext(3, 5));            // element-wise product
  check_row<"ij,j->i", T>(ext(3, 5), ext(5));                 // matrix-vector product
  check_row<"ij,kj->ik", T>(ext(3, 5), ext(2, 5));            // matrix product
  check_row<"ij,Ab->ijAb", T>(ext(3, 5), ext(7, 9));          // matrix outer product
  // Tensor operations
  check_row<"Aij,Ajk->Aik", T>(ext(2, 3, 5), ext(2, 5, 7));   // batch matrix product
  check_row<"aij,ajk->aik", T>(ext(2, 3, 5), ext(2, 5, 7));
  check_row<"ijk,jk->i", T>(ext(2, 3, 5), ext(3, 5));         // tensor-matrix contraction
  check_row<"aij,jk->aik", T>(ext(2, 5, 7), ext(7, 9));
  check_row<"abCd,dFg->abCFg", T>(ext(2, 3, 3, 5), ext(5, 4, 6));
  check_row<"ijk,jk->ik", T>(ext(2, 3, 5), ext(3, 5));
  check_row<"ijk,jk->ij", T>(ext(2, 3, 5), ext(3, 5));
  check_row<"ijk,ik->j", T>(ext(2, 3, 5), ext(2, 5));         // not contiguous
  check_row<"ijk,ik->jk", T>(ext(2, 3, 5), ext(2, 5));
  // Diagonals
  check_row<"ii", T>(ext(4, 4));                              // trace
  check_row<"ii->i", T>(ext(4, 4));                           // diagonal
  check_row<"iji->j", T>(ext(2, 3, 2));                       // trace not on contiguous axes
  check_row<"ngrg...->nrg...", T>(ext(2, 1, 3, 1, 4));
  // Ellipsis
  check_row<"i...->...", T>(ext(4, 4));
  check_row<"ki,...k->i...", T>(ext(5, 3), ext(2, 5));
  check_row<"k...,jk->...", T>(ext(5, 3), ext(2, 5));
  check_row<"...ik, ...j -> ij", T>(ext(2, 3, 5), ext(5));
  check_row<"Bik,k...j->i...j", T>(ext(2, 3, 5), ext(5, 3));
  check_row<"i...j, ij... -> ...ij", T>(ext(2, 3, 5), ext(2, 5, 2, 3));
  // torch.bilinear, and on strided operands (here: whatever layout the run-time check draws)
  check_row<"bn,anm,bm->ba", T>(ext(5, 10), ext(15, 10, 20), ext(5, 20));
  check_row<"bn,Anm,bm->bA", T>(ext(5, 5), ext(15, 5, 10), ext(5, 10));
  // More operands
  check_row<"i,i,i->", T>(ext(4), ext(4), ext(4));
  check_row<"ab,bc,cd,de->ae", T>(ext(2, 3), ext(3, 4), ext(4, 5), ext(5, 2));
}

// In double only: these are small, and each row costs compile time.
TEST_CASE("table: PyTorch's test_einsum_corner_cases agree with the oracle") {
  using T = double;
  // Spec variations (the one-term empty spec " " is checked below)
  check_row<" -> ", T>(ext());
  check_row<" , ", T>(ext(), ext());
  check_row<" , , ", T>(ext(), ext(), ext());
  check_row<" , -> ", T>(ext(), ext());
  check_row<" i ", T>(ext(1));
  check_row<" i -> ", T>(ext(1));
  check_row<" i -> i ", T>(ext(1));
  check_row<" i , i ", T>(ext(2), ext(2));
  check_row<" i , i -> i ", T>(ext(2), ext(2));
  // Zero-size extents
  check_row<"i", T>(ext(0));
  check_row<" i j -> j", T>(ext(2, 0));
  check_row<"ij->i", T>(ext(2, 0));
  check_row<" i j k  ,  k  -> i j ", T>(ext(1, 2, 0), ext(0));
  // Broadcasting
  check_row<"i,j", T>(ext(1), ext(2));
  check_row<"i,ij->ij", T>(ext(2), ext(2, 3));
  // Ellipsis broadcasting
  check_row<"...", T>(ext());
  check_row<"...->", T>(ext());
  check_row<"...->...", T>(ext());
  check_row<"...", T>(ext(1));
  check_row<"...->", T>(ext(1));
  check_row<"z...->z", T>(ext(1));
  check_row<"Z...->...Z", T>(ext(1));
  check_row<"...a->", T>(ext(2, 1));
  check_row<"a...b->ab", T>(ext(2, 2, 1));
}

TEST_CASE("table: an empty spec is one rank-0 term, as in PyTorch (einsum(\" \", x)) and NumPy (einsum(\"\", 3))") {
  const ein::Tensor<double, 0> s({}, {2.5});
  const Array<double> want = ein::reference::einsum(" ", ein::reference::to_array(s));
  CHECK(want.values.at(0) == 2.5);
  for (const char* spec : {"", " "}) {
    INFO("spec \"" << std::string(spec) << "\"");
    const Got<double> got = attempt<double>([&] { return ein::reference::to_array(ein::einsum(spec, s).eval<0>()); });
    REQUIRE_MESSAGE(got.error.empty(), got.error);
    CHECK(got.value.values.at(0) == 2.5);
  }
}
