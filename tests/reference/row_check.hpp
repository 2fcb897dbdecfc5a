// check_row<"spec", T>(extents...): one spec with literal text, run through
// ein's compile-time entry point (ein::einsum<"spec">, on tensors) and its
// run-time one (ein::einsum("spec", ...), on views in a random layout), on the
// given extents and on variants with an axis of extent 1 or 0, each against the
// oracle. Shared by the table tests.
#pragma once

#include "ein/backend/reference/naive.hpp"
#include "ein/ein.hpp"

#include <doctest/doctest.h>

#include <array>
#include <map>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>
#include <vector>

#include "check_support.hpp"
#include "random_case.hpp"

namespace ein_test {

template <class... E>
std::array<index_t, sizeof...(E)> ext(E... extents) {
  return {static_cast<index_t>(extents)...};
}

inline std::string show(std::string_view spec, const std::vector<std::vector<index_t>>& extents) {
  Case c;
  c.spec = spec;
  c.extents = extents;
  return describe(c);
}

/// What ein gave: a result, or the exception it threw.
template <class T>
struct Got {
  ein::reference::Array<T> value;
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

/// Mismatches of a kind already reported to the engine's owner: each kind fails
/// twice in full, then only counts (see report_known), so that new kinds stay
/// visible. Delete a kind here once ein is fixed.
inline std::map<std::string, int>& known_mismatches() {
  static std::map<std::string, int> counts;
  return counts;
}

inline void report_known() {
  for (const auto& [kind, count] : known_mismatches())
    FAIL_CHECK(count << " mismatches of the known kind: " << kind);
  known_mismatches().clear();
}

template <class T>
void expect_same(const char* entry, const std::string& where, const Got<T>& got, bool oracle_ok,
                 const ein::reference::Result<T>& want, std::size_t factors) {
  INFO(std::string(entry) << " entry point, " << where);
  if (!oracle_ok) {  // the variant has a diagonal of unequal extents: ein must say so
    CHECK_MESSAGE(got.shape_error, "the oracle rejects it; ein gives " << (got.error.empty() ? "a result" : got.error));
    return;
  }
  REQUIRE_MESSAGE(got.error.empty(), got.error);
  const Comparison c = compare(got.value, want, factors);
  CHECK_MESSAGE(c.agree, c.why);
}

/// ein's two entry points on the same operands.
template <class T>
using RunBoth = std::pair<Got<T>, Got<T>> (*)(const std::vector<ein::reference::Array<T>>&, int layout);

template <ein::fixed_string S, class T, std::size_t... R>
std::pair<Got<T>, Got<T>> run_both(const std::vector<ein::reference::Array<T>>& arrays, int layout) {
  constexpr std::size_t O = decltype(ein::einsum<S>(std::declval<const ein::Tensor<T, R>&>()...))::rank;
  return [&]<std::size_t... K>(std::index_sequence<K...>) {
    const std::tuple tensors{ein::reference::to_tensor<R>(arrays[K])...};
    Got<T> compile_time =
        attempt<T>([&] { return ein::reference::to_array(ein::einsum<S>(std::get<K>(tensors)...).eval()); });
    std::array<std::vector<T>, sizeof...(R) + 1> buffers;
    const std::tuple views{lay_out<R>(arrays[K], layout, buffers[K])...};
    Got<T> run_time = attempt<T>(
        [&] { return ein::reference::to_array(ein::einsum(S.view(), std::get<K>(views)...).template eval<O>()); });
    return std::pair{std::move(compile_time), std::move(run_time)};
  }(std::index_sequence_for<decltype(R)...>{});
}

/// The extents, then variants: each axis of extent 1 in turn, every axis 1, and
/// each operand with its last axis 0; checked against the oracle.
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
  for (std::size_t k = 0; k < base.size(); ++k)
    if (!base[k].empty() && base[k].back() != 0) {
      variants.push_back(base);
      variants.back()[k].back() = 0;
    }
  Rng rng{0x5eed + spec.size()};
  for (const auto& variant : variants) {
    std::vector<ein::reference::Array<T>> arrays;
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
    const auto [compile_time, run_time] = run(arrays, rng.below(6));
    const std::string where = show(spec, variant);
    expect_same("compile-time", where, compile_time, oracle_ok, want, base.size());
    expect_same("run-time", where, run_time, oracle_ok, want, base.size());
  }
}

/// Checks spec S through both entry points on operands of these extents and on variants of them.
template <ein::fixed_string S, class T, std::size_t... R>
void check_row(const std::array<index_t, R>&... extents) {
  check_variants<T>(S.view(), {std::vector<index_t>(extents.begin(), extents.end())...}, &run_both<S, T, R...>);
}

}  // namespace ein_test
