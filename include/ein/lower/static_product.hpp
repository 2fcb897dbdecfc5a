// The product path: the fast path of an einsum whose terms repeat no label, decided
// once per spec, for calls too small to be worth a plan. Such an einsum is a
// product of its operands summed over the labels the output lacks:
//   nothing summed ("ij,ij->ij", "ij,j->ij", "i,j->ij", "bi,ij,bj->bij"): rows of
//     the output, each one row kernel call (row_kernels.hpp's copy_row,
//     product_row, product_row_n);
//   summed labels that fold into one run, unit- or zero-stride in every operand
//     ("ij,ij->", "i,i->", "ij->i", "bij,bj->bi"): each output element one dot
//     (row_dots.hpp's row_dots for one or two operands, blocks of output elements
//     at a time; dot_n for more).
//   a short output row summed over a strided run ("ij->j", "ji,j->i"): the row
//     kept in registers over the run (row_dots.hpp's row_axpys).
// At run time the extents are checked (equal: size-1 broadcasting is the general
// path's), each group's axes folded where every operand runs on across them, and
// the call declined, untouched, where the folds leave a strided row or run (but
// in a call of at most product_path_strided elements, whose scalar strided loops
// cost less than a plan: "ij->ji" 4 x 4, "ij,ji->" 8 x 8), where operands are
// reused as in a GEMM (more multiply-adds than elements: blocking wins), or where
// it is as large as the general path splits across threads or streams. The
// general path then plans it as before.
// Layer: lower.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>

#include "ein/lower/loop_nest.hpp"
#include "ein/lower/row_dots.hpp"
#include "ein/lower/row_kernels.hpp"
#include "ein/lower/static_pair.hpp"
#include "ein/spec/bind.hpp"

namespace ein {

/// Where each input's axes sit: axis[k][o], input k's axis of output axis o, and
/// summed_axis[k][s], of the s-th summed label (-1 where input k lacks the label).
struct StaticProduct {
  bool fast = false;
  int summed = 0;  // labels summed (in no output axis), in order of first appearance
  std::array<std::array<signed char, max_rank>, max_operands> axis{}, summed_axis{};
};

/// The product path's description of a bound spec (fast == false: no term may
/// repeat a label, at most max_rank labels are summed, and an operand has all of
/// them or none).
constexpr StaticProduct static_product(const BoundSpec& spec) {
  StaticProduct p;
  if (spec.error.failed() || spec.num_inputs < 1 || detail::has_repeats(spec.output)) return p;
  std::array<int, max_rank> summed{};
  for (std::size_t k = 0; k < detail::ix(spec.num_inputs); ++k) {
    const BoundTerm& in = spec.inputs[k];
    if (detail::has_repeats(in)) return p;
    for (std::size_t d = 0; d < detail::ix(in.rank); ++d) {
      const int l = in.labels[d];
      if (spec.in_output(l)) continue;
      bool known = false;
      for (std::size_t s = 0; s < detail::ix(p.summed); ++s) known = known || summed[s] == l;
      if (known) continue;
      if (p.summed == max_rank) return p;
      summed[detail::ix(p.summed++)] = l;
    }
  }
  // An operand with some of the summed labels but not all stays along the others:
  // the summed labels never fold into one run (choose_product declines) but where
  // those are 1 long. A chain "ij,jk,kl->il" is a GEMM's, not a product's.
  if (p.summed >= 2)
    for (std::size_t k = 0; k < detail::ix(spec.num_inputs); ++k) {
      int has = 0;
      for (std::size_t s = 0; s < detail::ix(p.summed); ++s) has += detail::axis_in(spec.inputs[k], summed[s]) >= 0;
      if (has > 0 && has < p.summed) return p;
    }
  for (std::size_t k = 0; k < detail::ix(spec.num_inputs); ++k) {
    const BoundTerm& in = spec.inputs[k];
    for (std::size_t o = 0; o < detail::ix(spec.output.rank); ++o)
      p.axis[k][o] = static_cast<signed char>(detail::axis_in(in, spec.output.labels[o]));
    for (std::size_t s = 0; s < detail::ix(p.summed); ++s)
      p.summed_axis[k][s] = static_cast<signed char>(detail::axis_in(in, summed[s]));
  }
  p.fast = true;
  return p;
}

namespace detail {

/// One input of a product-path call: its data, its element count, and its strides
/// along the output's axes and the summed labels (0 where it lacks one; filled for
/// those in use only).
template <class T>
struct ProductInput {
  const T* data = nullptr;
  double size = 0;  // (a double: a huge broadcast view's count overflows an index; the call is declined)
  std::array<index_t, max_rank> stride, summed_stride;
};

/// Input k of a call as p describes it: its element count, and its strides along
/// the output's `rank` axes and p's summed labels, from its `dims` axes' extent(d)
/// and stride(d). One code for the call (Contraction::try_product) and for
/// einsum_path.
template <class T, class Extent, class Stride>
void describe_input(const StaticProduct& p, std::size_t k, int rank, const T* data, std::size_t dims,
                    const Extent& extent, const Stride& stride, ProductInput<T>& in) {
  in.data = data;
  in.size = 1;
  for (std::size_t d = 0; d < dims; ++d) in.size *= double(extent(d));
  for (std::size_t o = 0; o < ix(rank); ++o) {
    const int d = p.axis[k][o];
    in.stride[o] = d < 0 ? 0 : stride(ix(d));
  }
  for (std::size_t l = 0; l < ix(p.summed); ++l) {
    const int d = p.summed_axis[k][l];
    in.summed_stride[l] = d < 0 ? 0 : stride(ix(d));
  }
}

/// A group of axes folded, innermost first: an axis joins the one inside it where
/// each of the N operands runs on across both (its stride = the inner's stride x
/// extent; 0 and 0 for an operand without either). Axes of extent 1 drop out.
template <std::size_t N>
struct FoldedAxes {
  int rank = 0;
  std::array<index_t, max_rank> extent;
  std::array<std::array<index_t, max_rank>, N> stride;

  FoldedAxes() {  // (the innermost axis only: read where rank is 0 by code g++ cannot see is dead)
    extent[0] = 1;
    for (std::size_t k = 0; k < N; ++k) stride[k][0] = 0;
  }

  void add(index_t e, const std::array<index_t, N>& s) {
    if (e == 1) return;
    if (rank > 0) {
      const std::size_t inner = ix(rank - 1);
      bool joins = true;
      for (std::size_t k = 0; k < N && joins; ++k) joins = s[k] == stride[k][inner] * extent[inner];
      if (joins) {
        extent[inner] *= e;
        return;
      }
    }
    extent[ix(rank)] = e;
    for (std::size_t k = 0; k < N; ++k) stride[k][ix(rank)] = s[k];
    ++rank;
  }
  /// Whether operand k walks (stride 1) or stays (stride 0) along the innermost axis.
  [[nodiscard]] bool walks_or_stays(std::size_t k) const {
    return rank == 0 || stride[k][0] == 0 || stride[k][0] == 1;
  }
};

/// For the differential test (differential_test.cpp): see PathProbe.
inline thread_local PathProbe product_path_probe;

/// Operands reused more than this (multiply-adds per element of the operands and
/// the output) are a GEMM's: blocking them (the general path) beats a dot per output
/// element. A GEMV or a dot does one per element of its largest operand.
inline constexpr double product_path_reuse = 2;

/// Calls of at most this many elements (the output's times the summed run's) take
/// the product path with strided rows and runs too (copy_row's and product_row's
/// strided loops, dot_n), and summed labels that do not fold into one run
/// ("ij,ji->"): their scalar loops cost less than the general path's plan and setup.
/// Callgrind (-O2 -march=x86-64-v3, float), instructions a call into a Tensor, the
/// general path against this one: "ij->ji" 4 x 4 1,776 -> 776, 8 x 8 2,532 -> 1,308;
/// "ijk->kji" 4^3 4,518 -> 2,118; "ij,ji->" 8 x 8 4,057 -> 1,598. With no limit,
/// where squares take over, it lost: 16 x 16 "ij->ji" ~2,200 -> ~2,400, 16^3
/// "ijk->kji" ~20,700 -> ~30,700 (8^3, ~14,500 -> ~6,800, still won).
inline constexpr double product_path_strided = 128;

/// The kernel the product path runs a call with (einsum_path names it).
enum class ProductKernel : unsigned char {
  declined,  // the general path's: see choose_product
  empty,     // an empty output: nothing to write
  rows,      // nothing summed: rows of the output (copy_row, product_row, product_row_n)
  row_dots,  // one or two operands, unit-stride along the run: row_dots
  row_axpys, // a short unit-stride output row summed over a strided run: row_axpys (in registers)
  dot_n,     // more operands, or one that stays along the run: a dot_n per output element
};

constexpr const char* product_kernel_name(ProductKernel kernel) {
  switch (kernel) {
    case ProductKernel::declined: return "declined";
    case ProductKernel::empty: return "empty";
    case ProductKernel::rows: return "product rows";
    case ProductKernel::row_dots: return "row dots";
    case ProductKernel::row_axpys: return "row axpys";
    case ProductKernel::dot_n: return "dots";
  }
  return "?";
}

/// A product-path call as it runs: its kernel, the output's axes folded (operand N:
/// the output) and the summed labels folded into one run.
template <std::size_t N>
struct ProductChoice {
  ProductKernel kernel = ProductKernel::declined;
  FoldedAxes<N + 1> rows;
  FoldedAxes<N> run;
};

/// How the product path would run out = alpha * (sum over the summed labels of
/// prod_k in_k) + beta * out, over the output's `rank` axes of `extent` (out's
/// strides `out_stride`) and the `summed` labels' extents (see the header); a pure
/// query: run_product runs what it returns, einsum_path prints it. (Inlined: called
/// apart, 16x16 "ij,ij->ij" cost 30 more instructions a call.)
template <class T, std::size_t N>
[[gnu::always_inline]] inline ProductChoice<N> choose_product(const ProductInput<T> (&in)[N], const index_t* out_stride,
                                                              const index_t* extent, int rank,
                                                              const index_t* summed_extent, int summed) {
  ProductChoice<N> c;
  double volume = 1, length = 1;
  for (int o = 0; o < rank; ++o) {
    if (extent[o] == 0) {
      c.kernel = ProductKernel::empty;
      return c;
    }
    if (out_stride[o] == 0 && extent[o] > 1) return c;  // overlapping: the general path throws
    volume *= double(extent[o]);
  }
  for (int l = 0; l < summed; ++l) length *= double(summed_extent[l]);
  // (Checked before folding: a huge broadcast view's stride x extent overflows an index.)
  if (volume * length >= parallel_loop_elements || volume * double(sizeof(T)) >= stream_rows_bytes) return c;
  for (int o = rank - 1; o >= 0; --o) {
    std::array<index_t, N + 1> s;
    for (std::size_t k = 0; k < N; ++k) s[k] = in[k].stride[ix(o)];
    s[N] = out_stride[o];
    c.rows.add(extent[o], s);
  }
  for (int l = summed - 1; l >= 0; --l) {
    std::array<index_t, N> s;
    for (std::size_t k = 0; k < N; ++k) s[k] = in[k].summed_stride[ix(l)];
    c.run.add(summed_extent[l], s);
  }
  // (A call of a few elements takes strided rows and runs as well: see product_path_strided.)
  const bool small = volume * length <= product_path_strided;
  if (summed == 0) {
    for (std::size_t k = 0; k < N; ++k)
      if (!small && !c.rows.walks_or_stays(k)) return c;
    if (!c.rows.walks_or_stays(N)) return c;
    if (c.rows.rank > 0 && c.rows.stride[N][0] != 1) return c;  // (a zero-stride output row: overlapping)
    c.kernel = ProductKernel::rows;
    return c;
  }
  if (c.run.rank > 1 && !small) return c;  // the summed labels do not fold into one run
  double elements = volume;
  bool along_run = true;  // every operand walks or stays along the run
  for (std::size_t k = 0; k < N; ++k) {
    along_run = along_run && c.run.walks_or_stays(k);
    elements += in[k].size;
  }
  if (volume * length > product_path_reuse * elements) return c;
  if (c.run.rank > 1) {  // (small: a dot_n per output element and position of the outer run axes)
    c.kernel = ProductKernel::dot_n;
    return c;
  }
  if (!along_run) {
    // A short kept row summed over a strided run ("ij->j", "ji,j->i"): row_axpys,
    // the output row in registers, where one operand walks along the row and the
    // other (if any) walks or stays.
    const bool axpys = N <= 2 && c.rows.rank > 0 && c.rows.stride[N][0] == 1 &&
                       (c.rows.stride[0][0] == 1 || c.rows.stride[N - 1][0] == 1) && c.rows.walks_or_stays(0) &&
                       c.rows.walks_or_stays(N - 1) && row_axpy_in_registers<T>(c.rows.extent[0]);
    if (axpys) c.kernel = ProductKernel::row_axpys;
    else if (small) c.kernel = ProductKernel::dot_n;
    return c;
  }
  const index_t n = c.run.rank > 0 ? c.run.extent[0] : 1;
  bool unit = N <= 2;
  for (std::size_t k = 0; k < N && unit; ++k) unit = n <= 1 || c.run.stride[k][0] == 1;
  c.kernel = unit ? ProductKernel::row_dots : ProductKernel::dot_n;
  return c;
}

/// Runs choose_product's choice: false, having done nothing, where it declines. A
/// loop of 10,000 calls assigned into a Tensor, callgrind (g++ -O2 -march=x86-64-v3,
/// less a run of none), instructions a call: 16x16 float "ij,ij->ij" 1,580 by the
/// general path (with its memo of loop nests), 740 by this one; "ij,ij->" 2,270 (the
/// pair path declining it, then the general path), 760.
template <class T, std::size_t N>
bool run_product(const ProductInput<T> (&in)[N], T* out, const index_t* out_stride, const index_t* extent, int rank,
                 const index_t* summed_extent, int summed, T alpha, T beta) {
  if (product_path_probe.off) return false;
  const ProductChoice<N> c = choose_product<T, N>(in, out_stride, extent, rank, summed_extent, summed);
  if (c.kernel == ProductKernel::declined) return false;
  if (c.kernel == ProductKernel::empty) {
    ++product_path_probe.taken;
    return true;
  }
  const FoldedAxes<N + 1>& rows = c.rows;
  const FoldedAxes<N>& run = c.run;
  const T* p[N];
  for (std::size_t k = 0; k < N; ++k) p[k] = in[k].data;
  T* po = out;
  // body() at every position of the folded output axes from `first` on (an odometer).
  std::array<index_t, max_rank> at;
  const auto walk = [&](int first, auto&& body) {
    for (int a = first; a < rows.rank; ++a) at[ix(a)] = 0;
    for (;;) {
      body();
      int a = first;
      for (; a < rows.rank; ++a) {
        const std::size_t x = ix(a);
        po += rows.stride[N][x];
        for (std::size_t k = 0; k < N; ++k) p[k] += rows.stride[k][x];
        if (++at[x] < rows.extent[x]) break;
        at[x] = 0;
        po -= rows.stride[N][x] * rows.extent[x];
        for (std::size_t k = 0; k < N; ++k) p[k] -= rows.stride[k][x] * rows.extent[x];
      }
      if (a >= rows.rank) return;
    }
  };
  index_t s[N];
  if (c.kernel == ProductKernel::rows) {  // the innermost output axis, the rest walked
    const index_t n = rows.rank > 0 ? rows.extent[0] : 1;
    for (std::size_t k = 0; k < N; ++k) s[k] = rows.rank > 0 ? rows.stride[k][0] : 0;
    walk(1, [&] {
      if constexpr (N == 1)
        copy_row(po, 1, p[0], s[0], n, alpha, beta);
      else if constexpr (N == 2)
        product_row(po, 1, p[0], s[0], p[1], s[1], n, alpha, beta);
      else
        product_row_n(po, 1, p, s, int(N), n, alpha, beta);
    });
    ++product_path_probe.taken;
    return true;
  }
  // Dots along the run: one or two operands, unit-stride along it, by row_dots
  // (row_dots.hpp: a block of output elements along the innermost output axis at a
  // time); more operands, or one that stays along the run, a dot_n per element.
  const index_t n = run.rank > 0 ? run.extent[0] : 1;
  for (std::size_t k = 0; k < N; ++k) s[k] = run.rank > 0 ? run.stride[k][0] : 0;
  if (c.kernel == ProductKernel::row_dots) {
    const index_t count = rows.rank > 0 ? rows.extent[0] : 1;
    const index_t so = rows.rank > 0 ? rows.stride[N][0] : 0, ra = rows.rank > 0 ? rows.stride[0][0] : 0;
    const index_t rb = N == 2 && rows.rank > 0 ? rows.stride[N - 1][0] : 0;
    walk(1, [&] { row_dots(po, so, p[0], ra, N == 2 ? p[N - 1] : nullptr, rb, count, n, alpha, beta); });
    ++product_path_probe.taken;
    return true;
  }
  if (c.kernel == ProductKernel::row_axpys) {  // operand w walks along the row, the other walks or stays
    const index_t count = rows.extent[0];
    const std::size_t w = rows.stride[0][0] == 1 ? 0 : N - 1, x = N - 1 - w;
    walk(1, [&] {
      if constexpr (N == 1)
        row_axpys<T>(po, p[0], s[0], nullptr, 0, n, count, alpha, beta);
      else if (rows.stride[x][0] == 1)
        row_axpys<T, true>(po, p[w], s[w], p[x], s[x], n, count, alpha, beta);
      else
        row_axpys<T>(po, p[w], s[w], p[x], s[x], n, count, alpha, beta);
    });
    ++product_path_probe.taken;
    return true;
  }
  bool empty_run = false;  // (a summed label 0 long: every sum is 0, no element read)
  for (int a = 0; a < run.rank; ++a) empty_run = empty_run || run.extent[ix(a)] == 0;
  walk(0, [&] {
    T sum = T(0);
    if (run.rank <= 1) {
      sum = dot_n(p, s, int(N), n);
    } else if (!empty_run) {  // the outer run axes (a small call's) walked by an odometer of their own
      const T* q[N];
      for (std::size_t k = 0; k < N; ++k) q[k] = p[k];
      std::array<index_t, max_rank> along{};
      for (int a = 1;;) {
        sum += dot_n(q, s, int(N), n);
        for (a = 1; a < run.rank; ++a) {
          const std::size_t x = ix(a);
          for (std::size_t k = 0; k < N; ++k) q[k] += run.stride[k][x];
          if (++along[x] < run.extent[x]) break;
          along[x] = 0;
          for (std::size_t k = 0; k < N; ++k) q[k] -= run.stride[k][x] * run.extent[x];
        }
        if (a >= run.rank) break;
      }
    }
    *po = beta == T(0) ? alpha * sum : alpha * sum + beta * *po;
  });
  ++product_path_probe.taken;
  return true;
}

}  // namespace detail
}  // namespace ein
