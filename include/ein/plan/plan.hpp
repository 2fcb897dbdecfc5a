// Plan: the ordered pairwise steps that evaluate one einsum for given extents,
// chosen to minimise FLOPs as opt_einsum does (exhaustive search for up to
// five operands, greedy beyond). Pure function of label sets and extents, no
// element type. Layer: plan.
#pragma once

#include <array>

#include "ein/plan/classify.hpp"
#include "ein/plan/cost.hpp"
#include "ein/spec/limits.hpp"
#include "ein/tensor/shape.hpp"

namespace ein {

/// One step. Operands are numbered as NumPy's einsum_path numbers them: the live
/// list at that point, where each step removes its two operands and appends its
/// result at the end.
struct PlanStep {
  int lhs = 0;
  int rhs = -1;  // -1 for a single-operand step
  LabelSet lhs_labels, rhs_labels, result_labels;
  LabelGroups groups;
  StepKind kind = StepKind::single;  // the lowering, chosen by cost (plan/cost.hpp)
  double flops = 0;
  double result_size = 0;
  double cost = 0;  // the cost model's estimate, ns
};

struct Plan {
  std::array<PlanStep, max_operands> steps{};
  int num_steps = 0;
  double naive_flops = 0;
  double optimized_flops = 0;
  double largest_intermediate = 0;
  double cost = 0;  // estimated ns: the steps' and their intermediates' (plan/cost.hpp)
};

/// What the planner needs: each operand's labels (extent-1 axes already dropped),
/// the output's labels, and every label's extent.
struct PlanInput {
  std::array<LabelSet, max_operands> operands{};
  int num_operands = 0;
  LabelSet output;
  std::array<index_t, max_labels> extent{};
  double element_size = 4;  // bytes per element
  bool loop_lowering = true;  // the backend runs the host loop lowering: steps lowered by cost, N-ary fused
};

namespace detail {

constexpr double set_size(LabelSet s, const PlanInput& in) {
  double size = 1;
  s.for_each([&](int l) { size *= static_cast<double>(in.extent[ix(l)]); });
  return size;
}

// opt_einsum's count: the size of every label involved, times (terms - 1, at least 1) + 1 when something is summed.
constexpr double step_flops(LabelSet involved, LabelSet result, int terms, const PlanInput& in) {
  const double factor = (terms > 1 ? terms - 1 : 1) + ((involved - result).empty() ? 0 : 1);
  return set_size(involved, in) * factor;
}

constexpr StepSizes step_sizes(const LabelGroups& g, const PlanInput& in) {
  return {set_size(g.batch, in), set_size(g.m, in), set_size(g.n, in), set_size(g.k, in), set_size(g.summed_a, in),
          set_size(g.summed_b, in)};
}

struct SearchState {
  std::array<LabelSet, max_operands> live{};
  int count = 0;
};

// The labels a step over live[i] and live[j] must keep: the output's and every other live operand's.
// (Written as one loop with `if (t != i && t != j)` inside, the OR-reduction was miscompiled by
// g++ 12.2 at -O3 with AVX2 loop vectorisation: labels went missing and plans dropped them. Three
// unconditional ranges avoid that loop shape; tests/lower checks plans built at -O3 -march=native.)
constexpr LabelSet keep_for(const SearchState& s, int i, int j, const PlanInput& in) {
  const int lo = i < j ? i : j, hi = i < j ? j : i;
  LabelSet keep = in.output;
  for (int t = 0; t < lo; ++t) keep = keep | s.live[ix(t)];
  for (int t = lo + 1; t < hi; ++t) keep = keep | s.live[ix(t)];
  for (int t = hi + 1; t < s.count; ++t) keep = keep | s.live[ix(t)];
  return keep;
}

constexpr SearchState after(const SearchState& s, int i, int j, LabelSet result) {
  SearchState next;
  for (int t = 0; t < s.count; ++t)
    if (t != i && t != j) next.live[ix(next.count++)] = s.live[ix(t)];
  next.live[ix(next.count++)] = result;
  return next;
}

struct PairChoice {
  int i, j;
};

// Depth-first over every order of pairwise contractions, pruned by the best cost so far.
// Cold (optimised for size): it runs once per spec and extents, its plan then cached.
[[gnu::cold]] constexpr void search_exhaustive(const SearchState& s, const PlanInput& in, double cost,
                                 std::array<PairChoice, max_operands>& path, int depth, double& best_cost,
                                 std::array<PairChoice, max_operands>& best_path) {
  if (s.count == 1) {
    if (cost < best_cost) {
      best_cost = cost;
      best_path = path;
    }
    return;
  }
  for (int i = 0; i < s.count; ++i)
    for (int j = i + 1; j < s.count; ++j) {
      const LabelSet result = (s.live[ix(i)] | s.live[ix(j)]) & keep_for(s, i, j, in);
      const double c = cost + step_flops(s.live[ix(i)] | s.live[ix(j)], result, 2, in);
      if (c >= best_cost) continue;
      path[ix(depth)] = {i, j};
      search_exhaustive(after(s, i, j, result), in, c, path, depth + 1, best_cost, best_path);
    }
}

// Greedy: repeatedly the pair whose result shrinks the live sizes most, cheaper FLOPs on ties.
// Cold, as search_exhaustive.
[[gnu::cold]] constexpr PairChoice greedy_choice(const SearchState& s, const PlanInput& in) {
  PairChoice best{0, 1};
  double best_score = 0, best_flops = 0;
  bool first = true;
  for (int i = 0; i < s.count; ++i)
    for (int j = i + 1; j < s.count; ++j) {
      const LabelSet result = (s.live[ix(i)] | s.live[ix(j)]) & keep_for(s, i, j, in);
      const double score = set_size(result, in) - set_size(s.live[ix(i)], in) - set_size(s.live[ix(j)], in);
      const double flops = step_flops(s.live[ix(i)] | s.live[ix(j)], result, 2, in);
      if (first || score < best_score || (score == best_score && flops < best_flops)) {
        best = {i, j};
        best_score = score;
        best_flops = flops;
        first = false;
      }
    }
  return best;
}

}  // namespace detail

/// Operand counts up to this use the exhaustive search.
inline constexpr int exhaustive_path_limit = 5;

/// Chooses the contraction order and describes each step.
constexpr Plan make_plan(const PlanInput& in) {
  Plan plan;
  LabelSet all;
  for (int t = 0; t < in.num_operands; ++t) all = all | in.operands[detail::ix(t)];
  plan.naive_flops = detail::step_flops(all, in.output, in.num_operands, in);

  // (Written as `state.live[state.count++] = ...`, g++ 12.2 -O3 with AVX2 loop
  // vectorisation left state.count wrong and the plan dropped live labels.)
  detail::SearchState state;
  for (int t = 0; t < in.num_operands; ++t) state.live[detail::ix(t)] = in.operands[detail::ix(t)];
  state.count = in.num_operands;

  if (in.num_operands == 1) {
    PlanStep& step = plan.steps[detail::ix(plan.num_steps++)];
    step.lhs = 0;
    step.lhs_labels = in.operands[0];
    step.result_labels = in.output;
    step.groups.m = in.output;
    step.groups.summed_a = in.operands[0] - in.output;
    step.kind = StepKind::single;
    step.flops = detail::step_flops(in.operands[0], in.output, 1, in);
    step.result_size = detail::set_size(in.output, in);
    step.cost = loop_cost(detail::set_size(in.operands[0], in), 1,
                          detail::set_size(in.operands[0], in) + 2 * step.result_size, in.element_size);
    plan.cost = step.cost;
    plan.optimized_flops = step.flops;
    plan.largest_intermediate = step.result_size;
    return plan;
  }

  std::array<detail::PairChoice, max_operands> order{};
  if (in.num_operands <= exhaustive_path_limit) {
    std::array<detail::PairChoice, max_operands> path{};
    double best_cost = 1.0 / 0.0;
    detail::search_exhaustive(state, in, 0.0, path, 0, best_cost, order);
  } else {
    detail::SearchState s = state;
    for (std::size_t d = 0; s.count > 1; ++d) {
      order[d] = detail::greedy_choice(s, in);
      const LabelSet result = (s.live[detail::ix(order[d].i)] | s.live[detail::ix(order[d].j)]) &
                              detail::keep_for(s, order[d].i, order[d].j, in);
      s = detail::after(s, order[d].i, order[d].j, result);
    }
  }

  for (std::size_t d = 0; state.count > 1; ++d) {
    const auto [i, j] = order[d];
    PlanStep& step = plan.steps[detail::ix(plan.num_steps++)];
    step.lhs = i;
    step.rhs = j;
    step.lhs_labels = state.live[detail::ix(i)];
    step.rhs_labels = state.live[detail::ix(j)];
    step.groups = classify(state.live[detail::ix(i)], state.live[detail::ix(j)], detail::keep_for(state, i, j, in));
    step.result_labels = step.groups.result();
    const Lowering lowering = in.loop_lowering ? choose_pair_lowering(step.groups, detail::step_sizes(step.groups, in), in.element_size)
                                               : Lowering{step.groups.kind(), 0};
    step.kind = lowering.kind;
    step.cost = lowering.cost;
    step.flops = detail::step_flops(state.live[detail::ix(i)] | state.live[detail::ix(j)], step.result_labels, 2, in);
    step.result_size = detail::set_size(step.result_labels, in);
    plan.optimized_flops += step.flops;
    if (step.result_size > plan.largest_intermediate) plan.largest_intermediate = step.result_size;
    plan.cost += step.cost;
    state = detail::after(state, i, j, step.result_labels);
  }
  // The fused loop over every operand at once, when the model prefers it to the
  // pairwise steps (whose intermediates' bytes each step already counts).
  if (in.loop_lowering && in.num_operands > 2) {
    double elements = 2 * detail::set_size(in.output, in);
    for (int t = 0; t < in.num_operands; ++t) elements += detail::set_size(in.operands[detail::ix(t)], in);
    const double fused = loop_cost(detail::set_size(all, in), in.num_operands, elements, in.element_size);
    if (fused <= plan.cost) {
      Plan one;
      one.naive_flops = one.optimized_flops = plan.naive_flops;
      one.cost = fused;
      PlanStep& step = one.steps[0];
      one.num_steps = 1;
      step.lhs = 0;
      step.lhs_labels = all;
      step.result_labels = in.output;
      step.kind = StepKind::fused;
      step.flops = plan.naive_flops;
      step.result_size = detail::set_size(in.output, in);
      step.cost = fused;
      return one;
    }
  }
  return plan;
}

}  // namespace ein
