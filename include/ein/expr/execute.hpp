// Evaluates a bound spec on strided operands: checks and unifies extents, turns
// repeated labels into diagonal views and size-1 axes into broadcasts, plans the
// order, and runs each step on a backend (HostBackend on the CPU). Element type
// and backend are the only template parameters, so every spec of one type
// shares this code. Layer: expr.
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <string_view>

#include "ein/backend/host.hpp"
#include "ein/lower/nest_memo.hpp"
#include "ein/lower/pairwise.hpp"
#include "ein/plan/plan_cache.hpp"
#include "ein/spec/bind.hpp"

namespace ein::detail {

/// An array as the Strided operand execute_on takes, its axes labelled with a term.
template <class T, std::size_t R>
Strided<T> labelled(T* data, const Extents<R>& extents, const std::array<index_t, R>& strides, const BoundTerm& term) {
  Strided<T> s;
  s.data = data;
  s.rank = static_cast<int>(R);
  for (std::size_t d = 0; d < R; ++d) {
    s.labels[d] = term.labels[d];
    s.extents[d] = extents[d];
    s.strides[d] = strides[d];
  }
  return s;
}
/// An operand's view, so labelled.
template <class T, std::size_t R>
Strided<const T> labelled(const TensorView<const T, R>& v, const BoundTerm& term) {
  return labelled(v.data(), v.extents(), v.strides(), term);
}
/// A destination's view, so labelled.
template <class T, std::size_t R>
Strided<T> labelled_destination(const TensorView<T, R>& v, const BoundTerm& term) {
  return labelled(v.data(), v.extents(), v.strides(), term);
}
/// A dense row-major array (a device's memory or the host's), so labelled.
template <class T, std::size_t R>
Strided<T> labelled_dense(T* data, const Extents<R>& extents, const BoundTerm& term) {
  return labelled(data, extents, row_major_strides(extents), term);
}

[[gnu::cold]] inline std::string label_description(const BoundSpec& spec, int label) {
  if (spec.label_name[ix(label)] == '.') return "ellipsis dimension " + std::to_string(spec.ellipsis_dim[ix(label)]);
  return std::string("label '") + spec.label_name[ix(label)] + "'";
}

/// resolve_extents' error: `label 'j' is 3 in operand 0 and 4 in operand 1`.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_extent_mismatch(const BoundSpec& spec, std::string_view text,
                                                                      int label, int op1, index_t e1, int op2,
                                                                      index_t e2) {
  throw shape_error(error_prefix(text) + label_description(spec, label) + " is " + std::to_string(e1) +
                    " in operand " + std::to_string(op1) + " and " + std::to_string(e2) + " in operand " +
                    std::to_string(op2));
}

/// A destination's error: `destination axis 1 is 4, the result's is 5`.
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_destination_mismatch(std::string_view text, std::size_t axis,
                                                                           index_t dest, index_t result) {
  throw shape_error(error_prefix(text) + "destination axis " + std::to_string(axis) + " is " + std::to_string(dest) +
                    ", the result's is " + std::to_string(result));
}

/// Throws shape_error where a destination's `rank` axes (extents, labels) are not
/// the result's (extent: every label's). Shared by every spec: the message's code,
/// inlined in each spec's ContractionCore::run, cost each spec about 14 ms of g++ -O2.
inline void check_destination(std::string_view text, int rank, const index_t* extents, const unsigned char* labels,
                              const index_t* extent) {
  for (std::size_t d = 0; d < ix(rank); ++d)
    if (extents[d] != extent[labels[d]]) throw_destination_mismatch(text, d, extents[d], extent[labels[d]]);
}

/// Every label's extent. Throws shape_error when two non-1 extents of a label differ
/// across operands, or when a label repeated within one operand has unequal extents.
template <class T>
void resolve_extents(const BoundSpec& spec, std::string_view text, const Strided<const T>* ops, int n,
                     index_t* label_extent) {
  std::array<int, max_labels> source;  // operand that fixed the extent, -1 while unset (set below)
  for (int l = 0; l < spec.num_labels; ++l) {
    label_extent[l] = 1;
    source[ix(l)] = -1;
  }
  const auto fail = [&](int label, int op1, index_t e1, int op2, index_t e2) {
    throw_extent_mismatch(spec, text, label, op1, e1, op2, e2);
  };
  for (int k = 0; k < n; ++k) {
    const Strided<const T>& x = ops[k];
    for (std::size_t d = 0; d < ix(x.rank); ++d) {
      const int l = x.labels[d];
      const index_t e = x.extents[d];
      for (std::size_t d2 = 0; d2 < d; ++d2)
        if (x.labels[d2] == l && x.extents[d2] != e) fail(l, k, x.extents[d2], k, e);
      if (source[ix(l)] < 0 || label_extent[l] == 1) {
        if (source[ix(l)] < 0 || e != 1) {
          label_extent[l] = e;
          source[ix(l)] = k;
        }
      } else if (e != 1 && e != label_extent[l]) {
        fail(l, source[ix(l)], label_extent[l], k, e);
      }
    }
  }
}

/// One axis per label: repeated labels become one diagonal axis (strides add up),
/// and size-1 axes are dropped (the operand broadcasts along them).
template <class T>
Strided<T> normalize(const Strided<T>& x) {
  Strided<T> out;
  out.data = x.data;
  for (std::size_t d = 0; d < ix(x.rank); ++d) {
    if (x.extents[d] == 1) continue;
    const int existing = out.axis_of(x.labels[d]);
    if (existing >= 0) {
      out.strides[ix(existing)] += x.strides[d];
      continue;
    }
    out.labels[ix(out.rank)] = x.labels[d];
    out.extents[ix(out.rank)] = x.extents[d];
    out.strides[ix(out.rank++)] = x.strides[d];
  }
  return out;
}

template <class T>
LabelSet labels_of(const Strided<T>& x) {
  LabelSet s;
  for (int d = 0; d < x.rank; ++d) s.add(x.labels[ix(d)]);
  return s;
}

/// Throws shape_error when a step's iteration space (every label it loops over,
/// `labels`) has more elements than a 64-bit index counts. Below that, its loops,
/// coalesced axes, temporaries and GEMM sizes (each a product of some of these
/// extents) are exact; an operand can be that large only as a broadcast view.
/// The message of check_iteration_space's error (cold: out of the hot path and
/// optimised for size, as every message builder here).
[[noreturn, gnu::cold, gnu::noinline]] inline void throw_iteration_space(const BoundSpec& spec, std::string_view text,
                                                                      LabelSet labels, const index_t* label_extent) {
  std::string which;
  labels.for_each([&](int l) {
    if (!which.empty()) which += ", ";
    which += label_description(spec, l);
    which += " = ";
    which += std::to_string(label_extent[l]);
  });
  throw shape_error(error_prefix(text) + "a step loops over " + which + ", more elements than a 64-bit index counts");
}

inline void check_iteration_space(const BoundSpec& spec, std::string_view text, LabelSet labels,
                                  const index_t* label_extent) {
  index_t n = 1;
  bool empty = false;
  labels.for_each([&](int l) {
    empty = empty || label_extent[l] == 0;
    n = n < 0 ? n : product_or_overflow(n, label_extent[l]);
  });
  if (n < 0 && !empty) throw_iteration_space(spec, text, labels, label_extent);
}

/// Whether a backend runs the host's loop lowering (lower/loop_nest.hpp): then the
/// plan lowers each step by cost and may fuse N operands into one loop nest; a
/// device backend gets a GEMM for every step with a contracted label.
template <class Backend>
inline constexpr bool has_loop_lowering = requires { Backend::loop_lowering; };

/// The plan for normalized operands.
template <class T>
Plan plan_for(const Strided<const T>* ops, int n, const Strided<T>& dest, const index_t* label_extent, int num_labels,
              bool loop_lowering = true) {
  PlanInput in;
  in.num_operands = n;
  in.element_size = double(sizeof(T));
  in.loop_lowering = loop_lowering;
  for (int k = 0; k < n; ++k) in.operands[ix(k)] = labels_of(ops[k]);
  in.output = labels_of(dest);
  for (int l = 0; l < num_labels; ++l) in.extent[ix(l)] = label_extent[l];
  return n > 2 ? cached_plan(in) : make_plan(in);  // (two operands: one step, nothing to search)
}

/// dest = alpha * einsum(ops) + beta * dest on `be`. `ops` and `dest` carry the
/// bound spec's labels per axis. Throws shape_error where the operands' extents
/// disagree and, with check_dest (the einsum APIs), where dest's are not the
/// output's; without it a size-1 axis of dest sums over its label (a broadcast
/// operand's gradient). Reads no element on the host: the pointers may be a device's.
/// On the host, a call whose shapes this thread lowered to one loop nest before
/// runs that nest at once (lower/nest_memo.hpp), and one it lowered to steps replays
/// the backend calls they made (backend/host_program.hpp): none of the checks and
/// planning below can come out otherwise for the same shapes.
template <class T, class Backend>
void execute_on(Backend& be, const BoundSpec& spec, std::string_view text, const Strided<const T>* raw_ops, int n,
                const Strided<T>& raw_dest, T alpha, T beta, bool check_dest = false) {
  constexpr bool memoized = std::is_same_v<Backend, HostBackend<T>>;
  CallKey key;
  bool keyed = false;
  if constexpr (memoized) {
    keyed = call_key(key, raw_ops, n, raw_dest, check_dest);
    if (keyed) {
      if (const PreparedNest* p = nest_memo().find(key))
        return run_prepared<T>(*p, raw_dest.data, data_of(raw_ops, n).data(), alpha, beta);
      if (const HostProgram<T>* p = host_program_memo<T>().find(key, alpha, beta, raw_ops, n, raw_dest))
        return p->replay(raw_dest.data, data_of(raw_ops, n).data());
    }
  }
  std::array<index_t, max_labels> label_extent;
  resolve_extents(spec, text, raw_ops, n, label_extent.data());
  if (check_dest)
    check_destination(text, raw_dest.rank, raw_dest.extents.data(), raw_dest.labels.data(), label_extent.data());
  const Strided<T> dest = normalize(raw_dest);
  if (dest.size() == 0) return;  // (its row-major strides may be 0, e.g. extents (4, 0): nothing to check)
  for (int d = 0; d < raw_dest.rank; ++d)
    if (raw_dest.strides[ix(d)] == 0 && raw_dest.extents[ix(d)] > 1)
      throw shape_error(error_prefix(text) + "the destination has a zero stride on axis " +
                        std::to_string(d) + ", so its elements overlap");
  // A step that is one loop nest over these operands (in the call's order).
  const auto one_nest = [&](const Strided<const T>* ins, int count) {
    if constexpr (memoized) {
      if (keyed)
        return run_prepared<T>(nest_memo().prepare(key, ins, count, dest), dest.data, data_of(ins, count).data(), alpha,
                               beta);
    }
    if (count == 1) return be.loop(ins[0], nullptr, dest, alpha, beta);
    if constexpr (has_loop_lowering<Backend>) be.loop_n(ins, count, dest, alpha, beta);
  };

  if (n == 1) {  // (before `live`: setting up 16 operand slots costs more than a small diagonal)
    const Strided<const T> a = normalize(raw_ops[0]);
    check_iteration_space(spec, text, labels_of(a) | labels_of(dest), label_extent.data());
    return one_nest(&a, 1);
  }
  std::array<Strided<const T>, max_operands> live{};
  for (int k = 0; k < n; ++k) live[ix(k)] = normalize(raw_ops[k]);
  const Plan plan = plan_for(live.data(), n, dest, label_extent.data(), spec.num_labels, has_loop_lowering<Backend>);
  if constexpr (has_loop_lowering<Backend>) {
    // One loop nest over every operand: N fused, or (to memoize it) a pair's one
    // loop step, whose operands 0 and 1 are the call's in its order.
    const PlanStep& first = plan.steps[0];
    const bool pair_loop = plan.num_steps == 1 && first.kind == StepKind::loop && first.lhs == 0 && first.rhs == 1;
    if (first.kind == StepKind::fused || (keyed && pair_loop)) {
      LabelSet all = labels_of(dest);
      for (int k = 0; k < n; ++k) all = all | labels_of(live[ix(k)]);
      check_iteration_space(spec, text, all, label_extent.data());
      return one_nest(live.data(), n);
    }
  }
  // Steps: on the host, recorded where keyed, for the next calls of these shapes to
  // replay (backend/host_program.hpp). (The scope stops the recording however the steps end.)
  std::unique_ptr<HostProgram<T>> program;
  struct RecordingScope {
    Backend& be;
    ~RecordingScope() {
      if constexpr (std::is_same_v<Backend, HostBackend<T>>) be.recording = nullptr;
    }
  } scope{be};
  if constexpr (memoized) {
    if (keyed && n + 1 <= program_max_buffers) {
      program = std::make_unique<HostProgram<T>>();
      program->begin(raw_ops, n, raw_dest);
      if (program->replayable()) be.recording = program.get();
      else program.reset();
    }
  }
  int count = n;
  for (int s = 0; s < plan.num_steps; ++s) {
    if constexpr (requires { be.begin_step(s); }) be.begin_step(s);  // (a recording backend: expr/path.hpp)
    const PlanStep& step = plan.steps[ix(s)];
    const Strided<const T> a = live[ix(step.lhs)];
    const Strided<const T> b = live[ix(step.rhs)];
    for (int t = step.rhs; t + 1 < count; ++t) live[ix(t)] = live[ix(t + 1)];
    --count;
    for (int t = step.lhs; t + 1 < count; ++t) live[ix(t)] = live[ix(t + 1)];
    --count;
    check_iteration_space(spec, text, labels_of(a) | labels_of(b) | (s + 1 == plan.num_steps ? labels_of(dest) : LabelSet{}),
                          label_extent.data());
    if (s + 1 == plan.num_steps) {
      pairwise_step<T>(a, b, step.kind, step.groups, dest, alpha, beta, label_extent.data(), be);
    } else {
      const Strided<T> result = intermediate_for<T>(a, b, step.kind, step.groups, dest, label_extent.data(), be);
      pairwise_step<T>(a, b, step.kind, step.groups, result, T(1), T(0), label_extent.data(), be);
      live[ix(count++)] = as_const(result);
    }
  }
  if constexpr (memoized)
    if (program && program->replayable()) host_program_memo<T>().keep(key, alpha, beta, std::move(program));
}

/// execute_on the CPU.
template <class T>
void execute(const BoundSpec& spec, std::string_view text, const Strided<const T>* ops, int n, const Strided<T>& dest,
             T alpha, T beta, bool check_dest = false) {
  HostBackend<T> be;
  execute_on<T>(be, spec, text, ops, n, dest, alpha, beta, check_dest);
}

}  // namespace ein::detail
