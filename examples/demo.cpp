// The demo of the README's quick start: a few contractions, each checked
// against the naive reference, and the plan einsum runs for it.
#include <cmath>
#include <cstdio>
#include <iostream>
#include <random>

#include <ein/backend/reference/naive.hpp>
#include <ein/ein.hpp>

namespace {

template <std::size_t R>
ein::Tensor<double, R> random(const ein::Extents<R>& extents, unsigned seed) {
  ein::Tensor<double, R> t(extents);
  std::mt19937 gen(seed);
  std::uniform_real_distribution<double> dist(-1, 1);
  for (ein::index_t i = 0; i < t.size(); ++i) t.data()[i] = dist(gen);
  return t;
}

int failures = 0;

// Prints the result's extents, its largest difference from the naive reference, and the plan.
template <class Result, class... Ops>
void show(const char* spec, const Result& result, const ein::Path& path, const Ops&... ops) {
  const auto expected = ein::reference::einsum<double>(spec, {ein::reference::to_array(ops)...});
  const auto actual = ein::reference::to_array(result);
  double worst = 0;
  for (std::size_t i = 0; i < actual.values.size(); ++i)
    worst = std::max(worst, std::abs(actual.values[i] - expected.values[i]));
  const bool ok = actual.extents == expected.extents && worst < 1e-9;
  failures += !ok;
  std::printf("einsum \"%s\": result extents %s, max |ein - reference| = %.2e  %s\n", spec,
              ein::to_string(result.extents()).c_str(), worst, ok ? "OK" : "MISMATCH");
  std::cout << path << '\n';
}

}  // namespace

int main() {
  const auto W1 = random(ein::Extents<2>{256, 784}, 1);
  const auto X = random(ein::Extents<2>{128, 784}, 2);
  // The lecture's layer: a = einsum("ij,lj->li", W1, X).
  const ein::Tensor<double, 2> a = ein::einsum<"ij,lj->li">(W1, X);
  show("ij,lj->li", a, ein::einsum_path<"ij,lj->li">(W1, X), W1, X);

  const auto Q = random(ein::Extents<4>{2, 4, 32, 16}, 3);
  const auto K = random(ein::Extents<4>{2, 4, 40, 16}, 4);
  const ein::Tensor<double, 4> scores = ein::einsum<"bhqd,bhkd->bhqk">(Q, K);
  show("bhqd,bhkd->bhqk", scores, ein::einsum_path<"bhqd,bhkd->bhqk">(Q, K), Q, K);

  const auto A = random(ein::Extents<2>{64, 8}, 5);
  const auto B = random(ein::Extents<2>{8, 64}, 6);
  const auto C = random(ein::Extents<2>{64, 8}, 7);
  const auto D = random(ein::Extents<2>{8, 8}, 8);
  const ein::Tensor<double, 2> chain = ein::einsum<"ab,bc,cd,de->ae">(A, B, C, D);
  show("ab,bc,cd,de->ae", chain, ein::einsum_path<"ab,bc,cd,de->ae">(A, B, C, D), A, B, C, D);

  const auto T = random(ein::Extents<3>{5, 6, 6}, 9);
  const ein::Tensor<double, 1> traces = ein::einsum<"bii->b">(T);
  show("bii->b", traces, ein::einsum_path<"bii->b">(T), T);

  const auto E = random(ein::Extents<3>{3, 1, 4}, 10);
  const auto F = random(ein::Extents<2>{5, 4}, 11);
  const ein::Tensor<double, 2> broadcast = ein::einsum<"...j,...j->..."> (E, F);
  show("...j,...j->...", broadcast, ein::einsum_path<"...j,...j->...">(E, F), E, F);

  std::printf("%s\n", failures == 0 ? "all results match the naive reference" : "SOME RESULTS DIFFER");
  return failures == 0 ? 0 : 1;
}
