// The loop lowering (lower/): fold's postcondition on random spaces, loop_nest
// against the reference over every nest shape (rows, reductions, tiles, N
// operands, empty sums, threads), the permutation kernel (transpose_plane) at
// every edge length, loop_nest on random strided spaces (reversed and broadcast
// axes, padded rows) against a direct sum, and the lowering the cost model picks
// for each class of einsum, as einsum_path reports it.
#ifdef _OPENMP
#include <omp.h>
#endif

#include <algorithm>
#include <vector>

#include "engine_support.hpp"
#include "ein/lower/loop_nest.hpp"

using ein::Extents;
using ein::StepKind;
using ein::Tensor;
using ein::index_t;
using ein::detail::LoopSpace;
using ein::detail::Strided;
using ein::test::check_against_reference;
using ein::test::random_tensor;

namespace {

// Every operand's offsets in the order a nest over `s` (outermost first) visits them.
std::vector<std::vector<index_t>> visit(const LoopSpace& s) {
  std::vector<std::vector<index_t>> out(static_cast<std::size_t>(s.operands));
  std::vector<index_t> at(static_cast<std::size_t>(s.rank), 0);
  for (int a = 0; a < s.rank; ++a)
    if (s.axes[static_cast<std::size_t>(a)].extent == 0) return out;
  while (true) {
    for (int k = 0; k < s.operands; ++k) {
      index_t off = 0;
      for (int a = 0; a < s.rank; ++a)
        off += at[static_cast<std::size_t>(a)] * s.axes[static_cast<std::size_t>(a)].stride[static_cast<std::size_t>(k)];
      out[static_cast<std::size_t>(k)].push_back(off);
    }
    int a = s.rank;
    while (true) {
      if (--a < 0) return out;
      if (++at[static_cast<std::size_t>(a)] < s.axes[static_cast<std::size_t>(a)].extent) break;
      at[static_cast<std::size_t>(a)] = 0;
    }
  }
}

// The first element where `got` and `want` differ by more than `epsilon` relative to
// 1 + |want| (got.size() when none does), its values in the log: one assertion per
// tensor, as one per element made the 4 MiB cases take minutes under the sanitizers.
template <class T, std::size_t R>
index_t first_apart(const Tensor<T, R>& got, const Tensor<T, R>& want, double epsilon) {
  const T* const g = got.data();
  const T* const w = want.data();
  for (index_t i = 0, n = got.size(); i < n; ++i)
    if (!(std::abs(double(g[i]) - double(w[i])) <= epsilon * (1.0 + std::abs(double(w[i]))))) {
      MESSAGE("element " << i << ": got " << g[i] << ", want " << w[i]);
      return i;
    }
  return got.size();
}

// Runs `check` with OpenMP at each of `threads` threads (as it is when `threads` is
// empty or there is no OpenMP), restoring the count after.
template <class Check>
void on_threads(std::initializer_list<int> threads, const Check& check) {
#ifdef _OPENMP
  if (threads.size() != 0) {
    struct Restore {  // (also when a check throws: later test cases see the count they started with)
      int count = omp_get_max_threads();
      ~Restore() { omp_set_num_threads(count); }
    } restore;
    for (int t : threads) {
      omp_set_num_threads(t);
      CAPTURE(t);
      check();
    }
    return;
  }
#endif
  check();
}

// einsum(spec, ops...) against the reference (computed once), and evaluate_into with
// alpha (beta 0) and with alpha and beta against the einsum, on each of `threads`.
template <class T, std::size_t RC, class... Ops>
void check_spec_on(std::initializer_list<int> threads, std::string_view spec, T alpha, T beta, const Ops&... ops) {
  const auto ref = ein::test::reference_of<T>(spec, ops...);
  on_threads(threads, [&] {
    Tensor<T, RC> c = ein::einsum(spec, ops...);
    ein::test::check_against<T>(ref, spec, c.view());
    Tensor<T, RC> start = c;
    T* const s = start.data();
    for (index_t i = 0, n = start.size(); i < n; ++i) s[i] = T(0.25) * T(i % 7);
    Tensor<T, RC> got = start;
    ein::einsum(spec, ops...).evaluate_into(got.view(), alpha, T(0));
    T* const v = c.data();
    if (beta != T(0)) {  // out = alpha * einsum + beta * out: each output element takes beta once
      Tensor<T, RC> acc = start;
      ein::einsum(spec, ops...).evaluate_into(acc.view(), alpha, beta);
      for (index_t i = 0, n = acc.size(); i < n; ++i) s[i] = beta * s[i] + alpha * v[i];
      REQUIRE(first_apart(acc, start, 1e-4) == acc.size());
    }
    for (index_t i = 0, n = c.size(); i < n; ++i) v[i] *= alpha;
    REQUIRE(first_apart(got, c, 1e-5) == got.size());
  });
}

template <class T, std::size_t RC, class... Ops>
void check_spec(std::string_view spec, T alpha, T beta, const Ops&... ops) {
  check_spec_on<T, RC>({}, spec, alpha, beta, ops...);
}

// An operand of loop_nest carrying `labels` (extents from `extent`), laid out in a
// random axis order, each axis reversed (a negative stride) or not, rows padded.
template <class T>
struct RandomOperand {
  std::vector<T> buffer;
  Strided<T> view;
};

template <class T>
RandomOperand<T> random_operand(const std::vector<int>& labels, const std::vector<index_t>& extent, std::mt19937& gen,
                                bool reversible) {
  RandomOperand<T> op;
  const int rank = static_cast<int>(labels.size());
  std::vector<int> order(labels.size());  // order[0]: the operand's innermost axis
  for (int d = 0; d < rank; ++d) order[static_cast<std::size_t>(d)] = d;
  std::shuffle(order.begin(), order.end(), gen);
  op.view.rank = rank;
  index_t step = 1, offset = 0;
  for (int d : order) {
    const auto ud = static_cast<std::size_t>(d);
    const index_t e = extent[static_cast<std::size_t>(labels[ud])];
    op.view.labels[ud] = static_cast<unsigned char>(labels[ud]);
    op.view.extents[ud] = e;
    const bool reversed = reversible && gen() % 4 == 0;
    op.view.strides[ud] = reversed ? -step : step;
    if (reversed) offset += (e - 1) * step;  // data points at the axis's last element
    step *= e + (d == order.front() ? static_cast<index_t>(gen() % 3) : 0);
  }
  op.buffer.resize(static_cast<std::size_t>(std::max<index_t>(step, 1)));
  std::uniform_real_distribution<double> dist(-1.0, 1.0);
  for (T& x : op.buffer) x = static_cast<T>(dist(gen));
  op.view.data = op.buffer.data() + offset;
  return op;
}

// Element of a view at the label positions `at`.
template <class T>
T& element(const Strided<T>& v, const std::vector<index_t>& at) {
  index_t off = 0;
  for (int d = 0; d < v.rank; ++d) off += at[v.labels[static_cast<std::size_t>(d)]] * v.strides[static_cast<std::size_t>(d)];
  return v.data[off];
}

// loop_nest(ins, out, alpha, beta) against a direct sum over every label, for
// random spaces: `labels` labels of extents drawn from `extents`, n_in inputs
// carrying random subsets, the output the first `kept` labels (all of them:
// a permutation). Returns the largest error relative to 1 + |value|.
template <class T>
double random_nest_error(std::mt19937& gen, int labels, int kept, int n_in, const std::vector<index_t>& extents) {
  std::vector<index_t> extent(static_cast<std::size_t>(labels));
  for (auto& e : extent) e = extents[gen() % extents.size()];
  std::vector<int> all(static_cast<std::size_t>(labels));
  for (int l = 0; l < labels; ++l) all[static_cast<std::size_t>(l)] = l;
  std::vector<RandomOperand<T>> ins;
  for (int k = 0; k < n_in; ++k) {
    std::vector<int> carried;  // the first input carries every label: each summed label is someone's
    for (int l : all)
      if (k == 0 || gen() % 3 != 0) carried.push_back(l);
    ins.push_back(random_operand<T>(carried, extent, gen, true));
  }
  RandomOperand<T> out = random_operand<T>(std::vector<int>(all.begin(), all.begin() + kept), extent, gen, true);
  const std::vector<T> start = out.buffer;
  const T alpha = T(gen() % 2 == 0 ? 1.0 : -1.5), beta = T(gen() % 3 == 0 ? 0.0 : 0.5);
  std::vector<Strided<const T>> views;
  for (const auto& in : ins) {
    Strided<const T> v;
    v.data = in.view.data;
    v.rank = in.view.rank;
    v.labels = in.view.labels;
    v.extents = in.view.extents;
    v.strides = in.view.strides;
    views.push_back(v);
  }
  // The direct sum, in double, into a copy of the output's buffer.
  std::vector<double> sum(out.buffer.size(), 0.0);
  Strided<double> sum_view;
  sum_view.data = sum.data() + (out.view.data - out.buffer.data());
  sum_view.rank = out.view.rank;
  sum_view.labels = out.view.labels;
  sum_view.extents = out.view.extents;
  sum_view.strides = out.view.strides;
  std::vector<index_t> at(static_cast<std::size_t>(labels), 0);
  bool empty = false;
  for (index_t e : extent) empty = empty || e == 0;
  while (!empty) {
    double product = 1;
    for (const auto& v : views) product *= double(element(v, at));
    element(sum_view, at) += product;
    int l = labels;
    while (--l >= 0 && ++at[static_cast<std::size_t>(l)] == extent[static_cast<std::size_t>(l)]) at[static_cast<std::size_t>(l)] = 0;
    if (l < 0) break;
  }
  ein::detail::loop_nest<T>(views.data(), n_in, out.view, alpha, beta);
  double worst = 0;
  std::fill(at.begin(), at.end(), 0);
  const Strided<T>& got = out.view;
  Strided<const T> before;
  before.data = start.data() + (out.view.data - out.buffer.data());
  before.rank = got.rank;
  before.labels = got.labels;
  before.extents = got.extents;
  before.strides = got.strides;
  bool kept_empty = false;
  for (int l = 0; l < kept; ++l) kept_empty = kept_empty || extent[static_cast<std::size_t>(l)] == 0;
  while (!kept_empty) {
    const double want = double(alpha) * element(sum_view, at) + double(beta) * double(element(before, at));
    worst = std::max(worst, std::abs(double(element(got, at)) - want) / (1.0 + std::abs(want)));
    int l = kept;
    while (--l >= 0 && ++at[static_cast<std::size_t>(l)] == extent[static_cast<std::size_t>(l)]) at[static_cast<std::size_t>(l)] = 0;
    if (l < 0) break;
  }
  return worst;
}

template <class... Ops>
std::vector<StepKind> lowerings(std::string_view spec, const Ops&... ops) {
  std::vector<StepKind> kinds;
  for (const ein::PathStep& s : ein::einsum_path(spec, ops...).steps) kinds.push_back(s.kind);
  return kinds;
}

}  // namespace

TEST_CASE("fold: same offsets in the same order, no size-1 axis, nothing left to merge") {
  std::mt19937 gen(7);
  for (int trial = 0; trial < 1000; ++trial) {
    LoopSpace s;
    s.operands = 1 + static_cast<int>(gen() % 4);
    s.rank = static_cast<int>(gen() % 5);
    // Row-major blocks of a few extents per operand, some axes broadcast (stride 0), some reversed.
    std::vector<index_t> extent(static_cast<std::size_t>(s.rank));
    for (auto& e : extent) e = 1 + static_cast<index_t>(gen() % 4);
    for (int k = 0; k < s.operands; ++k) {
      index_t step = 1 + static_cast<index_t>(gen() % 2);
      for (int a = s.rank; a-- > 0;) {
        auto& axis = s.axes[static_cast<std::size_t>(a)];
        axis.extent = extent[static_cast<std::size_t>(a)];
        const int kind = static_cast<int>(gen() % 6);
        axis.stride[static_cast<std::size_t>(k)] = kind == 0 ? 0 : kind == 1 ? -step : step;
        if (kind != 0) step *= axis.extent + static_cast<index_t>(gen() % 2);
      }
    }
    // fold sorts the axes: compare with the unfolded space in fold's own order.
    LoopSpace sorted = s;
    ein::detail::fold(sorted);
    LoopSpace ordered = s;
    std::stable_sort(ordered.axes.begin(), ordered.axes.begin() + ordered.rank, [&](const auto& x, const auto& y) {
      return ein::detail::stride_weight(s, x) > ein::detail::stride_weight(s, y);
    });
    CAPTURE(trial);
    REQUIRE(visit(sorted) == visit(ordered));
    for (int a = 0; a < sorted.rank; ++a) REQUIRE(sorted.axes[static_cast<std::size_t>(a)].extent > 1);
    for (int a = 1; a < sorted.rank; ++a) {
      bool merges = true;
      for (int k = 0; k < sorted.operands; ++k)
        merges = merges && sorted.axes[static_cast<std::size_t>(a - 1)].stride[static_cast<std::size_t>(k)] ==
                               sorted.axes[static_cast<std::size_t>(a)].stride[static_cast<std::size_t>(k)] *
                                   sorted.axes[static_cast<std::size_t>(a)].extent;
      REQUIRE_FALSE(merges);
    }
  }
}

TEST_CASE_TEMPLATE("loop nests: permutations, reductions, products, any operand count", T, float, double) {
  // Tiled permutations (extents past the 32 x 32 tile, and not multiples of it).
  const auto p = random_tensor<T>(Extents<3>{37, 70, 45}, 1);
  check_spec<T, 3>("ijk->kji", T(1), T(1), p);
  check_spec<T, 3>("ijk->ikj", T(2), T(0.5), p);
  check_spec<T, 3>("ijk->jki", T(-1), T(0), p);
  const auto q = random_tensor<T>(Extents<5>{3, 4, 5, 6, 7}, 2);
  check_spec<T, 5>("abcde->edcba", T(1), T(1), q);
  check_spec<T, 4>("ijkl->ljki", T(1), T(1), random_tensor<T>(Extents<4>{5, 33, 34, 6}, 3));
  // Reductions over leading, middle and trailing axes, of one and of two operands.
  const auto a = random_tensor<T>(Extents<3>{9, 40, 35}, 4), b = random_tensor<T>(Extents<3>{9, 40, 35}, 5);
  check_spec<T, 2>("ijk,ijk->jk", T(1), T(-0.5), a, b);
  check_spec<T, 2>("ijk,ijk->ik", T(1), T(1), a, b);
  check_spec<T, 2>("ijk,ijk->ij", T(1), T(1), a, b);
  check_spec<T, 1>("ijk->j", T(3), T(1), a);
  check_spec<T, 2>("ijk->kj", T(1), T(1), a);  // a tiled reduction: k is unit-stride in, i summed
  check_spec<T, 0>("ijk,ijk->", T(1), T(1), a, b);
  // N-ary Hadamard and broadcast products, in one fused nest.
  const auto x = random_tensor<T>(Extents<2>{33, 65}, 6), y = random_tensor<T>(Extents<2>{33, 65}, 7),
             z = random_tensor<T>(Extents<2>{33, 65}, 8);
  const auto u = random_tensor<T>(Extents<1>{65}, 9), v = random_tensor<T>(Extents<1>{33}, 10);
  check_spec<T, 2>("ij,ij,ij->ij", T(1), T(1), x, y, z);
  check_spec<T, 2>("ij,ij,ij,j,i->ij", T(2), T(1), x, y, z, u, v);
  check_spec<T, 1>("ij,ij,ij->i", T(1), T(1), x, y, z);
  check_spec<T, 3>("bi,ij,bj->bij", T(1), T(1), random_tensor<T>(Extents<2>{7, 33}, 11), x,
                   random_tensor<T>(Extents<2>{7, 65}, 12));
  check_spec<T, 0>("i,i,i->", T(1), T(1), u, u, u);
  // Empty sums: the result is beta * out (0 here), never stale memory.
  const auto e = random_tensor<T>(Extents<2>{4, 0}, 13);
  check_spec<T, 1>("ij->i", T(1), T(1), e);
  check_spec<T, 1>("ij,ij->i", T(1), T(1), e, e);
}

TEST_CASE_TEMPLATE("transpose_plane: every edge length, alpha and beta", T, float, double) {
  std::mt19937 gen(5);
  // Squares of 16 and 8, squares of 8 past those of 16 (floats: 24, 25, 31, 40 along u or v,
  // one side or both), the strips past them along u and along v, planes too small for squares.
  for (index_t eu : {1, 7, 8, 9, 16, 17, 24, 25, 31, 33})
    for (index_t ev : {1, 8, 15, 16, 24, 31, 40})
      for (int ab = 0; ab < 3; ++ab) {
        const T alpha = ab == 0 ? T(1) : T(2), beta = ab == 2 ? T(0.5) : T(0);
        const index_t au = ev + 3, ov = eu + 5;  // padded rows
        std::vector<T> a(static_cast<std::size_t>(eu * au)), o(static_cast<std::size_t>(ev * ov));
        for (T& x : a) x = T(gen() % 100);
        for (T& x : o) x = T(gen() % 100);
        std::vector<T> want = o;
        for (index_t u = 0; u < eu; ++u)
          for (index_t v = 0; v < ev; ++v)
            want[static_cast<std::size_t>(v * ov + u)] = alpha * a[static_cast<std::size_t>(u * au + v)] +
                                                         beta * want[static_cast<std::size_t>(v * ov + u)];
        ein::detail::transpose_plane(o.data(), ov, a.data(), au, eu, ev, alpha, beta);
        CAPTURE(eu);
        CAPTURE(ev);
        CHECK(o == want);  // (small integers: exact)
      }
}

TEST_CASE_TEMPLATE("transpose_plane streaming its output: the same answer, aligned lines streamed, others stored", T,
                   float, double) {
  std::mt19937 gen(6);
  constexpr index_t line = 64 / index_t(sizeof(T));
  // Rows padded to whole lines (so every square's row is one aligned line) or by one
  // element more (none is: cached stores), at an aligned start or one element in.
  for (index_t eu : {7, 16, 33, 40})
    for (index_t ev : {8, 17, 48})
      for (index_t pad : {index_t(0), index_t(1)})
        for (index_t shift : {index_t(0), index_t(1)}) {
          const index_t au = ev + 2, ov = (eu + line - 1) / line * line + pad;
          std::vector<T> a(static_cast<std::size_t>(eu * au));
          for (T& x : a) x = T(gen() % 100);
          ein::Tensor<T, 1> o(ev * ov + shift);  // (64-byte aligned)
          for (index_t i = 0; i < o.size(); ++i) o.data()[i] = T(gen() % 100);
          ein::Tensor<T, 1> want = o;
          for (index_t u = 0; u < eu; ++u)
            for (index_t v = 0; v < ev; ++v)
              want.data()[shift + v * ov + u] = T(3) * a[static_cast<std::size_t>(u * au + v)];
          ein::detail::transpose_plane(o.data() + shift, ov, a.data(), au, eu, ev, T(3), T(0), true);
          ein::detail::stream_fence();
          CAPTURE(eu);
          CAPTURE(ev);
          CAPTURE(pad);
          CAPTURE(shift);
          REQUIRE(std::equal(o.data(), o.data() + o.size(), want.data()));
        }
}

TEST_CASE_TEMPLATE("a permutation past stream_output_bytes (its output streamed): the reference's answer", T, float,
                   double) {
  // 67 x 130 x 65: 2.2 MB of floats, past stream_output_bytes; u (67, 65) leaves a
  // strip past the squares. alpha 2, beta 0 (streamed) and beta 0.5 (cached: it reads out).
  const auto a = random_tensor<T>(Extents<3>{67, 130, 65}, 31);
  REQUIRE(double(a.size()) * double(sizeof(T)) >= ein::detail::stream_output_bytes);
  check_spec_on<T, 3>({1, 2}, "ijk->kji", T(2), T(0.5), a);
  check_spec_on<T, 3>({1, 2}, "ijk->jki", T(1), T(0), a);
  // Into a view one element past an aligned start: no output line is aligned, none streamed.
  const auto want = ein::test::reference_of<T>("ijk->kji", a);
  ein::Tensor<T, 1> storage(a.size() + 1);
  const ein::TensorView<T, 3> shifted(storage.data() + 1, Extents<3>{65, 130, 67});
  on_threads({1, 2}, [&] {
    ein::einsum("ijk->kji", a).evaluate_into(shifted, T(1), T(0));
    ein::test::check_against<T>(want, "ijk->kji", shifted);
  });
}

TEST_CASE_TEMPLATE("transpose_plane along diagonals, output rows aliased: every square once, cached and streamed", T,
                   float, double) {
  std::mt19937 gen(8);
  // Output rows 2 cache_set_periods apart (rows_alias), 1 to 3 squares along u and
  // along v, with strips past them; alpha 3, beta 0 and 0.5 (cached), beta 0 streamed.
  const index_t ov = 2 * ein::detail::cache_set_period / index_t(sizeof(T));  // (wider than two blocks)
  REQUIRE(ein::detail::rows_alias(ov, index_t(sizeof(T))));
  // And planes of more than one block of diagonals (diagonal_block_squares a side),
  // the last blocks partial, with strips past them.
  const index_t S = 64 / index_t(sizeof(T)), block = ein::detail::diagonal_block_squares * S;
  REQUIRE(2 * block + 3 * S + 5 <= ov);
  for (index_t eu : {index_t(16), index_t(33), index_t(48), 2 * block + 3 * S + 5})
    for (index_t ev : {index_t(16), index_t(40), block + 2 * S + 7})
      for (int mode = 0; mode < 3; ++mode) {
        const T beta = mode == 1 ? T(0.5) : T(0);
        const bool stream = mode == 2;
        const index_t au = ev + 3;
        std::vector<T> a(static_cast<std::size_t>(eu * au));
        for (T& x : a) x = T(gen() % 100);
        ein::Tensor<T, 1> o(ev * ov);  // (64-byte aligned: the streamed squares' lines are)
        for (index_t i = 0; i < o.size(); ++i) o.data()[i] = T(gen() % 100);
        ein::Tensor<T, 1> want = o;
        for (index_t u = 0; u < eu; ++u)
          for (index_t v = 0; v < ev; ++v) {
            T& x = want.data()[v * ov + u];
            x = T(3) * a[static_cast<std::size_t>(u * au + v)] + beta * x;
          }
        ein::detail::transpose_plane(o.data(), ov, a.data(), au, eu, ev, T(3), beta, stream, 0, true);
        ein::detail::stream_fence();
        CAPTURE(eu);
        CAPTURE(ev);
        CAPTURE(mode);
        REQUIRE(std::equal(o.data(), o.data() + o.size(), want.data()));
      }
}

TEST_CASE_TEMPLATE("permutations with aliased output rows past stream_output_bytes: the reference's answer", T, float,
                   double) {
  // "ij->ji" of 1024 x 768 floats / 512 x 768 doubles: one plane whose output rows
  // (1024 floats, 512 doubles) are cache_set_period apart, 3 MiB: streamed, squares
  // along diagonals (and cached with beta 0.5). "ijk->kji" of 64 x 16 x 520 (floats: output rows 4 KiB apart,
  // 2.1 MB; doubles 8 KiB, 4.3 MB): whole diagonal planes at every j, streamed, where a
  // square's lines outnumber an L1 set's ways (floats); by squares or strips (doubles).
  const index_t wide = ein::detail::cache_set_period / index_t(sizeof(T));
  const auto m = random_tensor<T>(Extents<2>{wide, 768}, 34);
  REQUIRE(double(m.size()) * double(sizeof(T)) >= ein::detail::stream_output_bytes);
  check_spec_on<T, 2>({1, 2}, "ij->ji", T(2), T(0.5), m);
  const auto c = random_tensor<T>(Extents<3>{64, 16, 520}, 35);
  REQUIRE(double(c.size()) * double(sizeof(T)) >= ein::detail::stream_output_bytes);
  check_spec_on<T, 3>({1, 2}, "ijk->kji", T(2), T(0.5), c);
}

TEST_CASE("a streamed permutation in strips of stream_strip_rows: a last strip of one square and a remainder") {
  // Doubles: strips of 16 input rows are two squares of 8; u = 75 leaves a last strip
  // of 11 (one square, then 3 rows by elements). 75 x 40 x 100 doubles: 2.4 MB, streamed.
  const auto a = random_tensor<double>(Extents<3>{75, 40, 100}, 33);
  REQUIRE(double(a.size()) * double(sizeof(double)) >= ein::detail::stream_output_bytes);
  REQUIRE(ein::detail::stream_strip_rows == 16);
  check_spec_on<double, 3>({1, 2}, "ijk->kji", 2.0, 0.0, a);
}

TEST_CASE_TEMPLATE("permutations whose output row is shorter than a line: grouped squares, the reference's answer", T,
                   float, double) {
  // The output's unit axis (a) is 2, 4 or 8 long; the axis after it in the output (b)
  // fills the line in groups, with some left over (b = 5, 9); e is the input's unit
  // axis, with part of a square left over (20, 37). The largest (8 x 16 x 16 x 16 x 32,
  // 4 MiB of floats) streams; alpha and beta as check_spec sets them.
  for (const auto& e : {Extents<5>{8, 16, 16, 16, 32}, Extents<5>{4, 9, 3, 5, 20}, Extents<5>{2, 16, 2, 3, 37},
                        Extents<5>{8, 5, 4, 3, 16}, Extents<5>{4, 4, 4, 4, 64}}) {
    CAPTURE(e[0]);
    CAPTURE(e[1]);
    const auto a = random_tensor<T>(e, 51);
    check_spec_on<T, 5>({1, 2}, "abcde->edcba", T(2), T(0.5), a);
    check_spec_on<T, 5>({1, 2}, "abcde->ecdba", T(1), T(0), a);
    check_spec_on<T, 5>({1, 2}, "abcde->dceba", T(1), T(0), a);
  }
  // The grouped walk itself: a = 8 floats or 4 doubles (half a line), into a view
  // one element in (no line aligned: cached stores).
  const index_t half = 32 / index_t(sizeof(T));
  const auto a = random_tensor<T>(Extents<4>{half, 6, 7, 24}, 52);
  ein::Tensor<T, 1> storage(a.size() + 1);
  const ein::TensorView<T, 4> shifted(storage.data() + 1, Extents<4>{24, 7, 6, half});
  ein::einsum("abcd->dcba", a).evaluate_into(shifted, T(1), T(0));
  check_against_reference<T>("abcd->dcba", shifted, a);
}

TEST_CASE_TEMPLATE("transpose_grouped_plane: every edge, alpha and beta", T, float, double) {
  std::mt19937 gen(7);
  constexpr index_t line = 64 / index_t(sizeof(T));
  for (index_t eu : {index_t(2), line / 2})
    for (index_t ew : {line / eu, line / eu + 1, 3 * line / eu - 1})
      for (index_t ev : {line, line + 3, 2 * line})
        for (T beta : {T(0), T(2)}) {
          const index_t au = ew * (ev + 1), aw = ev + 1, ov = eu * ew + 5;
          std::vector<T> a(static_cast<std::size_t>(eu * au)), o(static_cast<std::size_t>(ev * ov));
          for (T& x : a) x = T(gen() % 100);
          for (T& x : o) x = T(gen() % 100);
          std::vector<T> want = o;
          for (index_t u = 0; u < eu; ++u)
            for (index_t w = 0; w < ew; ++w)
              for (index_t v = 0; v < ev; ++v) {
                T& x = want[static_cast<std::size_t>(v * ov + w * eu + u)];
                x = T(3) * a[static_cast<std::size_t>(u * au + w * aw + v)] + beta * x;
              }
          ein::detail::transpose_grouped_plane(o.data(), ov, a.data(), au, aw, eu, line / eu, ew, ev, T(3), beta);
          CAPTURE(eu);
          CAPTURE(ew);
          CAPTURE(ev);
          CHECK(o == want);  // (small integers: exact)
        }
}

TEST_CASE_TEMPLATE("products past stream_rows_bytes (their rows streamed): the reference's answer", T, float, double) {
  // Outputs of 4 MiB and more in float: an outer product, a broadcast product of
  // three, a Hadamard product of three (one folded row); rows of 1031, so no row
  // after the first starts on a vector boundary. beta 0.5 (the output read: cached)
  // and a view one element in (no aligned start) as well.
  const auto x = random_tensor<T>(Extents<1>{1031}, 41), y = random_tensor<T>(Extents<1>{1031}, 42);
  const auto bi = random_tensor<T>(Extents<2>{4, 1031}, 43), ij = random_tensor<T>(Extents<2>{1031, 1031}, 44);
  const auto bj = random_tensor<T>(Extents<2>{4, 1031}, 45), ij2 = random_tensor<T>(Extents<2>{1031, 1031}, 46);
  REQUIRE(double(ij.size()) * double(sizeof(T)) >= ein::detail::stream_rows_bytes);
  check_spec_on<T, 2>({1, 2}, "i,j->ij", T(2), T(0.5), x, y);
  check_spec_on<T, 3>({1, 2}, "bi,ij,bj->bij", T(1), T(0.5), bi, ij, bj);
  check_spec_on<T, 2>({1, 2}, "ij,ij,ij->ij", T(1), T(0), ij, ij2, ij);
  const auto want = ein::test::reference_of<T>("i,j->ij", x, y);
  ein::Tensor<T, 1> storage(ij.size() + 1);
  const ein::TensorView<T, 2> shifted(storage.data() + 1, Extents<2>{1031, 1031});
  on_threads({1, 2}, [&] {
    ein::einsum("i,j->ij", x, y).evaluate_into(shifted, T(1), T(0));
    ein::test::check_against<T>(want, "i,j->ij", shifted);
  });
}

TEST_CASE("stream_pays: never below the kernel's floor, always past the measured classes, one answer per class") {
  using ein::detail::StreamPolicy;
  CHECK(ein::detail::parse_stream_policy(nullptr) == StreamPolicy::automatic);
  CHECK(ein::detail::parse_stream_policy("auto") == StreamPolicy::automatic);
  CHECK(ein::detail::parse_stream_policy("never") == StreamPolicy::never);
  CHECK(ein::detail::parse_stream_policy("always") == StreamPolicy::always);
  CHECK(ein::detail::parse_stream_policy("sometimes") == StreamPolicy::automatic);
  const double floor = ein::detail::stream_rows_bytes;
  CHECK_FALSE(ein::detail::stream_pays(floor / 2, floor));  // below the floor, whatever the policy
  const auto policy = ein::detail::stream_policy();
  const bool huge = ein::detail::stream_pays(double(ein::index_t(1) << 30), floor);
  CHECK(huge == (ein::detail::can_stream_stores && policy != StreamPolicy::never));
  // A class gives one answer, measured once: the same for 4 MiB and 7 MiB (class 2^22).
  const bool first = ein::detail::stream_pays(double(4 << 20), floor);
  for (int i = 0; i < 3; ++i) CHECK(ein::detail::stream_pays(double(7 << 20), floor) == first);
  if (policy == StreamPolicy::always) CHECK(first == ein::detail::can_stream_stores);
  if (policy == StreamPolicy::never) CHECK_FALSE(first);
  // Reading output-sized inputs is measured apart, one answer per count; more than
  // measured_inputs count as that many.
  const int most = ein::detail::measured_inputs;
  for (int inputs = 1; inputs <= most; ++inputs) {
    CAPTURE(inputs);
    const bool reading = ein::detail::stream_pays(double(4 << 20), floor, inputs);
    CHECK(ein::detail::stream_pays(double(7 << 20), floor, inputs) == reading);
    CHECK_FALSE(ein::detail::stream_pays(floor / 2, floor, inputs));
    if (policy == StreamPolicy::always) CHECK(reading == ein::detail::can_stream_stores);
    if (policy == StreamPolicy::never) CHECK_FALSE(reading);
  }
  CHECK(ein::detail::stream_pays(double(4 << 20), floor, most + 2) ==
        ein::detail::stream_pays(double(4 << 20), floor, most));
}

TEST_CASE("LoopSpace::output_sized_inputs: the inputs' elements over the output's, rounded") {
  LoopSpace s{};
  s.operands = 3;  // "ij,ij->ij", 4 x 8: both inputs walk both axes
  s.rank = 2;
  s.axes[0].extent = 4;
  s.axes[0].stride = {8, 8, 8};
  s.axes[1].extent = 8;
  s.axes[1].stride = {1, 1, 1};
  CHECK(s.output_sized_inputs() == 2);
  s.axes[0].stride[2] = 0;  // "ij,j->ij": 32 + 8 elements read, 32 written
  CHECK(s.output_sized_inputs() == 1);
  s.axes[0].stride = {8, 1, 0};  // "i,j->ij": 4 + 8
  s.axes[1].stride = {1, 0, 1};
  CHECK(s.output_sized_inputs() == 0);
  s.operands = 2;  // "ij->i": j summed, 32 read into 4
  s.axes[0].stride = {1, 8, 0};
  s.axes[1].stride = {0, 1, 0};
  CHECK(s.output_sized_inputs() == 8);
  s.axes[1].extent = ein::index_t(1) << 40;  // "ij->i" summing 2^40 a row: capped, not an overflowed int
  CHECK(s.output_sized_inputs() == 1 << 20);
  s.axes[0].extent = 0;  // nothing written
  CHECK(s.output_sized_inputs() == 0);
}

TEST_CASE_TEMPLATE("loop_nest on random strided spaces: permutations and reductions, reversed and broadcast axes", T,
                   float, double) {
  std::mt19937 gen(11);
  const double tolerance = sizeof(T) == 4 ? 1e-4 : 1e-10;
  // Permutations of rank 3-5: squares of 16 and 8, the strips they leave, reversed axes (other nests).
  for (int trial = 0; trial < 90; ++trial) {
    const int rank = 3 + trial % 3;
    const std::vector<index_t> extents = rank == 3   ? std::vector<index_t>{1, 8, 9, 16, 17, 40}
                                         : rank == 4 ? std::vector<index_t>{2, 8, 16, 19}
                                                     : std::vector<index_t>{2, 3, 8, 9};
    CAPTURE(trial);
    REQUIRE(random_nest_error<T>(gen, rank, rank, 1, extents) < tolerance);
  }
  // Reductions and products, some labels summed: summed rows beside kept axes, short and long
  // rows (sum_lanes' tree past 32 floats), broadcast inputs (stride 0 along kept axes).
  for (int trial = 0; trial < 300; ++trial) {
    const int labels = 2 + trial % 3, kept = 1 + static_cast<int>(gen() % static_cast<unsigned>(labels - 1));
    const int n_in = 1 + trial % 3;
    const std::vector<index_t> extents =
        labels < 4 ? std::vector<index_t>{1, 3, 4, 5, 9, 33, 70} : std::vector<index_t>{1, 3, 5, 9, 17};
    CAPTURE(trial);
    REQUIRE(random_nest_error<T>(gen, labels, kept, n_in, extents) < tolerance);
  }
}

TEST_CASE_TEMPLATE("loop nests split across threads give the serial answer", T, float, double) {
  // (Each nest just past parallel_loop_elements, volume x operands: the reference
  // that checks it is the test's cost under the sanitizers.)
  const auto a = random_tensor<T>(Extents<3>{32, 130, 129}, 21), b = random_tensor<T>(Extents<3>{32, 130, 129}, 22);
  check_spec_on<T, 3>({2}, "ijk->kji", T(1), T(1), a);
  check_spec_on<T, 2>({2}, "ijk,ijk->jk", T(1), T(-0.5), a, b);
  check_spec_on<T, 2>({2}, "ijk,ijk->ik", T(1), T(1), a, b);
  check_spec_on<T, 1>({2}, "ijk,ijk->i", T(1), T(1), a, b);
  check_spec_on<T, 3>({2}, "ijk,ijk,ijk->ijk", T(1), T(1), a, b, a);
  // Permutations whose u or v is shorter than 16 (squares of 8), a batched GEMV.
  check_spec_on<T, 4>({2}, "ijkl->ljki", T(1), T(0.5), random_tensor<T>(Extents<4>{12, 33, 32, 70}, 23));
  check_spec_on<T, 5>({2}, "abcde->edcba", T(2), T(1), random_tensor<T>(Extents<5>{8, 17, 16, 9, 33}, 24));
  check_spec_on<T, 2>({2}, "bij,bj->bi", T(1), T(1), a, random_tensor<T>(Extents<2>{32, 129}, 25));
  // Full reductions: no kept axis, so the threads add partial sums.
  check_spec_on<T, 0>({2}, "ijk,ijk->", T(1), T(0.5), a, b);
  check_spec_on<T, 0>({2}, "ijk->", T(2), T(1), a);
  check_spec_on<T, 0>({2}, "i,i->", T(1), T(1), random_tensor<T>(Extents<1>{1 << 19}, 26),
                      random_tensor<T>(Extents<1>{1 << 19}, 27));
}

TEST_CASE("a nest's split across threads leaves work for every thread, its row untiled or not") {
  // (Before split_grain, an untiled axis was cut in steps of its whole extent: a
  // contiguous Hadamard product, folded to one row, or a row sum "ij->i", whose kept
  // axis is untiled, ran on one thread.)
  LoopSpace hadamard;
  hadamard.operands = 3;
  hadamard.rank = 1;
  hadamard.axes[0].extent = index_t(1) << 20;
  hadamard.axes[0].stride = {};
  hadamard.axes[0].stride[0] = hadamard.axes[0].stride[1] = hadamard.axes[0].stride[2] = 1;
  auto nest = ein::detail::order_nest(hadamard, 4);
  CHECK(hadamard.axes[0].extent / ein::detail::split_grain(hadamard, nest, 0) >= 2);
  LoopSpace row_sum;
  row_sum.operands = 2;
  row_sum.rank = 2;
  row_sum.axes[0].extent = row_sum.axes[1].extent = 1024;
  row_sum.axes[0].stride = row_sum.axes[1].stride = {};
  row_sum.axes[0].stride[0] = 1, row_sum.axes[0].stride[1] = 1024;  // i: kept
  row_sum.axes[1].stride[1] = 1;                                     // j: summed
  nest = ein::detail::order_nest(row_sum, 4);
  REQUIRE(row_sum.axes[0].stride[0] == 1);  // i outside, j the row
  CHECK(ein::detail::split_grain(row_sum, nest, 0) == 1);
  CHECK(ein::detail::split_grain(row_sum, nest, 1) == 64);  // (a row cut in whole cache lines)
}

TEST_CASE("a permutation with a half-line output row groups it with the next output axis") {
  // "abcd->dcba", a = 8 floats (half a line), 16 x 16 x 32: u = a, grouped in pairs
  // of b (the output's next axis, stride 8), v = d (the input's unit axis).
  LoopSpace s;
  s.operands = 2;
  s.rank = 4;
  const index_t extent[4] = {8, 16, 16, 32};
  const index_t in_stride[4] = {16 * 16 * 32, 16 * 32, 32, 1}, out_stride[4] = {1, 8, 8 * 16, 8 * 16 * 16};
  for (std::size_t a = 0; a < 4; ++a) {
    s.axes[a].extent = extent[a];
    s.axes[a].stride = {};
    s.axes[a].stride[0] = out_stride[a], s.axes[a].stride[1] = in_stride[a];
  }
  const auto nest = ein::detail::order_nest(s, 4);
  CHECK(nest.transpose);
  CHECK(nest.group == 2);
  CHECK(s.axes[3].extent == 8);   // u: a
  CHECK(s.axes[2].stride[1] == 1);  // v: d
  CHECK(s.axes[1].stride[0] == 8);  // w: b
  CHECK(ein::detail::split_grain(s, nest, 1) == 2);
}

TEST_CASE("a permutation whose output rows crowd a few L1 sets walks diagonals, streamed past the floor whatever was measured") {
  // "ij->ji" of rows x cols floats: the output's rows are `rows` floats apart.
  const auto transpose_space = [](index_t rows, index_t cols) {
    LoopSpace s;
    s.operands = 2;
    s.rank = 2;
    s.axes[0].extent = rows, s.axes[1].extent = cols;
    s.axes[0].stride = s.axes[1].stride = {};
    s.axes[0].stride[0] = 1, s.axes[0].stride[1] = cols;  // i: the output's unit axis
    s.axes[1].stride[0] = rows, s.axes[1].stride[1] = 1;  // j: the input's
    return s;
  };
  const bool can_stream =
      ein::detail::can_stream_stores && ein::detail::stream_policy() != ein::detail::StreamPolicy::never;
  LoopSpace s = transpose_space(1024, 1024);  // 4 KiB rows, 4 MiB: aliased, past the floor
  auto nest = ein::detail::order_nest(s, 4);
  CHECK(nest.transpose);
  CHECK(nest.diagonal);
  CHECK(nest.stream == can_stream);
  s = transpose_space(1024, 256);  // aliased, 1 MiB: below the floor, cached
  nest = ein::detail::order_nest(s, 4);
  CHECK(nest.diagonal);
  CHECK_FALSE(nest.stream);
  s = transpose_space(1920, 1024);  // 7.5 KiB rows: not aliased, along rows
  nest = ein::detail::order_nest(s, 4);
  CHECK(nest.transpose);
  CHECK_FALSE(nest.diagonal);
  // Rows whose squares start in diagonal_plane_sets L1 sets or fewer go along
  // diagonals too: 2 KiB (2 sets), 3 KiB (4); 2.5 KiB (8) along rows; 1023 floats
  // (not whole lines apart) along rows.
  for (index_t rows : {512, 768, 1536}) {
    s = transpose_space(rows, 512);
    CHECK(ein::detail::order_nest(s, 4).diagonal);
  }
  for (index_t rows : {640, 1023}) {
    s = transpose_space(rows, 512);
    CHECK_FALSE(ein::detail::order_nest(s, 4).diagonal);
  }
  s = transpose_space(256, 256);  // doubles: 2 KiB rows
  CHECK(ein::detail::order_nest(s, 8).diagonal);
  // "ijk->kji" of 128^3: output rows 64 KiB apart, squares of 16 floats overflow an
  // L1 set (diagonal planes); squares of 8 doubles fit (by squares, or strips).
  const auto reversal = [] {
    LoopSpace r;
    r.operands = 2;
    r.rank = 3;
    for (std::size_t a = 0; a < 3; ++a) {
      r.axes[a].extent = 128;
      r.axes[a].stride = {};
      r.axes[a].stride[0] = index_t(1) << (7 * a);        // i, j, k in the output: 1, 128, 128^2
      r.axes[a].stride[1] = index_t(1) << (7 * (2 - a));  // in the input: 128^2, 128, 1
    }
    return r;
  };
  s = reversal();
  CHECK(ein::detail::order_nest(s, 4).diagonal);
  s = reversal();
  nest = ein::detail::order_nest(s, 8);
  CHECK(nest.transpose);
  CHECK_FALSE(nest.diagonal);
}

TEST_CASE("a batch of planes (\"bij->bji\") walks each plane whole, along diagonals where its rows crowd a few sets") {
  // Output rows of `rows` floats, `batch` planes of rows x cols.
  const auto batch_space = [](index_t batch, index_t rows, index_t cols) {
    LoopSpace s;
    s.operands = 2;
    s.rank = 3;
    s.axes[0].extent = batch, s.axes[1].extent = rows, s.axes[2].extent = cols;
    for (auto& a : s.axes) a.stride = {};
    s.axes[0].stride[0] = s.axes[0].stride[1] = rows * cols;  // b
    s.axes[1].stride[0] = 1, s.axes[1].stride[1] = cols;      // i: the output's unit axis
    s.axes[2].stride[0] = rows, s.axes[2].stride[1] = 1;      // j: the input's
    return s;
  };
  for (index_t rows : {512, 1024}) {  // 2 KiB (2 sets), 4 KiB (1)
    LoopSpace s = batch_space(4, rows, 512);
    CHECK(ein::detail::planes_apart(s));
    const auto nest = ein::detail::order_nest(s, 4);
    CHECK(nest.transpose);
    CHECK_FALSE(nest.by_square);
    CHECK(nest.diagonal);
  }
  LoopSpace spread = batch_space(4, 640, 512);  // 2.5 KiB: 8 sets, along rows
  auto nest = ein::detail::order_nest(spread, 4);
  CHECK_FALSE(nest.by_square);
  CHECK_FALSE(nest.diagonal);
  // The batch axis between the plane's rows ("ijk->kji"-like: b 4 apart in a row of 4 * 1024): by squares.
  LoopSpace interleaved = batch_space(4, 1024, 512);
  interleaved.axes[0].stride[0] = interleaved.axes[0].stride[1] = 1;
  interleaved.axes[1].stride[0] = 4, interleaved.axes[1].stride[1] = 4 * 512;
  interleaved.axes[2].stride[0] = 4 * 1024, interleaved.axes[2].stride[1] = 4;
  CHECK_FALSE(ein::detail::planes_apart(interleaved));
}

TEST_CASE_TEMPLATE("batches of planes: the reference's answer, cached and streamed, on 1 and 2 threads", T, float,
                   double) {
  // Output rows of 2 KiB (crowded: diagonal planes) and of 4 KiB; 4 planes, 2.3 and
  // 4.7 MiB in all (streamed past stream_output_bytes, diagonal), and 3 of 20 rows (cached).
  const index_t two_kib = 2048 / index_t(sizeof(T)), four_kib = 2 * two_kib;
  for (index_t rows : {two_kib, four_kib}) {
    const auto large = random_tensor<T>(Extents<3>{4, 300, rows}, 71);
    REQUIRE(double(large.size()) * double(sizeof(T)) >= ein::detail::stream_output_bytes);
    check_spec_on<T, 3>({1, 2}, "bij->bji", T(2), T(0.5), large);
    const auto small = random_tensor<T>(Extents<3>{3, 20, rows}, 72);
    check_spec_on<T, 3>({1, 2}, "bij->bji", T(1), T(0), small);
  }
}

TEST_CASE("sets_of_rows: the L1 sets a square's rows start in, where they are whole lines apart") {
  using ein::detail::sets_of_rows;
  CHECK(sets_of_rows(1024, 4, 16) == 1);  // 4 KiB apart: one set (rows_alias)
  CHECK(sets_of_rows(-1024, 4, 16) == 1);
  CHECK(sets_of_rows(512, 4, 16) == 2);  // 2 KiB
  CHECK(sets_of_rows(768, 4, 16) == 4);  // 3 KiB
  CHECK(sets_of_rows(640, 4, 16) == 8);  // 2.5 KiB
  CHECK(sets_of_rows(1200, 4, 16) == 16);
  CHECK(sets_of_rows(256, 8, 8) == 2);
  CHECK(sets_of_rows(1023, 4, 16) == 16);  // not whole lines apart: spread
  CHECK(sets_of_rows(0, 4, 16) == 16);
  using ein::detail::sets_of_row_starts;  // (any rows: where their first elements fall)
  CHECK(sets_of_row_starts(1023, 4, 16) == 2);
  CHECK(sets_of_row_starts(1022, 4, 16) == 3);
  CHECK(sets_of_row_starts(1020, 4, 16) == 5);
  CHECK(sets_of_row_starts(1000, 4, 16) == 16);
  CHECK(sets_of_row_starts(1024, 4, 16) == 1);
}

TEST_CASE("the cost model: loops for dots, GEMVs and Hadamard products, GEMMs where they reuse data") {
  const Tensor<float, 2> sq(256, 256), tall(4096, 512);
  const Tensor<float, 1> vec(256), long_vec(1 << 20);
  const Tensor<float, 3> cube(64, 64, 64);
  const Tensor<float, 2> rows(64, 256);
  CHECK(lowerings("i,i->", long_vec, long_vec) == std::vector{StepKind::loop});
  CHECK(lowerings("ij,ij->", sq, sq) == std::vector{StepKind::loop});
  CHECK(lowerings("ij,j->i", sq, vec) == std::vector{StepKind::loop});
  CHECK(lowerings("ji,j->i", sq, vec) == std::vector{StepKind::loop});
  CHECK(lowerings("ijk,ijk->ik", cube, cube) == std::vector{StepKind::loop});
  CHECK(lowerings("bij,bj->bi", cube, Tensor<float, 2>(64, 64)) == std::vector{StepKind::loop});
  CHECK(lowerings("ij,ij,ij->ij", sq, sq, sq) == std::vector{StepKind::fused});
  CHECK(lowerings("bi,ij,bj->bij", rows, sq, rows) == std::vector{StepKind::fused});
  CHECK(lowerings("ij,jk->ik", sq, sq) == std::vector{StepKind::gemm});
  CHECK(lowerings("ij,jk->ik", Tensor<float, 2>(4, 4), Tensor<float, 2>(4, 4)) == std::vector{StepKind::gemm});
  CHECK(lowerings("bij,bjk->bik", cube, cube) == std::vector{StepKind::batched_gemm});
  CHECK(lowerings("bi,ij,bj->b", Tensor<float, 2>(128, 256), sq, Tensor<float, 2>(128, 256)) ==
        std::vector{StepKind::gemm, StepKind::loop});
  // Tucker mode products and MTTKRP stay pairwise GEMMs: a fused nest would repeat their multiply-adds.
  const Tensor<float, 2> factor(32, 64);
  for (StepKind k : lowerings("ijk,ai,bj,ck->abc", cube, factor, factor, factor)) CHECK(k == StepKind::gemm);
  const auto mttkrp = lowerings("ijk,jr,kr->ir", Tensor<float, 3>(128, 128, 128), Tensor<float, 2>(128, 32),
                                Tensor<float, 2>(128, 32));
  CHECK(mttkrp.size() == 2);
  CHECK(mttkrp.back() == StepKind::gemm);
  (void)tall;
}

TEST_CASE_TEMPLATE("a 1x1 convolution: a GEMM per image over the strides, the answer of the reference", T, float, double) {
  const auto x = random_tensor<T>(Extents<4>{3, 8, 5, 7}, 31);
  const auto w = random_tensor<T>(Extents<2>{6, 8}, 32);
  check_spec<T, 4>("nchw,kc->nkhw", T(1), T(1), x, w);
  check_spec<T, 4>("nchw,kc->nkhw", T(1), T(1), random_tensor<T>(Extents<4>{4, 64, 12, 12}, 33),
                   random_tensor<T>(Extents<2>{32, 64}, 34));
  check_spec<T, 4>("nhwc,kc->nkhw", T(1), T(1), random_tensor<T>(Extents<4>{4, 12, 12, 64}, 35),
                   random_tensor<T>(Extents<2>{32, 64}, 36));
}

TEST_CASE("einsum_path shows each GEMM as it runs: one per image for a 1x1 convolution, the copies a permuted K needs") {
  const Tensor<float, 4> x(32, 64, 28, 28), a(8, 8, 8, 8);
  const Tensor<float, 2> w(64, 64);
  const auto conv = ein::einsum_path("nchw,kc->nkhw", x, w).steps;
  REQUIRE(conv.size() == 1);
  CHECK(conv[0].batch == 32);  // a GEMM per image over the strides,
  CHECK(conv[0].m * conv[0].n == 784 * 64);
  CHECK(conv[0].k == 64);
  CHECK(conv[0].copies == 0);  // and no copy
  const auto permuted = ein::einsum_path("acbd,dcef->abfe", a, a).steps;
  REQUIRE(permuted.size() == 1);
  CHECK(permuted[0].batch == 1);  // no split where a copy is needed anyway
  CHECK(permuted[0].copies == 2);
}

TEST_CASE_TEMPLATE("broadcast products in reuse blocks (block_for_reuse): the reference's answer, as einsum_path shows",
                   T, float, double) {
  // W (i x j) stays along b and is larger than reuse_input_bytes: b splits into blocks
  // walked just outside the row. b = 12 (in float one block: b moves inside whole), 30
  // (blocks of a divisor), 13 (prime, longer than a block: in order); alpha and beta,
  // one walking input ("bi,ij->bij") and three staying ("...,b,i->bij").
  // (The product path takes calls this small, in order: off, the general path's nest runs.)
  ein::detail::product_path_probe.off = true;
  const auto w = random_tensor<T>(Extents<2>{64, 160}, 51);
  REQUIRE(double(w.size()) * double(sizeof(T)) > ein::detail::reuse_input_bytes);
  for (index_t b : {12, 30, 13}) {
    CAPTURE(b);
    const auto x = random_tensor<T>(Extents<2>{b, 64}, 52), y = random_tensor<T>(Extents<2>{b, 160}, 53);
    const auto s = random_tensor<T>(Extents<1>{b}, 54), t = random_tensor<T>(Extents<1>{64}, 55);
    check_spec_on<T, 3>({1, 2}, "bi,ij,bj->bij", T(1), T(0), x, w, y);
    check_spec_on<T, 3>({1, 2}, "bi,ij,bj->bij", T(2), T(0.5), x, w, y);
    check_spec_on<T, 3>({1, 2}, "bi,ij->bij", T(1), T(1), x, w);
    check_spec_on<T, 3>({1, 2}, "bi,ij,bj,b,i->bij", T(1), T(0.5), x, w, y, s, t);
    const auto steps = ein::einsum_path("bi,ij,bj->bij", x, w, y).steps;
    REQUIRE(steps.size() == 1);
    CHECK(steps[0].nest.find(b == 13 ? "unit rows" : "unit rows, reuse blocks of") == 0);
    if (b == 13) CHECK(steps[0].nest == "unit rows");
  }
  // A W that L1 keeps, or one that stays only along the row's neighbour: in order, no
  // blocks. One input walking b (y) and W staying: blocks.
  const auto small = random_tensor<T>(Extents<2>{8, 16}, 56);
  const auto path = ein::einsum_path("bi,ij,bj->bij", random_tensor<T>(Extents<2>{30, 8}, 57), small,
                                     random_tensor<T>(Extents<2>{30, 16}, 58));
  CHECK(path.steps[0].nest == "unit rows");
  CHECK(ein::einsum_path("ib,ij->ibj", random_tensor<T>(Extents<2>{64, 30}, 60), w).steps[0].nest == "unit rows");
  CHECK(ein::einsum_path("ij,bj->bij", w, random_tensor<T>(Extents<2>{30, 160}, 59)).steps[0].nest.find("reuse") !=
        std::string::npos);
  ein::detail::product_path_probe.off = false;
}

TEST_CASE_TEMPLATE("products of four inputs that disagree on the unit-stride axis: packed tiles", T, float, double) {
  // Past crossed squares' three inputs: b walks i unit-stride and jumps along j, the
  // others the other way, and each tile moves b's part into a buffer first
  // (packed_tile_input); extents past the tile and not multiples of it, alpha and
  // beta, 1 to 3 threads, sums, a reversed operand (a negative stride), a batch.
  ein::detail::product_path_probe.off = true;
  for (const index_t nj : {index_t(45), index_t(97)}) {
    const index_t ni = 70;
    CAPTURE(nj);
    const auto a = random_tensor<T>(Extents<2>{ni, nj}, 61), b = random_tensor<T>(Extents<2>{nj, ni}, 62);
    const auto c = random_tensor<T>(Extents<2>{ni, nj}, 63), d = random_tensor<T>(Extents<2>{ni, nj}, 64);
    check_spec_on<T, 2>({1, 2, 3}, "ij,ji,ij,ij->ij", T(1), T(-1), a, b, c, d);
    check_spec_on<T, 0>({1, 2}, "ij,ji,ij,ij->", T(2), T(0.5), a, b, c, d);
    check_spec_on<T, 1>({1, 2}, "ij,ji,ij,ij->i", T(1), T(0), a, b, c, d);
    const ein::TensorView<const T, 2> reversed(b.data() + (nj - 1) * ni, Extents<2>{nj, ni}, {-ni, 1});
    check_spec_on<T, 2>({1}, "ij,ji,ij,ij->ij", T(1), T(0), a, reversed, c, d);
    CHECK(ein::einsum_path("ij,ji,ij,ij->ij", a, b, c, d).steps[0].nest == "packed tile rows");
  }
  const auto x = random_tensor<T>(Extents<3>{3, 40, 50}, 65), y = random_tensor<T>(Extents<3>{3, 50, 40}, 66);
  check_spec_on<T, 2>({1, 2}, "bij,bji,bij,bij->bi", T(1), T(0.5), x, y, x, x);
  // Below a tile (no tiling): not packed.
  const auto small = random_tensor<T>(Extents<2>{16, 16}, 67);
  CHECK(ein::einsum_path("ij,ji,ij,ij->ij", small, small, small, small).steps[0].nest != "packed tile rows");
  ein::detail::product_path_probe.off = false;
}

TEST_CASE("crossed_walk_of: diagonals where every operand's rows crowd a few L1 sets, not only where they alias") {
  // "ij,ji->ij" of n x n floats: u = j (the output and a unit-stride, b n apart), v = i.
  const auto crossed_space = [](index_t n) {
    LoopSpace s;
    s.operands = 3;
    s.rank = 2;
    s.axes[0].extent = s.axes[1].extent = n;
    s.axes[0].stride = s.axes[1].stride = {};
    s.axes[0].stride[0] = n, s.axes[0].stride[1] = n, s.axes[0].stride[2] = 1;  // v: i
    s.axes[1].stride[0] = 1, s.axes[1].stride[1] = 1, s.axes[1].stride[2] = n;  // u: j
    return s;
  };
  using ein::detail::CrossedWalk;
  for (index_t n : {512, 768, 1024}) {  // rows of 2, 3, 4 KiB: 2, 4, 1 sets a square
    const LoopSpace s = crossed_space(n);
    CHECK(ein::detail::crossed_walk_of(s, ein::detail::crossed_inputs(s), 4, false) == CrossedWalk::diagonals);
  }
  const LoopSpace spread = crossed_space(640);  // 2.5 KiB: 8 sets
  CHECK(ein::detail::crossed_walk_of(spread, ein::detail::crossed_inputs(spread), 4, false) == CrossedWalk::b_rows);
}

TEST_CASE("walk_squares: every square of a plane once, in every walk, blocks of diagonals whole and partial") {
  using ein::detail::CrossedWalk;
  constexpr int S = 16;
  constexpr index_t block = ein::detail::crossed_diagonal_block_squares;
  for (index_t strips : {index_t(1), index_t(5), block, block + 1, 2 * block + 7})
    for (index_t squares_v : {index_t(1), index_t(3), block, 2 * block + 5})
      for (CrossedWalk walk : {CrossedWalk::b_rows, CrossedWalk::a_rows, CrossedWalk::diagonals}) {
        std::vector<int> seen(static_cast<std::size_t>(strips * squares_v));
        bool in_plane = true;
        ein::detail::walk_squares<S>(walk, strips, squares_v * S, [&](index_t q, index_t v) {
          in_plane = in_plane && q >= 0 && q < strips && v >= 0 && v % S == 0 && v / S < squares_v;
          if (in_plane) ++seen[static_cast<std::size_t>(q * squares_v + v / S)];
        });
        CAPTURE(strips);
        CAPTURE(squares_v);
        CAPTURE(int(walk));
        REQUIRE(in_plane);
        CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));
      }
}

TEST_CASE_TEMPLATE("crossed_plane and crossed_sum: every edge length, every walk, alpha and beta", T, float, double) {
  using ein::detail::CrossedWalk;
  std::mt19937 gen(7);
  constexpr index_t S = 64 / index_t(sizeof(T));
  // Whole squares, the rows and columns past them, planes too small for one square.
  for (index_t eu : {index_t(1), S - 1, S, S + 1, 2 * S + 3})
    for (index_t ev : {index_t(1), S, S + 5, 3 * S})
      for (int ab = 0; ab < 3; ++ab)
        for (CrossedWalk walk : {CrossedWalk::b_rows, CrossedWalk::a_rows, CrossedWalk::diagonals}) {
          const T alpha = ab == 0 ? T(1) : T(2), beta = ab == 2 ? T(0.5) : T(0);
          const index_t av = eu + 3, bu = ev + 2, ov = eu + 5;  // padded rows
          std::vector<T> a(static_cast<std::size_t>(ev * av)), b(static_cast<std::size_t>(eu * bu));
          std::vector<T> o(static_cast<std::size_t>(ev * ov)), sums(static_cast<std::size_t>(2 * eu)), total(1);
          for (T& x : a) x = T(gen() % 16);
          for (T& x : b) x = T(gen() % 16);
          for (T& x : o) x = T(gen() % 16);
          for (T& x : sums) x = T(gen() % 16);
          total[0] = T(3);
          std::vector<T> want = o, want_sums = sums, want_total = total;
          const auto at = [](index_t i) { return static_cast<std::size_t>(i); };
          T all = T(0);
          for (index_t u = 0; u < eu; ++u) {
            T sum = T(0);
            for (index_t v = 0; v < ev; ++v) {
              const T product = a[at(v * av + u)] * b[at(u * bu + v)];
              want[at(v * ov + u)] = alpha * product + beta * want[at(v * ov + u)];
              sum += product;
            }
            want_sums[at(2 * u)] = alpha * sum + beta * want_sums[at(2 * u)];  // (every other: a stride of 2)
            all += sum;
          }
          want_total[0] = alpha * all + beta * want_total[0];
          ein::detail::crossed_plane(o.data(), ov, a.data(), av, b.data(), bu, eu, ev, alpha, beta, walk);
          ein::detail::crossed_sum(sums.data(), 2, a.data(), av, b.data(), bu, eu, ev, alpha, beta, walk);
          ein::detail::crossed_sum(total.data(), 0, a.data(), av, b.data(), bu, eu, ev, alpha, beta, walk);
          CAPTURE(eu);
          CAPTURE(ev);
          CAPTURE(int(walk));
          CHECK(o == want);  // (small integers: exact)
          CHECK(sums == want_sums);
          CHECK(total == want_total);
        }
}

TEST_CASE("crossed_walk: down the columns of the operands whose rows do not alias, diagonals where all do") {
  using ein::detail::CrossedWalk;
  using ein::detail::crossed_walk;
  CHECK(crossed_walk(false, false, 4, false) == CrossedWalk::b_rows);  // none aliases
  CHECK(crossed_walk(false, false, 4, true) == CrossedWalk::a_rows);   // streamed: along the output's rows
  CHECK(crossed_walk(false, true, 8, false) == CrossedWalk::b_rows);   // b's rows alias: read along them
  CHECK(crossed_walk(true, false, 8, false) == CrossedWalk::a_rows);   // the output's or a's
  CHECK(crossed_walk(true, true, 4, false) == CrossedWalk::diagonals);
  CHECK(crossed_walk(true, true, 4, true) == CrossedWalk::diagonals);  // 16 lines a square: past 12 ways
  CHECK(crossed_walk(true, true, 8, true) == CrossedWalk::a_rows);     // 8: one set holds them
  CHECK(crossed_walk(true, true, 8, true, 2) == CrossedWalk::diagonals);  // two b inputs: 16 lines
}

TEST_CASE_TEMPLATE("crossed_plane_n: two inputs along v, or three, every edge and walk", T, float, double) {
  using ein::detail::CrossedWalk;
  std::mt19937 gen(9);
  constexpr index_t S = 64 / index_t(sizeof(T));
  const auto at = [](index_t i) { return static_cast<std::size_t>(i); };
  for (index_t eu : {index_t(3), S, 2 * S + 1})
    for (index_t ev : {S - 1, S, 3 * S + 2})
      for (CrossedWalk walk : {CrossedWalk::b_rows, CrossedWalk::a_rows, CrossedWalk::diagonals}) {
        const index_t av = eu + 1, bu = ev + 3, ov = eu + 2;
        std::vector<T> a0(at(ev * av)), a1(at(ev * av)), b0(at(eu * bu)), b1(at(eu * bu));
        for (auto* x : {&a0, &a1, &b0, &b1})
          for (T& e : *x) e = T(gen() % 8);
        ein::detail::CrossedOperands<T> in;
        in.a[0] = a0.data(), in.a[1] = a1.data(), in.a_row[0] = in.a_row[1] = av;
        in.b[0] = b0.data(), in.b[1] = b1.data(), in.b_row[0] = in.b_row[1] = bu;
        const auto check = [&](auto na, auto nb) {
          constexpr int NA = decltype(na)::value, NB = decltype(nb)::value;
          std::vector<T> o(at(ev * ov), T(1));
          std::vector<T> want = o;
          for (index_t u = 0; u < eu; ++u)
            for (index_t v = 0; v < ev; ++v) {
              T x = T(2) * b0[at(u * bu + v)] * (NB == 2 ? b1[at(u * bu + v)] : T(1));
              x *= (NA >= 1 ? a0[at(v * av + u)] : T(1)) * (NA == 2 ? a1[at(v * av + u)] : T(1));
              want[at(v * ov + u)] = x + T(0.5) * want[at(v * ov + u)];
            }
          ein::detail::crossed_plane_n<T, NA, NB>(o.data(), ov, in, eu, ev, T(2), T(0.5), walk);
          CAPTURE(NA);
          CAPTURE(NB);
          CHECK(o == want);  // (small integers: exact)
        };
        CAPTURE(eu);
        CAPTURE(ev);
        CAPTURE(int(walk));
        check(std::integral_constant<int, 0>{}, std::integral_constant<int, 2>{});
        check(std::integral_constant<int, 1>{}, std::integral_constant<int, 2>{});
        check(std::integral_constant<int, 2>{}, std::integral_constant<int, 1>{});
      }
  // Streamed: every square's output line a whole aligned line (a Tensor's buffer, rows
  // of 3 lines), the rows and columns past the squares stored as before.
  const index_t eu = 2 * S + 1, ev = 2 * S + 3, ov = 3 * S, av = eu, bu = ev;
  std::vector<T> a(at(ev * av)), b(at(eu * bu));
  for (T& e : a) e = T(gen() % 8);
  for (T& e : b) e = T(gen() % 8);
  Tensor<T, 1> o(Extents<1>{ev * ov});
  std::vector<T> want(at(ev * ov), T(0));
  for (index_t u = 0; u < eu; ++u)
    for (index_t v = 0; v < ev; ++v) want[at(v * ov + u)] = a[at(v * av + u)] * b[at(u * bu + v)];
  for (CrossedWalk walk : {CrossedWalk::b_rows, CrossedWalk::a_rows, CrossedWalk::diagonals}) {
    o.set_zero();
    ein::detail::crossed_plane(o.data(), ov, a.data(), av, b.data(), bu, eu, ev, T(1), T(0), walk, true);
    ein::detail::stream_fence();
    CAPTURE(int(walk));
    CHECK(std::vector<T>(o.data(), o.data() + o.size()) == want);
  }
}

TEST_CASE_TEMPLATE("products whose output crosses its inputs, or of three crossed inputs: crossed squares", T, float,
                   double) {
  // "ij,ij->ji" (the output along v, both inputs along u: seen from the output,
  // swapped), three inputs with one or two along v; 1 to 3 threads, alpha and beta,
  // batches, rows 1024 apart; four inputs stay packed tile rows.
  ein::detail::product_path_probe.off = true;
  const auto a = random_tensor<T>(Extents<2>{70, 45}, 81), b = random_tensor<T>(Extents<2>{70, 45}, 82);
  const auto t = random_tensor<T>(Extents<2>{45, 70}, 83);
  check_spec_on<T, 2>({1, 2, 3}, "ij,ij->ji", T(1), T(0), a, b);
  check_spec_on<T, 2>({1, 2}, "ij,ij->ji", T(2), T(0.5), a, b);
  check_spec_on<T, 2>({1, 2}, "ij,ji,ij->ij", T(1), T(0), a, t, b);
  check_spec_on<T, 2>({1, 2}, "ij,ji,ji->ij", T(1), T(-1), a, t, t);
  check_spec_on<T, 2>({1, 2}, "ij,ij,ji->ji", T(1), T(0), a, b, t);
  for (const char* spec : {"ij,ij->ji", "ij,ji,ij->ij", "ij,ji,ji->ij"}) {
    CAPTURE(spec);
    const std::string nest = std::string_view(spec) == "ij,ij->ji"      ? ein::einsum_path(spec, a, b).steps[0].nest
                             : std::string_view(spec) == "ij,ji,ij->ij" ? ein::einsum_path(spec, a, t, b).steps[0].nest
                                                                        : ein::einsum_path(spec, a, t, t).steps[0].nest;
    CHECK(nest == "crossed squares");
  }
  CHECK(ein::einsum_path("ij,ji,ij,ij->ij", a, t, b, a).steps[0].nest == "packed tile rows");  // (see above)
  const auto x = random_tensor<T>(Extents<3>{3, 40, 50}, 84), y = random_tensor<T>(Extents<3>{3, 40, 50}, 85);
  check_spec_on<T, 3>({1, 2}, "bij,bij->bji", T(1), T(0), x, y);
  check_spec_on<T, 2>({1, 2}, "bij,bij->ji", T(1), T(0.5), x, y);
  const index_t wide = 1024;  // every row a power of two apart: the walk along diagonals
  const auto wa = random_tensor<T>(Extents<2>{40, wide}, 86), wb = random_tensor<T>(Extents<2>{40, wide}, 87);
  const ein::TensorView<const T, 2> av(wa.data(), Extents<2>{40, 50}, {wide, 1});
  const ein::TensorView<const T, 2> bv(wb.data(), Extents<2>{40, 50}, {wide, 1});
  Tensor<T, 2> into(wide, wide);
  const ein::TensorView<T, 2> ov(into.data(), Extents<2>{50, 40}, {wide, 1});
  ein::einsum("ij,ij->ji", av, bv).evaluate_into(ov, T(1), T(0));
  ein::test::check_against<T>(ein::test::reference_of<T>("ij,ij->ji", av, bv), "ij,ij->ji", ov);
  ein::detail::product_path_probe.off = false;
}

TEST_CASE_TEMPLATE("products and reductions of two crossed inputs: crossed squares, the reference's answer", T, float,
                   double) {
  // "ij,ji->...": one input unit-stride along u, the other along v and jumping along
  // u (lower/crossed_squares.hpp). Every output form (kept along both; summed along
  // v; summed along u, whose sums' lanes go along v; summed along both), extents
  // past whole squares, alpha and beta, 1 to 3 threads (shares cut in whole
  // squares), a reversed jump, batches, and rows a power of two apart (views into
  // wider buffers), so that each walk (crossed_walk) runs.
  ein::detail::product_path_probe.off = true;
  for (const std::pair<index_t, index_t>& shape : {std::pair<index_t, index_t>{70, 45}, {64, 64}, {33, 97}}) {
    const index_t ni = shape.first, nj = shape.second;  // (not a structured binding: Clang 14 cannot capture one)
    CAPTURE(ni);
    CAPTURE(nj);
    const auto a = random_tensor<T>(Extents<2>{ni, nj}, 71), b = random_tensor<T>(Extents<2>{nj, ni}, 72);
    check_spec_on<T, 0>({1, 2}, "ij,ji->", T(1), T(0.5), a, b);
    check_spec_on<T, 1>({1, 3}, "ij,ji->i", T(2), T(1), a, b);
    check_spec_on<T, 1>({1, 2}, "ij,ji->j", T(1), T(0), a, b);
    check_spec_on<T, 2>({1, 2, 3}, "ij,ji->ij", T(1), T(-1), a, b);
    check_spec_on<T, 2>({1, 2}, "ij,ji->ji", T(0.5), T(0), a, b);
    check_spec_on<T, 2>({1}, "j,ji->ij", T(1), T(0), random_tensor<T>(Extents<1>{nj}, 73), b);  // a row that stays
    const ein::TensorView<const T, 2> reversed(b.data() + (nj - 1) * ni, Extents<2>{nj, ni}, {-ni, 1});
    check_spec_on<T, 2>({1, 2}, "ij,ji->ij", T(1), T(0), a, reversed);
    for (const char* spec : {"ij,ji->", "ij,ji->i", "ij,ji->j", "ij,ji->ij", "ij,ji->ji"})
      CHECK(ein::einsum_path(spec, a, b).steps[0].nest == "crossed squares");
  }
  // Batched, and summed over the batch (each plane after the first adds to the output).
  const auto x = random_tensor<T>(Extents<3>{3, 40, 50}, 74), y = random_tensor<T>(Extents<3>{3, 50, 40}, 75);
  check_spec_on<T, 2>({1, 2}, "bij,bji->bi", T(1), T(0.5), x, y);
  check_spec_on<T, 1>({1, 2}, "bij,bji->b", T(1), T(0), x, y);
  check_spec_on<T, 3>({1, 2}, "bij,bji->bij", T(1), T(0), x, y);
  check_spec_on<T, 2>({1, 2}, "bij,bji->ij", T(2), T(0.5), x, y);
  // Rows 1024 elements apart: a's and the output's, b's, or all of them.
  const index_t wide = 1024;
  const auto wa = random_tensor<T>(Extents<2>{40, wide}, 76), wb = random_tensor<T>(Extents<2>{50, wide}, 77);
  const ein::TensorView<const T, 2> av(wa.data(), Extents<2>{40, 50}, {wide, 1});
  const ein::TensorView<const T, 2> bv(wb.data(), Extents<2>{50, 40}, {wide, 1});
  const auto a = random_tensor<T>(Extents<2>{40, 50}, 78), b = random_tensor<T>(Extents<2>{50, 40}, 79);
  check_spec_on<T, 2>({1, 2}, "ij,ji->ij", T(1), T(0), av, b);
  check_spec_on<T, 2>({1, 2}, "ij,ji->ij", T(1), T(0.5), a, bv);
  check_spec_on<T, 2>({1, 2}, "ij,ji->ij", T(1), T(0), av, bv);
  check_spec_on<T, 1>({1, 2}, "ij,ji->i", T(1), T(0), av, bv);
  check_spec_on<T, 0>({1, 2}, "ij,ji->", T(1), T(0), av, bv);
  Tensor<T, 2> into(wide, wide);  // the output's rows too, into a view of it
  const ein::TensorView<T, 2> ov(into.data(), Extents<2>{40, 50}, {wide, 1});
  ein::einsum("ij,ji->ij", av, bv).evaluate_into(ov, T(1), T(0));
  const auto want = ein::test::reference_of<T>("ij,ji->ij", av, bv);
  ein::test::check_against<T>(want, "ij,ji->ij", ov);
  // Below a square, or a unit stride reversed: not crossed.
  const auto small = random_tensor<T>(Extents<2>{5, 5}, 80);
  CHECK(ein::einsum_path("ij,ji->i", small, small).steps[0].nest != "crossed squares");
  const ein::TensorView<const T, 2> backwards(b.data() + 39, Extents<2>{50, 40}, {40, -1});
  CHECK(ein::einsum_path("ij,ji->ij", a, backwards).steps[0].nest != "crossed squares");
  check_spec_on<T, 2>({1}, "ij,ji->ij", T(1), T(0), a, backwards);
  ein::detail::product_path_probe.off = false;
}

TEST_CASE("block_for_reuse: the split axes, their strides and the block's bounds") {
  // "bi,ij,bj->bij" folded: b (30), i (64), j (160, the row); operands out, x, W, y.
  LoopSpace s;
  s.operands = 4;
  s.rank = 3;
  s.axes[0].extent = 30, s.axes[1].extent = 64, s.axes[2].extent = 160;
  s.axes[0].stride = {64 * 160, 64, 0, 160};
  s.axes[1].stride = {160, 1, 160, 0};
  s.axes[2].stride = {1, 0, 1, 1};
  const LoopSpace before = s;
  auto split = ein::detail::block_for_reuse(s, 4);
  // One position keeps y's row and x's (640 + 640 bytes): 16 KiB holds 12; 10 divides 30.
  CHECK(split.block == 10);
  CHECK(split.axis == 0);
  CHECK(split.outer);
  REQUIRE(s.rank == 4);
  CHECK(s.axes[0].extent == 3);  // b / 10, strides times 10
  CHECK(s.axes[0].stride[0] == 10 * before.axes[0].stride[0]);
  CHECK(s.axes[0].stride[3] == 10 * before.axes[0].stride[3]);
  CHECK(s.axes[1].extent == 64);  // i
  CHECK(s.axes[2].extent == 10);  // b % 10, just outside the row
  CHECK(s.axes[2].stride[0] == before.axes[0].stride[0]);
  CHECK(s.axes[3].extent == 160);  // j
  CHECK(visit(s).size() == visit(before).size());
  // Every output offset once, as before (a permutation of the visit order).
  auto got = visit(s)[0], want = visit(before)[0];
  std::sort(got.begin(), got.end());
  std::sort(want.begin(), want.end());
  CHECK(got == want);
  // unsplit_reuse puts it back as it was (for a run across threads).
  const auto same = [](const LoopSpace& x, const LoopSpace& y) {
    bool equal = x.rank == y.rank && x.operands == y.operands;
    for (int a = 0; a < x.rank && equal; ++a)
      equal = x.axes[static_cast<std::size_t>(a)].extent == y.axes[static_cast<std::size_t>(a)].extent &&
              x.axes[static_cast<std::size_t>(a)].stride == y.axes[static_cast<std::size_t>(a)].stride;
    return equal;
  };
  ein::detail::unsplit_reuse(s, split);
  CHECK(same(s, before));
  CHECK(split.block == 1);
  // b = 12: one block, b moved inside whole (no outer part); and back.
  LoopSpace twelve = before;
  twelve.axes[0].extent = 12;
  const LoopSpace twelve_before = twelve;
  split = ein::detail::block_for_reuse(twelve, 4);
  CHECK(split.block == 12);
  CHECK_FALSE(split.outer);
  REQUIRE(twelve.rank == 3);
  CHECK(twelve.axes[0].extent == 64);
  CHECK(twelve.axes[1].extent == 12);
  ein::detail::unsplit_reuse(twelve, split);
  CHECK(same(twelve, twelve_before));
  // Nothing large stays (W 8 x 16): nothing moves.
  LoopSpace small = before;
  small.axes[1].extent = 8, small.axes[2].extent = 16;
  CHECK(ein::detail::block_for_reuse(small, 4).block == 1);
  CHECK(small.rank == 3);
}

TEST_CASE("permutations whose squares' output lines share one L1 set: half of each square streamed (float)") {
  // "ijk->kji" with output rows (k) a multiple of 4 KiB apart and an outer axis (j)
  // whole lines apart: 64 x 16 x 72 floats (rows 4 KiB apart; k leaves an edge of 8)
  // and 48 x 64 x 40 (12 KiB; j 3 lines apart). beta 0: squares half streamed, the
  // edges cached; beta 0.5 and an output one element in (no line aligned): as before.
  for (const Extents<3> shape : {Extents<3>{64, 16, 72}, Extents<3>{48, 64, 40}}) {
    CAPTURE(shape[0]);
    const auto a = random_tensor<float>(shape, 61);
    check_spec_on<float, 3>({1, 2}, "ijk->kji", 2.0f, 0.0f, a);
    check_spec_on<float, 3>({1, 2}, "ijk->kji", 1.0f, 0.5f, a);
    const auto steps = ein::einsum_path("ijk->kji", a).steps;
    REQUIRE(steps.size() == 1);
    const bool off = ein::detail::stream_policy() == ein::detail::StreamPolicy::never;  // (EIN_STREAM_STORES=never)
    CHECK(steps[0].nest == (off ? "squares" : "squares, half of each streamed"));
    const auto want = ein::test::reference_of<float>("ijk->kji", a);
    ein::Tensor<float, 1> storage(a.size() + 1);
    const ein::TensorView<float, 3> shifted(storage.data() + 1, Extents<3>{shape[2], shape[1], shape[0]});
    on_threads({1, 2}, [&] {
      ein::einsum("ijk->kji", a).evaluate_into(shifted, 1.0f, 0.0f);
      ein::test::check_against<float>(want, "ijk->kji", shifted);
    });
  }
  // A transpose summed over a short outer axis ("ijk->ki", j = 2: i beats j as the
  // row) stores each visit with beta 1 after the first: neither half-streamed nor
  // streamed squares (both stored every visit with beta, so only the last j stayed).
  for (const Extents<3> shape : {Extents<3>{1024, 2, 32}, Extents<3>{1024, 2, 1024}}) {
    CAPTURE(shape[2]);
    const auto s = random_tensor<float>(shape, 65);
    check_spec_on<float, 2>({1, 2}, "ijk->ki", 1.0f, 0.0f, s);
    check_spec_on<float, 2>({1, 2}, "ijk->ki", 2.0f, 0.5f, s);
    CHECK(ein::einsum_path("ijk->ki", s).steps[0].nest == "squares");
  }
  // Doubles (8 lines a square fit a set), one plane ("ij->ji": along diagonals), j not
  // whole lines apart (72 floats): not.
  CHECK(ein::einsum_path("ijk->kji", random_tensor<float>(Extents<3>{72, 128, 24}, 64)).steps[0].nest == "squares");
  const auto d = random_tensor<double>(Extents<3>{64, 16, 72}, 62);
  CHECK(ein::einsum_path("ijk->kji", d).steps[0].nest == "squares");
  const auto m = random_tensor<float>(Extents<2>{1024, 64}, 63);
  CHECK(ein::einsum_path("ij->ji", m).steps[0].nest == "squares, along diagonals");
}

TEST_CASE("output rows not whole lines apart that start in a few L1 sets: floats' rows through a buffer") {
  // "ij->ji" into rows of 1023 floats (4092 bytes: 2 sets a square) and 1022 (3); not
  // 1000 (spread), not 1024 (whole lines: diagonals), not doubles.
  for (index_t rows : {1023, 1022, 513}) {
    const auto a = random_tensor<float>(Extents<2>{rows, 300}, 81);
    CAPTURE(rows);
    CHECK(ein::einsum_path("ij->ji", a).steps[0].nest == "squares, rows through a buffer");
    check_spec_on<float, 2>({1, 2}, "ij->ji", 2.0f, 0.5f, a);  // (beta 0.5: squares stored as without)
  }
  for (index_t rows : {1000, 1024}) {
    const auto a = random_tensor<float>(Extents<2>{rows, 64}, 82);
    CHECK(ein::einsum_path("ij->ji", a).steps[0].nest.find("buffer") == std::string::npos);
  }
  const auto d = random_tensor<double>(Extents<2>{1023, 64}, 83);
  CHECK(ein::einsum_path("ij->ji", d).steps[0].nest == "squares");
  // A batch of such planes.
  const auto batch = random_tensor<float>(Extents<3>{3, 1023, 40}, 84);
  CHECK(ein::einsum_path("bij->bji", batch).steps[0].nest == "squares, rows through a buffer");
  check_spec_on<float, 3>({1, 2}, "bij->bji", 1.0f, 0.0f, batch);
}
