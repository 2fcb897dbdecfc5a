// The cost model that picks a lowering: an estimate, in nanoseconds on one core,
// of each candidate for a step, from its multiply-adds and the bytes it moves.
//
//   loop   (lower/loop_nest.hpp)  every label iterated: volume * (operands - 1)
//          multiply-adds at loop_rate, plus its operands' bytes at bandwidth,
//          plus loop_call to set the nest up
//   GEMM   (backend/gemm.hpp)     B * M * N * K multiply-adds at gemm_rate,
//          derated by (min(M, N) / gemm_tile)^2 below gemm_tile (a register tile
//          reuses each loaded element min(M, N) times: a GEMV (N = 1) reuses
//          none, and is no faster than the loop), plus gemm_call per GEMM, plus
//          the operands' bytes, plus the bytes of any copy made to fit a GEMM
//   fused  (N operands, one loop nest)  as the loop, over all labels at once: no
//          intermediate is written, but nothing is reused either
// A pairwise plan costs the sum of its steps' cheapest lowerings and of writing
// and reading its intermediates; the fused loop replaces it when cheaper (a
// Hadamard or broadcast product of N operands: no temporaries).
// The rates are those of a vectorised loop and a blocked GEMM on one core of
// the reference machine (AMD Zen 5, see the README); only their ratios steer
// choices. Pure and constexpr: the planner calls it. Layer: plan.
#pragma once

#include "ein/plan/classify.hpp"
#include "ein/spec/limits.hpp"
#include "ein/tensor/shape.hpp"

namespace ein {
namespace cost_model {
inline constexpr double loop_rate = 4;      // multiply-adds per ns, streaming loop
inline constexpr double loop_call = 30;     // ns to set a loop nest up (fold, order)
inline constexpr double loop_row = 8;       // ns per row of a nest beyond its elements (the row kernel's call)
inline constexpr double gemm_rate = 32;     // multiply-adds per ns, blocked GEMM at its best
inline constexpr double gemm_tile = 4;      // min(M, N) from which a register tile is full
inline constexpr double gemm_call = 10;     // ns per GEMM call (dispatch)
inline constexpr double bytes_per_ns = 16;  // memory bandwidth (bytes read and written per ns)
}  // namespace cost_model

/// The sizes of a pairwise step: each group's element count.
struct StepSizes {
  double batch = 1, m = 1, n = 1, k = 1, summed_a = 1, summed_b = 1;

  [[nodiscard]] constexpr double volume() const { return batch * m * n * k * summed_a * summed_b; }
  /// Elements of A, B and the result.
  [[nodiscard]] constexpr double a() const { return batch * m * k * summed_a; }
  [[nodiscard]] constexpr double b() const { return batch * n * k * summed_b; }
  [[nodiscard]] constexpr double c() const { return batch * m * n; }
};

namespace detail {
constexpr double min1(double x) { return x < 1 ? x : 1; }
}  // namespace detail

/// A loop nest over `volume` elements of `operands` inputs moving `elements` elements.
constexpr double loop_cost(double volume, int operands, double elements, double element_size) {
  return cost_model::loop_call + volume * (operands > 1 ? operands - 1 : 1) / cost_model::loop_rate +
         elements * element_size / cost_model::bytes_per_ns;
}

/// `batch` GEMMs of M x N x K, moving `elements` elements (operands, result, copies).
constexpr double gemm_cost(double batch, double m, double n, double k, double elements, double element_size) {
  using namespace cost_model;
  const double reuse = detail::min1((m < n ? m : n) / gemm_tile);
  const double efficiency = reuse * reuse;
  return batch * m * n * k / (gemm_rate * efficiency) + batch * gemm_call + elements * element_size / bytes_per_ns;
}

/// A pairwise step's cheapest lowering (StepKind::loop or a GEMM kind) and its cost.
struct Lowering {
  StepKind kind = StepKind::loop;
  double cost = 0;
};

constexpr Lowering choose_pair_lowering(const LabelGroups& g, const StepSizes& s, double element_size) {
  const double io = s.a() + s.b() + 2 * s.c();
  // The loop's rows run along one group at best: rows of a few elements cost a
  // kernel call each. A batch of 64 2x2 products as a loop of 256 rows of 2 took
  // 8.7 us, the model said 0.4 (one small GEMM after another: 0.5 us).
  const double row = s.m > s.n ? (s.m > s.k ? s.m : s.k) : (s.n > s.k ? s.n : s.k);
  const Lowering loop{StepKind::loop,
                      loop_cost(s.volume(), 2, io, element_size) + s.volume() / row * cost_model::loop_row};
  if (g.k.empty()) return loop;
  // A GEMM first reduces the labels summed within one operand (a pass over it).
  const double reduce = (g.summed_a.empty() ? 0 : s.a()) + (g.summed_b.empty() ? 0 : s.b());
  const Lowering gemm{g.kind(), gemm_cost(s.batch, s.m, s.n, s.k, io + reduce, element_size)};
  return gemm.cost < loop.cost ? gemm : loop;
}

/// What lower/fast_pair.hpp takes without asking the model: one GEMM whose M and N are
/// at least 2 beats the loop. Its register tile is at least a quarter full, so its
/// multiply-adds cost at most 1 / (gemm_rate / 4) = 1/8 ns against the loop's
/// 1 / loop_rate = 1/4, its call 10 ns against the loop's 30, and both move the same
/// bytes. (A test holds the model to it.)
constexpr bool one_gemm_beats_the_loop() {
  using namespace cost_model;
  return gemm_rate * (2 / gemm_tile) * (2 / gemm_tile) >= loop_rate && gemm_call <= loop_call;
}

/// Whether `batch` GEMMs of M x N x K (no other labels) beat the loop lowering: the
/// compile-time fast path (lower/fast_pair.hpp) asks, and leaves a dot, a GEMV
/// or a batch of tiny products to the loops.
constexpr bool prefer_gemm(double batch, double m, double n, double k, double element_size) {
  LabelGroups g;
  g.k.add(0);
  if (batch > 1) g.batch.add(1);
  return choose_pair_lowering(g, StepSizes{batch, m, n, k, 1, 1}, element_size).kind != StepKind::loop;
}

}  // namespace ein
