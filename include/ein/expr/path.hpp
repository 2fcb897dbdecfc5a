// einsum_path: the plan einsum would run for these operands, printable like
// numpy.einsum_path (steps, their kind, FLOPs, largest intermediate). Layer: expr.
#pragma once

#include <cmath>
#include <cstdio>
#include <ostream>
#include <string>
#include <vector>

#include "ein/backend/gemm.hpp"
#include "ein/expr/execute.hpp"
#include "ein/lower/loop_nest.hpp"
#include "ein/lower/loop_space.hpp"
#include "ein/lower/static_pair.hpp"
#include "ein/lower/static_product.hpp"

namespace ein {

/// One step of a printed plan.
struct PathStep {
  std::string spec;       // the step in spec notation, e.g. "ab,bc->ac"
  std::string remaining;  // what is left after it, e.g. "ac,cd->ad"
  StepKind kind = StepKind::single;
  GemmKernel kernel = GemmKernel::direct;  // for GEMM steps: which kernel runs each GEMM
  int copies = 0;         // operands (or a result) copied to fit a GEMM
  int scaling = 0;        // how many labels the step loops over
  double flops = 0;
  double cost = 0;        // the cost model's estimate, ns (plan/cost.hpp): what chose `kind`
  index_t batch = 1, m = 1, n = 1, k = 1;  // the GEMM's sizes as it runs (GEMM calls, rows, columns, depth)
  std::string loop_shape;  // a loop-lowered step: its axes as they run, merged, outermost first, summed in []
  std::string nest;        // a loop-lowered step: the kernel its rows go through (detail::NestKernel)
  bool product = false;    // the product path (lower/static_product.hpp) runs the whole call, unplanned
};

/// The plan einsum runs for given operands.
struct Path {
  std::string spec;
  std::vector<std::pair<int, int>> order;  // NumPy's path: operand positions contracted at each step
  std::vector<PathStep> steps;
  double naive_flops = 0, optimized_flops = 0, largest_intermediate = 0;
  int naive_scaling = 0, optimized_scaling = 0;
  double cost = 0;  // the cost model's estimate for the whole plan, ns

  [[nodiscard]] std::string to_string() const {
    std::string out;
    char line[256];
    std::snprintf(line, sizeof line, "  Complete contraction:  %s\n", spec.c_str());
    out += line;
    std::snprintf(line, sizeof line, "         Naive scaling:  %d\n     Optimized scaling:  %d\n", naive_scaling,
                  optimized_scaling);
    out += line;
    std::snprintf(line, sizeof line, "      Naive FLOP count:  %.3e\n  Optimized FLOP count:  %.3e\n", naive_flops,
                  optimized_flops);
    out += line;
    std::snprintf(line, sizeof line, "   Theoretical speedup:  %.3f\n  Largest intermediate:  %.3e elements\n",
                  optimized_flops > 0 ? naive_flops / optimized_flops : 1.0, largest_intermediate);
    out += line;
    std::snprintf(line, sizeof line, "        Estimated time:  %.3g us (the cost model that chose each kind)\n", cost / 1e3);
    out += line;
    out += std::string(108, '-') + "\n";
    // shape: a GEMM's (batch,M,N,K) as it runs; a loop's axes after merging (merge_axes),
    // outermost first, the summed ones in brackets ("(64,[128],256)").
    std::snprintf(line, sizeof line, "%-8s %-22s %-26s %-11s %-20s %s\n", "scaling", "kind", "shape", "est. us",
                  "current", "remaining");
    out += line;
    out += std::string(108, '-') + "\n";
    for (const PathStep& s : steps) {
      char shape[64];
      if (!s.loop_shape.empty()) std::snprintf(shape, sizeof shape, "%s", s.loop_shape.c_str());
      else std::snprintf(shape, sizeof shape, "(%td,%td,%td,%td)", s.batch, s.m, s.n, s.k);
      std::string kind = s.product ? "product" : ein::to_string(s.kind);
      if (s.product) {
        kind += " (" + s.nest + ")";
      } else if (s.kind == StepKind::gemm || s.kind == StepKind::batched_gemm) {
        kind += std::string(" (") + ein::to_string(s.kernel) + ")";
        if (s.copies > 0) kind += " +" + std::to_string(s.copies) + (s.copies == 1 ? " copy" : " copies");
      } else if (!s.nest.empty()) {
        kind += " (" + s.nest + ")";
      }
      std::snprintf(line, sizeof line, "%4d     %-22s %-26s %-11.3g %-20s %s\n", s.scaling, kind.c_str(), shape,
                    s.cost / 1e3, s.spec.c_str(), s.remaining.c_str());
      out += line;
    }
    return out;
  }
  friend std::ostream& operator<<(std::ostream& os, const Path& p) { return os << p.to_string(); }
};

namespace detail {

/// A backend that runs nothing and records what the lowering asks of it, step by
/// step: describe_path runs the same execute_on on it, so einsum_path shows the
/// kernels a step really gets (a GEMM per image, the copies made), not a guess.
template <class T>
class RecordingBackend {
 public:
  static constexpr bool loop_lowering = true;
  struct Step {
    int loops = 0;        // loop-lowered calls: the step itself, or copies around a GEMM
    bool gemm = false;
    index_t batch = 1, m = 1, n = 1, k = 1;
    GemmKernel kernel = GemmKernel::direct;
    std::string loop_shape;  // the first loop call's merged space (see PathStep)
    std::string nest;        // and the kernel its nest runs (see PathStep)
  };
  std::vector<Step> steps{Step{}};

  void begin_step(int s) {
    if (s > 0) steps.emplace_back();
  }
  Strided<T> dense(const unsigned char* labels, int rank, const index_t* label_extent) {
    index_t size = 0;  // (no memory: a recorded step never touches its data)
    return dense_layout<T>(labels, rank, label_extent, size);
  }
  void loop(const Strided<const T>& a, const Strided<const T>* b, const Strided<T>& out, T, T) {
    const std::array<Strided<const T>, 2> ins{a, b ? *b : a};
    loop_n(ins.data(), b ? 2 : 1, out, T(1), T(0));
  }
  void loop_n(const Strided<const T>* ins, int n, const Strided<T>& out, T, T beta) {
    Step& s = steps.back();
    if (s.loops++ > 0) return;
    LoopSpace space = loop_space(ins, n, out);
    for (int a = 0; a < space.rank; ++a)
      if (space.axes[ix(a)].extent == 0) return;  // (an empty step: no shape to show)
    fold(space);
    s.loop_shape = "(";
    for (int a = 0; a < space.rank; ++a) {
      const std::string extent = std::to_string(space.axes[ix(a)].extent);
      s.loop_shape += (a ? "," : "") + (space.summed(a) ? "[" + extent + "]" : extent);
    }
    s.loop_shape += ")";
    const LoopNest nest = order_nest(space, index_t(sizeof(T)));
    s.nest = detail::nest_kernel_name(nest_kernel(space, nest));
    if (nest.reuse.block > 1) s.nest += ", reuse blocks of " + std::to_string(nest.reuse.block);
    if (half_streamed_squares(space, nest, out.data, beta)) s.nest += ", half of each streamed";
    if (nest.along_diagonals()) s.nest += ", along diagonals";
    if (nest.buffered) s.nest += ", rows through a buffer";
  }
  void gemm(T, const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb, T, T*, const MatrixLayout& lc,
            const BatchLoop& batch) {
    Step& s = steps.back();
    s.gemm = true;
    MatrixLayout oa = la, ob = lb, oc = lc;  // (the kernel is chosen for C row-major, as gemm() runs it)
    orient_row_major(a, oa, b, ob, oc);
    s.kernel = choose_gemm_kernel(oa, ob, oc, sizeof(T));
    s.m = lc.rows;
    s.n = lc.cols;
    s.k = la.cols;
    s.batch = 1;
    for (int i = 0; i < batch.count; ++i) s.batch *= batch.extent[ix(i)];
  }
};

// Names for labels in printed specs: letters stay; ellipsis dimensions take unused letters, as NumPy does.
inline std::array<char, max_labels> display_names(const BoundSpec& spec) {
  std::array<char, max_labels> names{};
  bool used[128]{};
  for (std::size_t l = 0; l < ix(spec.num_labels); ++l)
    if (spec.label_name[l] != '.') used[static_cast<unsigned char>(spec.label_name[l])] = true;
  const char* pool = "zyxwvutsrqponmlkjihgfedcbaZYXWVUTSRQPONMLKJIHGFEDCBA";
  for (std::size_t l = 0; l < ix(spec.num_labels); ++l) {
    names[l] = spec.label_name[l];
    if (names[l] != '.') continue;
    while (*pool && used[static_cast<unsigned char>(*pool)]) ++pool;
    names[l] = *pool ? *pool++ : '?';
  }
  return names;
}

inline std::string term_string(LabelSet s, const std::array<char, max_labels>& names) {
  std::string out;
  s.for_each([&](int l) { out += names[ix(l)]; });
  return out;
}

template <class T>
std::string term_string(const Strided<T>& x, const std::array<char, max_labels>& names) {
  std::string out;
  for (int d = 0; d < x.rank; ++d) out += names[x.labels[ix(d)]];
  return out;
}

template <class T>
Path describe_path(const BoundSpec& spec, std::string_view text, const Strided<const T>* raw_ops, int n,
                   const Strided<T>& raw_dest) {
  std::array<index_t, max_labels> extent{};
  resolve_extents(spec, text, raw_ops, n, extent.data());
  const auto names = display_names(spec);
  std::vector<std::string> live;
  std::array<Strided<const T>, max_operands> ops{};
  for (int k = 0; k < n; ++k) {
    ops[ix(k)] = normalize(raw_ops[k]);
    live.push_back(term_string(ops[ix(k)], names));
  }
  const Strided<T> dest = normalize(raw_dest);
  const std::string out_term = term_string(dest, names);
  Path path;
  const Plan plan = plan_for(ops.data(), n, dest, extent.data(), spec.num_labels);
  path.cost = plan.cost;
  RecordingBackend<T> recorded;
  execute_on<T>(recorded, spec, text, raw_ops, n, recorded.dense(raw_dest.labels.data(), raw_dest.rank, extent.data()),
                T(1), T(0), extent.data());

  path.spec = std::string(text);
  path.naive_flops = plan.naive_flops;
  path.optimized_flops = plan.optimized_flops;
  path.largest_intermediate = plan.largest_intermediate;
  LabelSet all;
  for (int k = 0; k < n; ++k) all = all | labels_of(ops[ix(k)]);
  path.naive_scaling = all.count();
  const auto size = [&](LabelSet s) {
    index_t v = 1;
    s.for_each([&](int l) { v *= extent[ix(l)]; });
    return v;
  };
  for (int s = 0; s < plan.num_steps; ++s) {
    const PlanStep& step = plan.steps[ix(s)];
    PathStep p;
    p.kind = step.kind;
    p.flops = step.flops;
    p.cost = step.cost;
    p.scaling = (step.lhs_labels | step.rhs_labels).count();
    path.optimized_scaling = std::max(path.optimized_scaling, p.scaling);
    p.batch = size(step.groups.batch);
    p.m = size(step.groups.m);
    p.n = size(step.groups.n);
    p.k = size(step.groups.k);
    if (ix(s) < recorded.steps.size() && recorded.steps[ix(s)].gemm) {  // as it runs: after splits and copies
      const auto& r = recorded.steps[ix(s)];
      p.batch = r.batch;
      p.m = r.m;
      p.n = r.n;
      p.k = r.k;
      p.copies = r.loops;
      p.kernel = r.kernel;
    } else if (ix(s) < recorded.steps.size()) {
      p.loop_shape = recorded.steps[ix(s)].loop_shape;
      p.nest = recorded.steps[ix(s)].nest;
    } else {  // (not recorded: the kernel the plan's groups would get)
      p.kernel = choose_gemm_kernel(double(p.m), double(p.n), double(p.k), sizeof(T));
    }
    const bool last = s + 1 == plan.num_steps;
    const std::string result = last ? out_term : term_string(step.result_labels, names);
    if (step.kind == StepKind::fused) {
      for (std::size_t i = 0; i < live.size(); ++i) p.spec += (i ? "," : "") + live[i];
      p.spec += "->" + result;
      path.order.emplace_back(0, -1);
      live.assign(1, result);
    } else if (step.rhs < 0) {
      p.spec = live[ix(step.lhs)] + "->" + result;
      path.order.emplace_back(step.lhs, -1);
      live.assign(1, result);
    } else {
      p.spec = live[ix(step.lhs)] + "," + live[ix(step.rhs)] + "->" + result;
      path.order.emplace_back(step.lhs, step.rhs);
      live.erase(live.begin() + step.rhs);
      live.erase(live.begin() + step.lhs);
      live.push_back(result);
    }
    for (std::size_t i = 0; i < live.size(); ++i) p.remaining += (i ? "," : "") + live[i];
    p.remaining += "->" + out_term;
    path.steps.push_back(std::move(p));
  }
  return path;
}

/// Where the product path takes the call (for a dense destination `dest`), the
/// path becomes its one step, from the same choose_product that runs it: a spec it
/// describes, unless a GEMM-shaped pair (gemm_shaped). The cost shown is the plan's
/// estimate for the same elements.
template <class T, std::size_t N>
void show_product_path(const BoundSpec& spec, const std::array<Strided<const T>, N>& ops, const index_t* extent,
                       const Strided<T>& dest, Path& path) {
  const StaticProduct p = static_product(spec);
  if (!p.fast || gemm_shaped(static_pair(spec)) || product_path_probe.off) return;  // (off: as run_product)
  const int rank = spec.output.rank;
  std::array<index_t, max_rank> out_extent{}, out_stride{}, summed_extent{};
  index_t stride = 1;
  for (int o = rank; o-- > 0;) {
    out_extent[ix(o)] = extent[spec.output.labels[ix(o)]];
    out_stride[ix(o)] = stride;
    stride *= std::max<index_t>(out_extent[ix(o)], 1);
  }
  ProductInput<T> in[N];
  for (std::size_t k = 0; k < N; ++k) {
    const Strided<const T>& op = ops[k];
    for (std::size_t d = 0; d < ix(op.rank); ++d)
      if (op.extents[d] != extent[op.labels[d]]) return;  // size-1 broadcasting: the general path's
    describe_input<T>(
        p, k, rank, op.data, ix(op.rank), [&](std::size_t d) { return op.extents[d]; },
        [&](std::size_t d) { return op.strides[d]; }, in[k]);
    for (std::size_t l = 0; l < ix(p.summed); ++l)
      if (p.summed_axis[k][l] >= 0) summed_extent[l] = op.extents[ix(p.summed_axis[k][l])];
  }
  const ProductChoice<N> c =
      choose_product<T, N>(in, out_stride.data(), out_extent.data(), rank, summed_extent.data(), p.summed);
  if (c.kernel == ProductKernel::declined) return;
  PathStep step;
  step.product = true;
  step.kind = path.steps.size() == 1 ? path.steps[0].kind : StepKind::fused;  // (the kind of loop it is)
  step.nest = product_kernel_name(c.kernel);
  step.cost = path.cost;
  step.flops = path.optimized_flops;
  step.scaling = path.naive_scaling;
  // Strings appended piece by piece: g++ 12 -O3 flags `"," + std::string` with a false -Wrestrict.
  const auto names = display_names(spec);
  for (std::size_t k = 0; k < N; ++k) {
    if (k > 0) step.spec += ',';
    step.spec += term_string(ops[k], names);
  }
  const std::string out = term_string(dest, names);
  step.spec += "->";
  step.spec += out;
  step.remaining = out;
  step.remaining += "->";
  step.remaining += out;
  std::string& shape = step.loop_shape;
  shape = "(";
  for (int a = c.rows.rank; a-- > 0;) {
    if (shape.size() > 1) shape += ',';
    shape += std::to_string(c.rows.extent[ix(a)]);
  }
  if (c.kernel != ProductKernel::rows && c.run.rank > 0) {  // (the summed run's axes, outermost first)
    if (shape.size() > 1) shape += ',';
    shape += '[';
    for (int a = c.run.rank; a-- > 0;) {
      shape += std::to_string(c.run.extent[ix(a)]);
      if (a > 0) shape += ',';
    }
    shape += ']';
  }
  shape += ')';
  path.steps.assign(1, step);
  path.order.assign(1, {0, -1});
  path.optimized_scaling = step.scaling;
}

}  // namespace detail
}  // namespace ein
