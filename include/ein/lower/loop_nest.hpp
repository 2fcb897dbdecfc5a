// The loop lowering: out = alpha * contract(in_1, ..., in_n) + beta * out for any
// number of inputs and any strides, in one pass over a folded LoopSpace, with no
// temporaries. It serves every step that is not a GEMM: copies, permutations,
// diagonals, reductions, dots, Hadamard and broadcast products of N operands.
//
// The nest (order_nest):
//   - the innermost axis u is the one whose elements lie closest in memory across
//     the operands (unit or zero strides; the output weighs double when written);
//     a row kernel (row_kernels.hpp) walks it; kept rows that are each a dot of
//     two unit-stride rows go through row_dots (row_dots.hpp) a block at a time,
//     and a kept row summed over rows of a matrix scaled by a vector, row_axpys;
//   - when an operand is strided along u but unit-stride along another axis v,
//     u and v are walked together: a permutation ("ijk->kji": the output
//     unit-stride along u, the input along v) as squares transposed in registers
//     (transpose_block.hpp), a product of up to three such crossed operands as
//     squares of the ones along v transposed in registers times lines of the
//     others (crossed_squares.hpp), anything else in square tiles that stay in L1, so
//     both the reads and the writes use whole cache lines;
//   - the other axes run outside, largest strides outermost (summed over the
//     operands, stride_weight; the input's alone for a permutation whose output
//     goes past the caches).
// Each output element is first written with beta and then accumulated into; the
// first visit is the one where every summed axis is at 0. Large nests split their
// outermost kept axis across OpenMP threads (distinct outputs per thread).
// Layer: lower.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstdlib>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "ein/lower/crossed_squares.hpp"
#include "ein/lower/loop_space.hpp"
#include "ein/lower/row_dots.hpp"
#include "ein/lower/row_kernels.hpp"
#include "ein/lower/streaming.hpp"
#include "ein/lower/thread_chunks.hpp"
#include "ein/lower/transpose_block.hpp"

namespace ein::detail {

/// Elements visited from which a loop nest splits across the OpenMP threads (as
/// the hand-written `omp parallel for` it competes with does).
inline constexpr double parallel_loop_elements = 1 << 20;

/// A tile when u and v are tiled (not a permutation: several operands, or a summed
/// axis): loop_tile elements along u (the rows the strided operand jumps between)
/// by loop_tile_bytes along v (a run the strided operand reads contiguously).
/// 32 x 32 floats: the tile's lines stay in L1 while it is walked.
inline constexpr index_t loop_tile = 32;
inline constexpr index_t loop_tile_bytes = 128;
/// A tile's inputs that walk v unit-stride and jump along u ("ij,ji->": b[j][i]) are
/// moved into a buffer of this many elements first, by whole lines in squares
/// transposed in registers (transpose_plane), and the tile's rows read them there,
/// unit-stride; a summed row then takes the tile's dots a block of rows at a time
/// (row_dots). Read in place, a tile's strided elements come one per line, and at a
/// power-of-two row (1024 floats) all of its lines fall in one L1 set. 1 thread,
/// 1024^2, a probe alternating both builds (3 rounds, medians of 21): float
/// "ij,ji->" 1585-1765 us -> 289-438, "ij,ji->i" 1666-1755 -> 226-284, "ij,ji->ij"
/// 1970-2161 -> 464-584; double 1575-2153 -> 544-1186 (memcpy of the bytes read: about
/// 80 us in float, 200 in double: still 20-40% of it).
inline constexpr index_t pack_tile_elements = loop_tile * loop_tile;
inline constexpr int pack_tile_operands = 2;

/// A permutation's plane moves in squares (transpose_block.hpp) of one cache line
/// a side (8 where u or v is shorter): its u and v need 8 elements each.
inline constexpr index_t transpose_min_extent = 8;

/// A permutation writing at least this many bytes may stream its output past the
/// caches (transpose_block.hpp's stream_line), one strip of squares along u at a
/// time, where this machine's caches would not keep it (streaming.hpp measures):
/// on a machine whose cache keeps a core about 2 MiB, the output's lines are evicted
/// before they could be read again anyway. There, 128^3 "ijk->kji", 1 thread: 5.6x
/// (float) and 5x (double) faster than by squares, 57% and 83% of a memcpy of the
/// same bytes in the same run; at 1 MiB (L2-resident) streamed squares were up to
/// 2.7x slower. On a Zen 5 (32 MiB of L3 a CCD) the same 8 MiB output streamed took
/// 2.1x the time of cached squares: streaming.hpp keeps it cached there.
inline constexpr double stream_output_bytes = 2 << 20;

/// A streamed permutation's strips along u are this many input rows wide (at least a
/// square): 16 doubles are two squares side by side (transpose_plane moves them back
/// to back), so each output row gets a run of two lines at a time, not one.
/// Streamed stores scattered one line per row over many rows run at a third of a
/// sequential streamed copy here (128 rows of 64 KiB, 8 MiB: 8.5 against 25 GB/s;
/// runs of two lines: 23). Wider strips read more input rows at once than the
/// prefetcher follows: 32 floats (two squares) gained nothing, 64 lost 10-30%.
/// bench/run's copy line against ein, 2 alternating runs, double, 1 and 2 threads:
/// 128^3 "ijk->kji" 79-90% -> 98-128% and 65-73% -> 75-81% of a memcpy of the same
/// bytes; "ijkl->ljki" 53-63% -> 85-90% and 66-70% -> 70-75%.
inline constexpr index_t stream_strip_rows = 16;

/// An output of unit-stride rows at least this large, that no summed axis reads
/// back, may store its rows past the caches (row_kernels.hpp's over_streamed_row),
/// where streaming.hpp's measurement says the caches would not keep it: twice the
/// L2 of a core on the machine these figures come from. Rows of 1024, streamed ÷
/// cached time, same process, interleaved, 4 to 16 MiB out, float and double there:
/// 0.44-0.69 for an outer product (no large operand read), 0.63-0.75 reading one,
/// 0.73-0.80 two, 0.75-0.83 three (1 thread); 0.51-1.05, 0.65-0.75, 0.65-0.80,
/// 0.70-0.84 (2 threads). Below 2 MiB (L2-resident) cached rows were up to 5x faster.
/// On a Zen 5, a 4 MiB outer product streamed took 1.3x the cached time.
inline constexpr double stream_rows_bytes = 4 << 20;

/// The kernel a nest's rows go through in run_nest: the one place its paths are
/// told apart. einsum_path shows it for each loop-lowered step, and the
/// differential test counts them, so a path no random case reaches shows.
enum class NestKernel : unsigned char {
  element,          // rank 0: one output element
  row_dots,         // kept rows along v, each a dot of two unit-stride rows along u, or the sum of
                    // one ("ij->i"): row_dots, a block of rows at a time
  row_axpys,        // a kept unit-stride row summed over the rows along v: a matrix's rows scaled by
                    // a vector ("ji,j->i"), summed alone ("ij->j"), or times another's ("ijk,ijk->ik")
  unit_rows,        // kept, untiled, unit-stride rows of one or two operands walking the row and any
                    // staying along it (copy_row, product_row)
  rows,             // any other row, tiled or not (product_row_n, dot_n)
  packed_rows,      // tiled rows whose inputs that jump along u are packed per tile (packed_tile_input)
  crossed_squares,  // operands unit-stride along u and along v: squares of products (crossed_squares.hpp)
  squares,          // a permutation in squares (transpose_plane)
  grouped_squares,  // a permutation whose short rows are grouped into lines (transpose_grouped_plane)
};

/// An outer axis split in reuse blocks (block_for_reuse): its block (1: none), where
/// the axis stood, and whether its outer part (axis / block) is still there (it is
/// dropped when one long).
struct ReuseSplit {
  index_t block = 1;
  int axis = -1;
  bool outer = false;
};

/// How a folded space, put in loop order, is walked: axes[rank - 1] is u (the
/// row), axes[rank - 2] is v; tile_u and tile_v are their tile sides (the full
/// extent when untiled). (Apart from the space: a LoopSpace is ~10 KB, not copied.)
struct LoopNest {
  index_t tile_u = 1, tile_v = 1;
  bool transpose = false;  // one input, unit-stride along v; the output, along u: transpose_plane
  bool crossed = false;    // operands crossed (crossed_inputs): crossed_plane_n or crossed_sum
  bool by_square = false;  // a permutation walked one square at every outer position (run_nest)
  index_t group = 1;       // > 1: a short u and `group` positions of the axis before v fill a line
                           // (transpose_grouped_plane; that axis is axes[rank - 3])
  bool stream = false;     // the output stored past the caches: a large permutation's in strips along
                           // u (whole planes where diagonal), or large unit-stride rows (no summed axis)
  bool diagonal = false;   // a permutation whose cached squares would overflow an L1 set (see order_nest):
                           // whole planes, their squares along diagonals (transpose_plane)
  bool buffered = false;   // a permutation of floats whose output rows, not whole lines apart, start in a few
                           // L1 sets: whole planes, their rows written from a buffer (transpose_squares_buffered)
  ReuseSplit reuse;        // block > 1: axes[rank - 2] is the inner part of an outer axis split in blocks
                           // so that a large input staying along it is reused from L1 (block_for_reuse)
  NestKernel kernel = NestKernel::element;  // set by prepare_nest (nest_kernel)

  /// Whether run_nest walks the permutation's planes whole, squares along diagonals
  /// (a grouped plane or one walked by squares does not).
  [[nodiscard]] bool along_diagonals() const { return transpose && diagonal && !by_square && group == 1; }
};

/// What walking axis `a` as the row costs per element: 0 for an operand that stays
/// (stride 0), 1 for one that walks unit-stride, 4 for one that jumps (the output
/// doubled when it is written), plus the loop overhead of a short row.
inline double row_cost(const LoopSpace& s, const LoopAxis& a) {
  const auto cost = [](index_t stride) { return stride == 0 ? 0.0 : (stride == 1 || stride == -1) ? 1.0 : 4.0; };
  double c = 2 * cost(a.stride[0]);
  for (int k = 1; k < s.operands; ++k) c += cost(a.stride[ix(k)]);
  return c + 8.0 / double(a.extent);
}

/// The outer axes (those before `inner`) of a permutation whose output goes past
/// the caches, in the input's memory order (largest input stride outermost, not
/// stride_weight's): each plane's input rows then go on where the last plane's ended,
/// streams the prefetcher follows, and the output, whole lines past the caches,
/// costs the same in any order. "abcde->edcba" (8,16,16,16,32), bench/run's copy
/// line against ein, 2 alternating runs, with this and the grouped plane's prefetch
/// (transpose_grouped_plane) against the output's order: double 45-50% -> 60% of a
/// memcpy of the same bytes (1 thread), 47-50% -> 58-60% (2); float 36-39% -> 40-45%
/// (1), 35-38% -> 41-43% (2).
inline void outer_in_input_order(LoopSpace& s, int inner) {
  std::stable_sort(s.axes.begin(), s.axes.begin() + inner, [](const LoopAxis& x, const LoopAxis& y) {
    return std::abs(x.stride[1]) > std::abs(y.stride[1]);
  });
}

/// The most L1 sets the output rows of a plane's square may start in for its squares
/// to go along diagonals (squares_overflow_set): at one u, a plane's squares pile
/// 16 (or 8) lines into that many sets, square after square. One thread, a whole
/// n x n "ij->ji" against a memcpy of the same bytes, alternating, cached / streamed
/// squares along rows against along diagonals in blocks (transpose_plane): float
/// n = 512 (2 sets) 19-22% -> 67% / 93-95%, 768 (4) 52-55% -> 64-71% / 75%, 1536 (2)
/// 27-38% -> 99-105% streamed; double 256 (2) 13-17% -> 44-50% streamed, 768 (2)
/// 23-26% -> 79-88%; float 640 (8 sets) cached 71-73% along rows, 63-68% along
/// diagonals.
inline constexpr int diagonal_plane_sets = 4;

/// Whether a square's rows (a line's worth, `stride` elements apart, a whole number of
/// lines) start in diagonal_plane_sets L1 sets or fewer (sets_of_rows).
inline bool square_rows_crowd(index_t stride, index_t element_size) {
  return sets_of_rows(stride, element_size, int(64 / element_size)) <= diagonal_plane_sets;
}

/// The same for rows at any distance (sets_of_row_starts: 1023 floats start in 2 sets).
inline bool square_row_starts_crowd(index_t stride, index_t element_size) {
  return sets_of_row_starts(stride, element_size, int(64 / element_size)) <= diagonal_plane_sets;
}

/// Whether a permutation's cached squares would pile more lines into one L1 set than
/// it holds: it is one plane (no outer axis: its squares at one u share their sets)
/// whose square's output rows start in diagonal_plane_sets L1 sets or fewer
/// (sets_of_rows), or its output rows alias (rows_alias) and its squares are a line of
/// 16 (floats: a square's 16 lines share one set). Such a permutation streams past
/// stream_output_bytes whatever streaming.hpp measured for rows written in order
/// (permutation_streams).
inline bool squares_overflow_set(index_t output_row_stride, index_t element_size, bool one_plane) {
  if (one_plane) return square_rows_crowd(output_row_stride, element_size);
  const int rows = int(64 / element_size);
  return sets_of_rows(output_row_stride, element_size, rows) == 1 && rows > l1_set_ways;
}

/// Whether the axes outside a permutation's plane (u, v: the last two) move every
/// operand by a whole plane or more ("bij->bji": a batch of planes), so that each plane
/// is walked as one (transpose_plane). Their squares at one outer position would
/// otherwise be visited one at every outer position (LoopNest::by_square), which
/// suits outer axes that interleave with the plane's rows ("ijk->kji": j between the
/// rows of i): one thread, float "bij->bji" against a memcpy of the same bytes,
/// 4 x 1024 x 512 (4 KiB output rows) 15% by squares, 4 x 512 x 512 (2 KiB) 28%.
inline bool planes_apart(const LoopSpace& s) {
  const LoopAxis &u = s.axes[ix(s.rank - 1)], &v = s.axes[ix(s.rank - 2)];
  for (int k = 0; k < s.operands; ++k) {
    const index_t span = (u.extent - 1) * std::abs(u.stride[ix(k)]) + (v.extent - 1) * std::abs(v.stride[ix(k)]) + 1;
    for (int a = 0; a < s.rank - 2; ++a)
      if (std::abs(s.axes[ix(a)].stride[ix(k)]) < span) return false;
  }
  return true;
}

/// Whether a permutation writing `bytes` streams its output (see stream_output_bytes).
inline bool permutation_streams(double bytes, bool overflows_set) {
  return overflows_set ? stream_allowed(bytes, stream_output_bytes) : stream_pays(bytes, stream_output_bytes);
}

/// Reuse blocks (block_for_reuse): an input that stays along an outer axis counts as
/// large where what it reads inside that axis is more than this (L1 cannot keep it
/// from one position of the axis to the next); a block keeps the rows the block's
/// positions reread within reuse_block_bytes; blocks are at most reuse_block_most long.
inline constexpr double reuse_input_bytes = 32 << 10;
inline constexpr double reuse_block_bytes = 16 << 10;
inline constexpr index_t reuse_block_most = 16;

/// Unit-stride rows with no summed axis, where a large input stays along an outer
/// axis `a` that is not the row's neighbour ("bi,ij,bj->bij": W, 256 KiB, stays along
/// b): walked in order, every position of `a` reads all of W again from L2. Split
/// into blocks, a / block outermost and a % block just outside the row, each row of
/// W is read from L1 `block` times in a row, and the inputs that walk `a` but stay
/// along the axes between ("bj": y) keep their block's rows in L1 (reuse_block_bytes
/// bounds them: rows of inputs that walk every axis only stream through, one each).
/// The block is the largest divisor of a's extent that fits (at least 2): no
/// remainder to walk apart. Moves the split axes in place and returns the split
/// (block 1: no such axis, nothing moved). On one thread only: see run_prepared.
/// bench/run, 1 thread, interleaved, "bi,ij,bj->bij" b=32, i=j=256: float
/// 142-152 us in blocks of 8, 175-194 in order; double (blocks of 4) 363-610 and
/// 406-527 (16 MiB out: the writes decide).
inline ReuseSplit block_for_reuse(LoopSpace& s, index_t element_size) {
  if (s.rank < 3 || s.rank + 1 > max_labels) return {};
  const int u = s.rank - 1;
  // What input k reads inside axis a (the axes after it where it walks), in bytes.
  const auto inside = [&](int k, int a) {
    double bytes = double(element_size);
    for (int b = a + 1; b < s.rank; ++b)
      if (s.axes[ix(b)].stride[ix(k)] != 0) bytes *= double(s.axes[ix(b)].extent);
    return bytes;
  };
  for (int a = s.rank - 3; a >= 0; --a) {  // (the row's neighbour already runs next to it)
    const LoopAxis& axis = s.axes[ix(a)];
    if (axis.extent < 2) continue;
    bool large_stays = false;
    double block_row = 0;  // what one position of the block keeps in L1
    for (int k = 1; k < s.operands; ++k) {
      if (axis.stride[ix(k)] == 0) {
        large_stays = large_stays || inside(k, a) > reuse_input_bytes;
        continue;
      }
      bool reread = false;  // stays along an axis between a and the row: its rows come back
      for (int b = a + 1; b < u; ++b) reread = reread || s.axes[ix(b)].stride[ix(k)] == 0;
      block_row += reread ? inside(k, a) : double(element_size) * double(s.axes[ix(u)].extent);
    }
    if (!large_stays) continue;
    const index_t most = std::min(reuse_block_most, index_t(reuse_block_bytes / std::max(block_row, 1.0)));
    index_t block = std::min(most, axis.extent);
    while (block >= 2 && axis.extent % block != 0) --block;
    if (block < 2) continue;
    LoopAxis inner = axis, outer = axis;
    inner.extent = block;
    outer.extent = axis.extent / block;
    for (int k = 0; k < s.operands; ++k) outer.stride[ix(k)] *= block;
    // [..., a, ..., u] -> [..., a / block, ..., a % block, u] (a / block dropped when 1 long)
    std::rotate(s.axes.begin() + a, s.axes.begin() + a + 1, s.axes.begin() + u);
    s.axes[ix(u - 1)] = inner;
    if (outer.extent > 1) {
      std::rotate(s.axes.begin() + a, s.axes.begin() + s.rank, s.axes.begin() + s.rank + 1);
      s.axes[ix(a)] = outer;
      ++s.rank;
    }
    return {block, a, outer.extent > 1};
  }
  return {};
}

/// Undoes block_for_reuse's split: the axis whole where it stood, the space as before.
inline void unsplit_reuse(LoopSpace& s, ReuseSplit& split) {
  if (split.block < 2) return;
  LoopAxis whole = s.axes[ix(s.rank - 2)];  // (the inner part carries the axis's own strides)
  if (split.outer) whole.extent *= s.axes[ix(split.axis)].extent;
  s.axes[ix(s.rank - 2)] = s.axes[ix(s.rank - 1)];
  --s.rank;
  if (!split.outer) {
    std::rotate(s.axes.begin() + split.axis, s.axes.begin() + s.rank, s.axes.begin() + s.rank + 1);
    ++s.rank;
  }
  s.axes[ix(split.axis)] = whole;
  split = {};
}

/// The operands of a nest in loop order that cross (crossed_squares.hpp). Seen
/// along axis x (u, or v where `swapped`), y the other: inputs `along` run
/// unit-stride along x (any stride along y), inputs `across` unit-stride along y and
/// jump along x. The output runs unit-stride along x and is kept along y (a plane:
/// 0 to 2 inputs along, 1 or 2 across, two or more in all; "ij,ij->ji" is seen from
/// its output, swapped), or is summed along y (`sum`: one input of each; x kept at
/// any stride, or summed too). No operand crosses where neither count is set.
/// Strides only: run_nest asks again of a thread's share, whatever its extents.
struct CrossedInputs {
  std::array<int, 2> along{}, across{};
  int n_along = 0, n_across = 0;
  bool swapped = false;
  bool sum = false;
  [[nodiscard]] bool crossed() const { return n_along + n_across > 0; }
};

inline CrossedInputs crossed_inputs(const LoopSpace& s) {
  if (s.rank < 2 || s.operands < 3 || s.operands > 4) return {};
  const LoopAxis &u = s.axes[ix(s.rank - 1)], &v = s.axes[ix(s.rank - 2)];
  const auto jumps = [](index_t stride) { return stride != 0 && stride != 1 && stride != -1; };
  CrossedInputs c;
  const index_t ou = u.stride[0], ov = v.stride[0];
  if (ou == 1 && ov != 0) {
    // a plane along u
  } else if (ov == 1 && jumps(ou)) {
    c.swapped = true;  // a plane along v
  } else if (ov == 0) {
    c.sum = true;  // summed along v, the sums' lanes along u
  } else if (ou == 0) {
    c.sum = c.swapped = true;  // summed along u, kept along v: the sums' lanes along v
  } else {
    return {};
  }
  const LoopAxis &x = c.swapped ? v : u, &y = c.swapped ? u : v;
  for (int k = 1; k < s.operands; ++k) {
    if (x.stride[ix(k)] == 1 && c.n_along < 2) {
      c.along[ix(c.n_along++)] = k;
    } else if (y.stride[ix(k)] == 1 && jumps(x.stride[ix(k)]) && c.n_across < 2) {
      c.across[ix(c.n_across++)] = k;
    } else {
      return {};
    }
  }
  const bool fits = c.sum ? c.n_along == 1 && c.n_across == 1 : c.n_across >= 1 && c.n_along + c.n_across >= 2;
  return fits ? c : CrossedInputs{};
}

/// The walk of a crossed nest's planes (crossed_walk): whether the output's rows or
/// those of the inputs along x start in diagonal_plane_sets L1 sets or fewer a square
/// (sets_of_rows), and whether those of the inputs across do. One thread, n x n
/// against a memcpy of the same bytes, alternating, rows_alias alone against this:
/// "ij,ij->ji" float 512 28-29% -> 49-53%, 768 51-52% -> 70-75%; "ij,ji->ij" float
/// 512 25-30% -> 54-55%, 768 39% -> 58-59%; "ij,ij->ji" double 768 27-42% -> 83-88%;
/// lost: "ij,ji->" and "ij,ji->ij" float 1536 (6 KiB rows) 48-52% -> 37-41% and
/// 75-81% -> 63-68%.
inline CrossedWalk crossed_walk_of(const LoopSpace& s, const CrossedInputs& c, index_t element_size, bool stream) {
  const LoopAxis& x = s.axes[ix(c.swapped ? s.rank - 2 : s.rank - 1)];
  const LoopAxis& y = s.axes[ix(c.swapped ? s.rank - 1 : s.rank - 2)];
  bool a_alias = square_rows_crowd(y.stride[0], element_size), b_alias = false;
  for (int q = 0; q < c.n_along; ++q)
    a_alias = a_alias || square_rows_crowd(y.stride[ix(c.along[ix(q)])], element_size);
  for (int q = 0; q < c.n_across; ++q)
    b_alias = b_alias || square_rows_crowd(x.stride[ix(c.across[ix(q)])], element_size);
  return crossed_walk(a_alias, b_alias, element_size, stream, c.n_across);
}

/// Orders a folded space into loop order, in place (see the header comment).
inline LoopNest order_nest(LoopSpace& s, index_t element_size) {
  LoopNest nest;
  if (s.rank == 0) return nest;
  int u = s.rank - 1;
  for (int a = s.rank - 1; a-- > 0;)
    if (row_cost(s, s.axes[ix(a)]) < row_cost(s, s.axes[ix(u)])) u = a;
  std::rotate(s.axes.begin() + u, s.axes.begin() + u + 1, s.axes.begin() + s.rank);
  const LoopAxis& row = s.axes[ix(s.rank - 1)];
  nest.tile_u = row.extent;
  bool summed = false;
  for (int a = 0; a < s.rank; ++a) summed = summed || s.summed(a);
  nest.stream = row.stride[0] == 1 && !summed &&
                stream_pays(s.volume() * double(element_size), stream_rows_bytes,
                            s.output_sized_inputs());  // (rows: untiled, below)
  if (s.rank == 1) return nest;
  // A tile partner: an axis along which an operand that jumps along u walks unit-stride.
  // A permutation (the output unit-stride along u) pairs shorter axes: its squares
  // are 8 a side, where a tile is worth its bookkeeping from 32.
  const bool permutes = s.operands == 2 && row.stride[0] == 1;
  const index_t line = 64 / element_size;
  // A permutation's row shorter than a line, followed in the output by an axis w
  // that fills whole lines with it: u and `group` positions of w move as one line
  // (transpose_grouped_plane), paired with a v of a line or more.
  int w = -1;
  if (permutes && line_squares(std::size_t(element_size)) && row.extent < line && line % row.extent == 0 && row.stride[1] != 0)
    for (int a = s.rank - 1; a-- > 0 && w < 0;)
      if (s.axes[ix(a)].stride[0] == row.extent && s.axes[ix(a)].extent >= line / row.extent) w = a;
  const index_t min_extent = permutes ? transpose_min_extent : loop_tile, v_extent = w >= 0 ? line : min_extent;
  int v = -1;
  if (row.extent >= min_extent || w >= 0)
    for (int k = 0; k < s.operands && v < 0; ++k) {
      const index_t su = row.stride[ix(k)];
      if (su == 0 || su == 1 || su == -1) continue;
      for (int a = s.rank - 1; a-- > 0;) {
        const index_t sv = s.axes[ix(a)].stride[ix(k)];
        if (a != w && (sv == 1 || sv == -1) && s.axes[ix(a)].extent >= v_extent) {
          v = a;
          break;
        }
      }
    }
  if (v >= 0 && w >= 0) {
    const LoopAxis& partner = s.axes[ix(v)];
    if (partner.stride[1] == 1 && partner.stride[0] != 0) {  // w, v, u innermost
      std::rotate(s.axes.begin() + v, s.axes.begin() + v + 1, s.axes.begin() + s.rank - 1);
      if (w > v) --w;  // (moved down one by the rotation)
      std::rotate(s.axes.begin() + w, s.axes.begin() + w + 1, s.axes.begin() + s.rank - 2);
      nest.transpose = true;
      nest.group = line / row.extent;
      nest.tile_v = line;  // (a square's side: split_grain cuts v in whole squares)
      nest.stream = !summed && permutation_streams(s.volume() * double(element_size),
                                                   squares_overflow_set(partner.stride[0], element_size, false));
      if (nest.stream) outer_in_input_order(s, s.rank - 3);
      return nest;
    }
    if (row.extent < min_extent) v = -1;  // (no square: a short row's nest, as without w)
  }
  if (v >= 0) {
    std::rotate(s.axes.begin() + v, s.axes.begin() + v + 1, s.axes.begin() + s.rank - 1);
    const LoopAxis& partner = s.axes[ix(s.rank - 2)];
    nest.transpose = permutes && partner.stride[1] == 1 && partner.stride[0] != 0;
    if (nest.transpose) {
      nest.tile_u = nest.tile_v = std::max(transpose_min_extent, 64 / element_size);  // a square's side
      const bool apart = planes_apart(s);
      nest.by_square = !apart && (std::abs(row.stride[1]) * element_size >= cache_set_period ||
                                  std::abs(partner.stride[0]) * element_size >= cache_set_period);
      // (Squares of a whole line only: a half-line row is not worth streaming.)
      // Where cached squares would overflow an L1 set (squares_overflow_set), whole
      // planes go along diagonals (transpose_plane) and stream past the floor.
      // Against a memcpy of the same bytes, 1 thread, alternating: 128^3
      // "ijk->kji" float 38-43% by squares cached -> 75-82% streamed diagonal planes
      // (strips, streamed: 31%); 1024^2 "ij->ji" double 40-49% diagonal cached ->
      // 72-76% streamed. Squares of 8 (doubles) at outer positions fit: by squares,
      // or strips where streamed (128^3 double streamed: strips 82%, diagonal planes 41%).
      nest.diagonal = squares_overflow_set(partner.stride[0], element_size, apart);
      // (Not with a summed axis, "ijk->ki" at j = 2: the streamed walks store each
      // visit with beta, where the later visits must add to the first.)
      // Output rows not whole lines apart (no line of them streams) whose squares start
      // in a few sets anyway ("ij->ji" of 1023 floats): through a buffer, cached.
      const index_t row_bytes = std::abs(partner.stride[0]) * element_size;
      nest.buffered = apart && !nest.diagonal && element_size == 4 && row_bytes % 64 != 0 && row.extent >= line &&
                      partner.extent >= line && square_row_starts_crowd(partner.stride[0], element_size);
      nest.stream = !summed && !nest.buffered && row.extent >= line && partner.extent >= line &&
                    permutation_streams(s.volume() * double(element_size), nest.diagonal);
      if (nest.stream) outer_in_input_order(s, s.rank - 2);
    } else if (line_squares(std::size_t(element_size)) && row.extent >= line && partner.extent >= line &&
               crossed_inputs(s).crossed()) {
      // Squares of a line a side (crossed_squares.hpp), stored past the caches as an
      // output of unit-stride rows would be (kept: no summed axis); where the rows
      // alias (crossed_walk's diagonals), the cached stores stall on their L1 set.
      nest.crossed = true;
      nest.tile_u = nest.tile_v = line;  // (split_grain cuts u and v in whole squares)
      const bool aliased = crossed_walk_of(s, crossed_inputs(s), element_size, false) == CrossedWalk::diagonals;
      const double bytes = s.volume() * double(element_size);
      nest.stream = !summed && (aliased ? stream_allowed(bytes, stream_rows_bytes)
                                        : stream_pays(bytes, stream_rows_bytes, 2));
    } else {
      nest.tile_u = loop_tile;
      nest.tile_v = std::max(index_t(8), loop_tile_bytes / element_size / 8 * 8);
      nest.stream = false;  // (tiles' rows are short: a line or two)
    }
  } else {
    if (!summed && row.stride[0] == 1) {
      // (block_for_reuse moves the row: rows are walked by value from here.)
      const index_t u_extent = row.extent;
      nest.reuse = block_for_reuse(s, element_size);
      nest.tile_u = u_extent;
    }
    nest.tile_v = s.axes[ix(s.rank - 2)].extent;
  }
  return nest;
}

constexpr const char* nest_kernel_name(NestKernel kernel) {
  switch (kernel) {
    case NestKernel::element: return "element";
    case NestKernel::row_dots: return "row dots";
    case NestKernel::row_axpys: return "row axpys";
    case NestKernel::unit_rows: return "unit rows";
    case NestKernel::rows: return "rows";
    case NestKernel::squares: return "squares";
    case NestKernel::grouped_squares: return "line groups";
    case NestKernel::packed_rows: return "packed tile rows";
    case NestKernel::crossed_squares: return "crossed squares";
  }
  return "?";
}

/// Whether input k of a tiled nest is packed per tile (pack_tile_elements): it walks
/// v unit-stride and jumps along u, and the tile fits the buffer.
inline bool packed_tile_input(const LoopSpace& s, const LoopNest& nest, int k) {
  if (s.rank < 2 || k < 1 || nest.transpose || nest.crossed || nest.group > 1) return false;
  const LoopAxis &u = s.axes[ix(s.rank - 1)], &v = s.axes[ix(s.rank - 2)];
  const index_t su = u.stride[ix(k)];
  return nest.tile_u < u.extent && nest.tile_v <= loop_tile && nest.tile_u * nest.tile_v <= pack_tile_elements &&
         v.stride[ix(k)] == 1 && su != 0 && su != 1 && su != -1;
}

/// Which kernel run_nest gives an ordered nest (see NestKernel).
inline NestKernel nest_kernel(const LoopSpace& s, const LoopNest& nest) {
  if (s.rank == 0) return NestKernel::element;
  if (nest.group > 1) return NestKernel::grouped_squares;
  if (nest.transpose) return NestKernel::squares;
  if (nest.crossed) return NestKernel::crossed_squares;
  const LoopAxis& u = s.axes[ix(s.rank - 1)];
  const bool has_v = s.rank >= 2, whole_row = nest.tile_u >= u.extent;
  const bool u_summed = u.stride[0] == 0, v_summed = has_v && s.axes[ix(s.rank - 2)].stride[0] == 0;
  const int n_in = s.operands - 1;
  const auto su = [&](int k) { return u.stride[ix(k)]; };
  const auto unit_or_zero = [&](int k) { return su(k) == 0 || su(k) == 1; };
  if (u_summed && has_v && !v_summed && whole_row && su(1) == 1 && (n_in == 1 || (n_in == 2 && su(2) == 1)))
    return NestKernel::row_dots;
  if (!u_summed && has_v && v_summed && su(0) == 1 && whole_row &&
      ((n_in == 1 && su(1) == 1) || (n_in == 2 && unit_or_zero(1) && unit_or_zero(2) && su(1) + su(2) > 0)))
    return NestKernel::row_axpys;
  if (!u_summed && su(0) == 1 && whole_row) {
    int walking = 0;
    bool unit = true;
    for (int k = 1; k < s.operands; ++k) {
      walking += su(k) == 1;
      unit = unit && unit_or_zero(k);
    }
    if (unit && (walking == 1 || walking == 2)) return NestKernel::unit_rows;  // (three: product_row_n's loops)
  }
  for (int k = 1; k < s.operands; ++k)
    if (packed_tile_input(s, nest, k)) return NestKernel::packed_rows;
  return NestKernel::rows;
}

/// A block of `rows` unit-stride rows of run_nest's unit_rows kernel, each row
/// o = alpha * s0 * s1 * a (* b) + beta * o (a null s0, s1 or b: absent), every
/// pointer stepping by its own step from row to row; beta for the first row,
/// beta_rest for the others (a summed v: 1). Its own function, so that the row
/// loop's bounds and pointers live in registers: inlined into run_nest's walk they
/// were spilled, and reloaded from the stack inside the row loop, each load waiting
/// on the stores before it wherever the addresses matched in their low 12 bits
/// (4 KiB aliasing): "bi,ij,bj->bij" b=32, i=j=256, float, 1 thread, rows in reuse
/// blocks of 8: 1.4-1.5x the time of the same rows called from a small loop (probe,
/// interleaved medians).
template <class T, bool Stream>
[[gnu::noinline]] void unit_rows_block(T* o, index_t o_step, const T* a, index_t a_step, const T* b, index_t b_step,
                                       const T* s0, index_t s0_step, const T* s1, index_t s1_step, index_t rows,
                                       index_t len, T alpha, T beta, T beta_rest) {
  constexpr int chunk = 16;  // rows whose scales are taken first (fewer values live in the row loop)
  for (index_t r0 = 0; r0 < rows; r0 += chunk) {
    const int n = int(std::min(index_t(chunk), rows - r0));
    T scale[ix(chunk)];
    for (int r = 0; r < n; ++r) {
      T value = alpha;
      if (s0 != nullptr) value *= s0[(r0 + r) * s0_step];
      if (s1 != nullptr) value *= s1[(r0 + r) * s1_step];
      scale[ix(r)] = value;
    }
    if (b == nullptr)
      for (int r = 0; r < n; ++r, o += o_step, a += a_step)
        copy_row<T, Stream>(o, 1, a, 1, len, scale[ix(r)], r0 + r == 0 ? beta : beta_rest);
    else
      for (int r = 0; r < n; ++r, o += o_step, a += a_step, b += b_step)
        product_row<T, Stream>(o, 1, a, 1, b, 1, len, scale[ix(r)], r0 + r == 0 ? beta : beta_rest);
  }
}

/// Whether run_nest moves a permutation in half-streamed squares: a permutation by
/// squares (float: 16 output lines a square) whose output rows alias, so that all of
/// a square's output lines fall in one L1 set, more than its 12 ways (nest.diagonal),
/// with outer axes (one plane goes along diagonals instead), beta 0 and every output
/// line aligned. Each square then stores its first half of rows cached and the rest
/// past the caches (stream_store): no set gets more of a square's lines than it
/// holds, and only half the output goes to memory. Cached squares stalled on their
/// set (padding the output rows by one line, in a probe, ran 1.7x faster), streaming
/// them all waited on memory: 128^3 "ijk->kji" float here cached 44% of a memcpy of
/// the same bytes, all streamed 32%. Probe, 1 thread, the same squares, interleaved
/// medians against a memcpy of the same bytes, n^3 "ijk->kji" float, cached / 8 rows
/// streamed: n = 96 44% / 95%, 112 79% / 104%, 128 40% / 57%, 160 64% / 87% (the
/// machine loaded by a build: the ratios, not the rates). 10 or 12 rows cached: less.
/// EIN_STREAM_STORES=never turns it off; "always" leaves it (the output's other half
/// cached).
inline constexpr int half_streamed_cached_rows = 8;

template <class T>
bool half_streamed_squares(const LoopSpace& s, const LoopNest& nest, const T* out, T beta) {
  if constexpr (!line_squares(sizeof(T)) || !can_stream_stores) {
    return false;
  } else {
    if (!nest.transpose || !nest.by_square || nest.group > 1 || !nest.diagonal || s.rank < 3 || beta != T(0))
      return false;
    if (stream_policy() == StreamPolicy::never) return false;  // (EIN_STREAM_STORES=never: no stream at all)
    for (int a = 0; a < s.rank; ++a)
      if (s.summed(a)) return false;  // (each visit stores with beta: a sum must add to the first)
    if (reinterpret_cast<std::uintptr_t>(out) % 64 != 0) return false;
    for (int a = 0; a < s.rank - 1; ++a)  // v and the outer axes: whole lines apart
      if (s.axes[ix(a)].stride[0] * index_t(sizeof(T)) % 64 != 0) return false;
    return true;
  }
}

/// Runs a nest on one thread. base[k] is operand k's pointer (base[0] the output's).
template <class T>
void run_nest(const LoopSpace& s, const LoopNest& nest, T* out, const T* const* in, T alpha, T beta) {
  const int n_in = s.operands - 1;
  if (s.rank == 0) {
    std::array<index_t, max_loop_operands> zero{};
    const T value = dot_n(in, zero.data() + 1, n_in, 1);
    out[0] = beta == T(0) ? alpha * value : alpha * value + beta * out[0];
    return;
  }
  const LoopAxis& u = s.axes[ix(s.rank - 1)];
  const bool has_v = s.rank >= 2;
  const LoopAxis& v = s.axes[ix(has_v ? s.rank - 2 : s.rank - 1)];
  const index_t ev = has_v ? v.extent : 1;
  const bool u_summed = u.stride[0] == 0, v_summed = has_v && v.stride[0] == 0;
  const int n_outer = s.rank - (has_v ? 2 : 1) - (nest.group > 1 ? 1 : 0);  // (a grouped plane walks w too)

  std::array<index_t, max_loop_operands> su;
  for (int k = 0; k < s.operands; ++k) su[ix(k)] = u.stride[ix(k)];
  std::array<index_t, max_loop_operands> off{};  // every operand's offset at the outer position
  std::array<const T*, max_loop_operands> p;
  const NestKernel kernel = nest.kernel;
  const bool dots = kernel == NestKernel::row_dots, axpys = kernel == NestKernel::row_axpys;
  const bool axpy_rows = axpys && n_in == 2 && su[1] + su[2] == 2;
  const int vec = n_in == 2 && ((dots && v.stride[1] == 0) || (axpys && su[1] == 0)) ? 1 : 2, mat = 3 - vec;
  // Unit rows: which operands walk the row (stride 1) and which stay along it
  // (stride 0) is the same for every row, so it is sorted out here once, not per
  // row in product_row_n (a 256-element row of "bi,ij,bj->bij" spent a third of
  // its instructions on that and on the pointers).
  const bool unit_rows = kernel == NestKernel::unit_rows;
  std::array<int, max_loop_operands> walking{}, staying{};
  int n_walk = 0, n_stay = 0;
  for (int k = 1; k < s.operands && unit_rows; ++k) {
    if (su[ix(k)] == 1)
      walking[ix(n_walk++)] = k;
    else
      staying[ix(n_stay++)] = k;
  }
  // Tiled rows: inputs unit-stride along v and jumping along u are packed per tile
  // (at most pack_tile_operands of them); s_row: the strides the rows are read with.
  std::array<index_t, max_loop_operands> s_row = su;
  std::array<int, pack_tile_operands> packed_operand{};
  int n_packed = 0;
  for (int k = 1; k < s.operands && kernel == NestKernel::packed_rows && n_packed < pack_tile_operands; ++k)
    if (packed_tile_input(s, nest, k)) {
      packed_operand[ix(n_packed++)] = k;
      s_row[ix(k)] = 1;
    }
  // (Per thread, not on the stack: every nest would probe the pages of 16 KiB of frame.)
  alignas(64) static thread_local T packed[pack_tile_operands][ix(pack_tile_elements)];  // (written, then read)
  // The tile (or whole plane) of u and v at the current outer position; `first`:
  // every outer summed axis is at 0, so beta applies.
  const auto plane = [&](bool first, auto streamed) {
    constexpr bool Stream = decltype(streamed)::value;
    for (index_t u0 = 0; u0 < u.extent; u0 += nest.tile_u) {
      const index_t len = std::min(nest.tile_u, u.extent - u0);
      for (index_t v0 = 0; v0 < ev; v0 += nest.tile_v) {
        const index_t v1 = std::min(ev, v0 + nest.tile_v);
        if (dots || axpys) {  // the matrix's and the vector's first rows of this block
          const T* m_at = in[mat - 1] + off[ix(mat)] + v0 * v.stride[ix(mat)];
          // (One operand: no vector, x_at null, and its stride unused.)
          const T* x_at = n_in == 2 ? in[vec - 1] + off[ix(vec)] + v0 * v.stride[ix(vec)] : nullptr;
          const index_t x_stride = n_in == 2 ? v.stride[ix(vec)] : 0;
          if (dots)
            row_dots(out + off[0] + v0 * v.stride[0], v.stride[0], m_at, v.stride[ix(mat)], x_at, x_stride, v1 - v0,
                     len, alpha, first ? beta : T(1));
          else if (axpy_rows)
            row_axpys<T, true>(out + off[0] + u0, m_at + u0, v.stride[ix(mat)], x_at + u0, x_stride, v1 - v0, len,
                               alpha, first && v0 == 0 ? beta : T(1));
          else
            row_axpys(out + off[0] + u0, m_at + u0, v.stride[ix(mat)], x_at, x_stride, v1 - v0, len, alpha,
                      first && v0 == 0 ? beta : T(1));
          continue;
        }
        if (unit_rows) {  // (u untiled: u0 is 0)
          const auto first_row = [&](int k) { return in[k - 1] + off[ix(k)] + (has_v ? v0 * v.stride[ix(k)] : 0); };
          const auto step_of = [&](int k) { return has_v ? v.stride[ix(k)] : index_t(0); };
          T* o = out + off[0] + (has_v ? v0 * v.stride[0] : 0);
          const T b = first && !(v_summed && v0 > 0) ? beta : T(1), b_rest = first && !v_summed ? beta : T(1);
          if (n_stay <= 2) {
            const int k0 = walking[0], k1 = walking[ix(n_walk - 1)];
            unit_rows_block<T, Stream>(o, step_of(0), first_row(k0), step_of(k0), n_walk == 2 ? first_row(k1) : nullptr,
                                       step_of(k1), n_stay > 0 ? first_row(staying[0]) : nullptr,
                                       n_stay > 0 ? step_of(staying[0]) : 0,
                                       n_stay > 1 ? first_row(staying[1]) : nullptr,
                                       n_stay > 1 ? step_of(staying[1]) : 0, v1 - v0, len, alpha, b, b_rest);
            continue;
          }
          for (index_t j = v0; j < v1; ++j, o += step_of(0)) {
            const auto at = [&](int k) { return first_row(k) + (j - v0) * step_of(k); };
            T scale = alpha;
            for (int q = 0; q < n_stay; ++q) scale *= *at(staying[ix(q)]);
            if (n_walk == 1)
              copy_row<T, Stream>(o, 1, at(walking[0]), 1, len, scale, j == v0 ? b : b_rest);
            else
              product_row<T, Stream>(o, 1, at(walking[0]), 1, at(walking[1]), 1, len, scale, j == v0 ? b : b_rest);
          }
          continue;
        }
        // The tile's inputs that walk v unit-stride and jump along u, moved first into
        // `packed` by whole lines (transpose_plane), so that every row reads them
        // unit-stride (see pack_tile_elements).
        for (int q = 0; q < n_packed; ++q) {
          const int k = packed_operand[ix(q)];
          transpose_plane(packed[ix(q)], len, in[k - 1] + off[ix(k)] + v0 + u0 * su[ix(k)], su[ix(k)], len, v1 - v0,
                          T(1), T(0));
        }
        // Each input's first row of the tile and its step from row to row, as the rows
        // read it (a packed one in `packed`).
        std::array<const T*, max_loop_operands> row0;
        std::array<index_t, max_loop_operands> row_step;
        for (int k = 1; k < s.operands; ++k) {
          row_step[ix(k)] = has_v ? v.stride[ix(k)] : 0;
          row0[ix(k)] = in[k - 1] + off[ix(k)] + v0 * row_step[ix(k)] + u0 * su[ix(k)];
        }
        for (int q = 0; q < n_packed; ++q) {
          row0[ix(packed_operand[ix(q)])] = packed[ix(q)];
          row_step[ix(packed_operand[ix(q)])] = len;
        }
        if (n_packed > 0 && u_summed && n_in == 2) {  // the tile's dots a block of rows at a time
          T tile_dots[ix(loop_tile)];
          row_dots(tile_dots, 1, row0[1], row_step[1], row0[2], row_step[2], v1 - v0, len, T(1), T(0));
          index_t rows = v1 - v0;
          if (v_summed) {  // one output element: the tile's dots summed first, where adding each to
                           // *o in turn chained every add through a store and a reload
            for (index_t j = 1; j < rows; ++j) tile_dots[0] += tile_dots[j];
            rows = 1;
          }
          for (index_t j = v0; j < v0 + rows; ++j) {
            T* o = out + off[0] + j * v.stride[0];
            const T bt = u0 > 0 || !first || (v_summed && j > 0) ? T(1) : beta;
            *o = bt == T(0) ? alpha * tile_dots[j - v0] : alpha * tile_dots[j - v0] + bt * *o;
          }
          continue;
        }
        for (index_t j = v0; j < v1; ++j) {
          const T b = first && !(v_summed && j > 0) ? beta : T(1);
          for (int k = 1; k < s.operands; ++k) p[ix(k)] = row0[ix(k)] + (j - v0) * row_step[ix(k)];
          T* o = out + off[0] + (has_v ? j * v.stride[0] : 0) + u0 * su[0];
          if (u_summed) {
            const T value = dot_n(p.data() + 1, s_row.data() + 1, n_in, len);
            // (a tiled summed row is visited once per tile: later tiles accumulate)
            const T bt = u0 > 0 ? T(1) : b;
            *o = bt == T(0) ? alpha * value : alpha * value + bt * *o;
          } else {
            product_row_n<T, Stream>(o, su[0], p.data() + 1, s_row.data() + 1, n_in, len, alpha, b);
          }
        }
      }
    }
  };
  // Calls visit(first) at every outer position in order, with off[] at it (and back at 0 after).
  const auto walk_outer = [&](auto&& visit) {
    if (n_outer == 0) return visit(true);
    std::array<index_t, max_labels> at;  // (only the n_outer used are zeroed: this runs per call)
    for (int d = 0; d < n_outer; ++d) at[ix(d)] = 0;
    int nonzero_summed = 0;  // outer summed axes away from 0
    while (true) {
      visit(nonzero_summed == 0);
      int d = n_outer;
      while (true) {
        if (--d < 0) return;
        const LoopAxis& a = s.axes[ix(d)];
        for (int k = 0; k < s.operands; ++k) off[ix(k)] += a.stride[ix(k)];
        if (++at[ix(d)] < a.extent) {
          if (at[ix(d)] == 1 && a.stride[0] == 0) ++nonzero_summed;
          break;
        }
        for (int k = 0; k < s.operands; ++k) off[ix(k)] -= a.stride[ix(k)] * a.extent;
        if (a.stride[0] == 0) --nonzero_summed;
        at[ix(d)] = 0;
      }
    }
  };
  if constexpr (line_squares(sizeof(T))) {  // (order_nest groups no other lines)
    if (nest.group > 1) {
      const LoopAxis& w = s.axes[ix(s.rank - 3)];
      const bool stream = nest.stream && beta == T(0);
      walk_outer([&](bool first) {
        transpose_grouped_plane(out + off[0], v.stride[0], in[0] + off[1], su[1], w.stride[1], u.extent, nest.group,
                                w.extent, ev, alpha, first ? beta : T(1), stream);
      });
      if (stream) stream_fence();
      return;
    }
  }
  if constexpr (line_squares(sizeof(T))) {
    if (kernel == NestKernel::crossed_squares) {
      const CrossedInputs c = crossed_inputs(s);
      const LoopAxis &x = c.swapped ? v : u, &y = c.swapped ? u : v;
      const auto at = [&](int k) { return in[k - 1] + off[ix(k)]; };
      if (c.sum) {
        const CrossedWalk walk = crossed_walk_of(s, c, index_t(sizeof(T)), false);
        const int a = c.along[0], b = c.across[0];
        return walk_outer([&](bool first) {
          crossed_sum(out + off[0], x.stride[0], at(a), y.stride[ix(a)], at(b), x.stride[ix(b)], x.extent, y.extent,
                      alpha, first ? beta : T(1), walk);
        });
      }
      // A plane: streamed where every square's output lines are whole aligned lines.
      const int x_axis = c.swapped ? s.rank - 2 : s.rank - 1;
      bool stream = nest.stream && beta == T(0) && reinterpret_cast<std::uintptr_t>(out) % 64 == 0;
      for (int a = 0; a < s.rank && stream; ++a)
        stream = a == x_axis || s.axes[ix(a)].stride[0] * index_t(sizeof(T)) % 64 == 0;
      const CrossedWalk walk = crossed_walk_of(s, c, index_t(sizeof(T)), stream);
      const auto planes = [&](auto na, auto nb) {
        walk_outer([&](bool first) {
          CrossedOperands<T> ops;
          for (int q = 0; q < c.n_along; ++q)
            ops.a[q] = at(c.along[ix(q)]), ops.a_row[q] = y.stride[ix(c.along[ix(q)])];
          for (int q = 0; q < c.n_across; ++q)
            ops.b[q] = at(c.across[ix(q)]), ops.b_row[q] = x.stride[ix(c.across[ix(q)])];
          crossed_plane_n<T, decltype(na)::value, decltype(nb)::value>(
              out + off[0], y.stride[0], ops, x.extent, y.extent, alpha, first ? beta : T(1), walk, stream);
        });
      };
      using one = std::integral_constant<int, 1>;
      using two = std::integral_constant<int, 2>;
      if (c.n_along == 1 && c.n_across == 1)
        planes(one{}, one{});
      else if (c.n_along == 0)
        planes(std::integral_constant<int, 0>{}, two{});
      else if (c.n_along == 1)
        planes(one{}, two{});
      else
        planes(two{}, one{});
      if (stream) stream_fence();
      return;
    }
  }
  if (!nest.transpose) {
    if (nest.stream && beta == T(0)) {
      walk_outer([&](bool first) { plane(first, std::true_type{}); });
      return stream_fence();
    }
    return walk_outer([&](bool first) { plane(first, std::false_type{}); });
  }
  const auto whole_plane = [&](bool first) {
    transpose_plane(out + off[0], v.stride[0], in[0] + off[1], su[1], u.extent, ev, alpha, first ? beta : T(1), false,
                    0, nest.diagonal, nest.buffered);
  };
  if constexpr (line_squares(sizeof(T))) {
    // (The by-square walk below, written once for both as one lambda, made double 128^3
    // "ijk->kji" 1.1-1.3x slower, 3 alternating runs: g++ 12 inlined it otherwise.)
    if (half_streamed_squares(s, nest, out, beta)) {  // whole squares half streamed, the edges cached
      constexpr int S = 64 / int(sizeof(T));
      for (index_t u0 = 0; u0 < u.extent; u0 += S)
        for (index_t v0 = 0; v0 < ev; v0 += S) {
          const index_t lu = std::min(index_t(S), u.extent - u0), lv = std::min(index_t(S), ev - v0);
          walk_outer([&](bool) {
            T* o = out + off[0] + v0 * v.stride[0] + u0;
            const T* at = in[0] + off[1] + u0 * su[1] + v0;
            const index_t au = su[1];
            if (lu == S && lv == S)
              transpose_square<T, S, true>(o, v.stride[0], [&](int i) { return at + i * au; }, alpha, beta, 0,
                                           half_streamed_cached_rows);
            else
              transpose_plane(o, v.stride[0], at, au, lu, lv, alpha, beta);
          });
        }
      return stream_fence();
    }
  }
  // A permutation whose square's rows lie cache_set_period apart or more walks one
  // square at every outer position, then the next square. A whole plane at a time
  // puts such rows (a power of two apart: 128^3 "ijk->kji", 64 KiB) through the
  // same few cache sets square after square: 1.7-2x slower there (1 thread, float
  // and double). Closer rows read the plane along its rows, streams the prefetcher
  // follows ("ijk->ikj" 64 x 128 x 256: 1.3-1.6x faster than by squares).
  // A large one (nest.stream) walks a strip of stream_strip_rows along u at every outer
  // position, then the next strip: the input's rows are read along their length,
  // a stream the prefetcher follows, and the output goes past the caches.
  if (nest.stream && beta == T(0) && nest.diagonal) {  // whole planes, their squares along diagonals
    walk_outer([&](bool) {
      transpose_plane(out + off[0], v.stride[0], in[0] + off[1], su[1], u.extent, ev, alpha, beta, true, 0, true);
    });
    return stream_fence();
  }
  if (nest.stream && beta == T(0)) {
    // (The next outer position's input, fetched while this one moves: 10-20% on
    // 112^3 and 128^3 "ijk->kji", where each strip's rows are short streams.)
    const index_t side = std::max(nest.tile_u, stream_strip_rows), ahead = n_outer > 0 ? s.axes[ix(n_outer - 1)].stride[1] : 0;
    for (index_t u0 = 0; u0 < u.extent; u0 += side) {
      const index_t lu = std::min(side, u.extent - u0);
      walk_outer([&](bool) {
        transpose_plane(out + off[0] + u0, v.stride[0], in[0] + off[1] + u0 * su[1], su[1], lu, ev, alpha, beta, true,
                        ahead);
      });
    }
    return stream_fence();
  }
  // (Planes apart, one plane among them: each walked whole, along diagonals where so ordered.)
  if (!nest.by_square) return walk_outer(whole_plane);
  const index_t side = nest.tile_u;
  for (index_t u0 = 0; u0 < u.extent; u0 += side)
    for (index_t v0 = 0; v0 < ev; v0 += side) {
      const index_t lu = std::min(side, u.extent - u0), lv = std::min(side, ev - v0);
      if constexpr (line_squares(sizeof(T))) {
        constexpr int S = 64 / int(sizeof(T));
        // A whole square goes straight to the kernel: through transpose_plane (a plane
        // of one square), as compiled inside this walk, double 128^3 "ijk->kji" took
        // 2.2-3.7x as long (1 thread; 2.7x at 2), "ijkl->ljki" up to 2.5x; float ~10%.
        if (lu == S && lv == S) {
          walk_outer([&](bool first) {
            const T* at = in[0] + off[1] + u0 * su[1] + v0;
            const index_t au = su[1];
            transpose_square<T, S>(out + off[0] + v0 * v.stride[0] + u0, v.stride[0],
                                   [&](int i) { return at + i * au; }, alpha, first ? beta : T(1));
          });
          continue;
        }
      }
      walk_outer([&](bool first) {
        transpose_plane(out + off[0] + v0 * v.stride[0] + u0, v.stride[0], in[0] + off[1] + u0 * su[1] + v0, su[1], lu,
                        lv, alpha, first ? beta : T(1));
      });
    }
}

/// The step in which the threads' shares of axis `split` are cut: a tile side where
/// the axis is tiled (no tile straddles two threads); 64 elements of an untiled row
/// (whole cache lines of a unit-stride row per thread); else 1. (An untiled axis's
/// "tile" is its whole extent: cut by it, the whole nest went to one thread.)
inline index_t split_grain(const LoopSpace& s, const LoopNest& nest, int split) {
  const index_t extent = s.axes[ix(split)].extent;
  if (split == s.rank - 1) return nest.tile_u < extent ? nest.tile_u : std::min<index_t>(extent, 64);
  if (split == s.rank - 2) return nest.tile_v < extent ? nest.tile_v : 1;
  if (split == s.rank - 3 && nest.group > 1) return nest.group;  // (whole lines of a grouped plane)
  return 1;
}

#ifdef _OPENMP
/// Runs thread t's share (of `threads`) of the nest: a block of axis `split`, cut
/// in split_grain steps. Along a summed axis the output does not move (stride 0),
/// so `out` is the thread's own partial sum there.
template <class T>
void run_share(const LoopSpace& space, const LoopNest& nest, int split, index_t t, index_t threads, T* out,
               const T* const* in, T alpha, T beta) {
  const auto [begin, end] = thread_share(space.axes[ix(split)].extent, split_grain(space, nest, split), t, threads);
  if (begin >= end) return;
  LoopSpace part = space;  // (a large nest: the copy is nothing beside it)
  LoopAxis& axis = part.axes[ix(split)];
  axis.extent = end - begin;
  std::array<const T*, max_operands> shifted{};
  for (int k = 1; k < space.operands; ++k) shifted[ix(k - 1)] = in[k - 1] + begin * axis.stride[ix(k)];
  run_nest<T>(part, nest, out + begin * axis.stride[0], shifted.data(), alpha, beta);
}

/// A full reduction (every axis summed, one output element) across the OpenMP
/// threads: no kept axis to split, so each thread sums a block of the longest
/// axis into its own partial sum, and the partial sums add in thread order.
template <class T>
void reduce_in_parallel(const LoopSpace& space, const LoopNest& nest, T* out, const T* const* in, T alpha, T beta) {
  int split = 0;
  for (int a = 1; a < space.rank; ++a)
    if (space.axes[ix(a)].extent > space.axes[ix(split)].extent) split = a;
  constexpr int most_threads = 64;
  struct alignas(64) Partial {  // a cache line each: the threads write them at once
    T value = T(0);
  };
  std::array<Partial, most_threads> partial{};
#pragma omp parallel num_threads(std::min(omp_get_max_threads(), most_threads))
  {
    const index_t t = omp_get_thread_num();
    run_share<T>(space, nest, split, t, omp_get_num_threads(), &partial[static_cast<std::size_t>(t)].value, in, T(1),
                 T(0));
  }
  T total = T(0);
  for (const Partial& p : partial) total += p.value;
  out[0] = beta == T(0) ? alpha * total : alpha * total + beta * out[0];
}
#endif

/// A loop nest ready to run: its space folded and in loop order, and how it is
/// walked. Everything in it follows from the operands' labels, extents and strides
/// (not their data), so a call with the same shapes runs it again as it is
/// (lower/nest_memo.hpp).
struct PreparedNest {
  LoopSpace space;
  LoopNest nest;
  bool empty = false;      // no output element: nothing to do
  bool empty_sum = false;  // a sum over nothing: out = beta * out (alpha is taken as 0)
};

/// Prepares out = contract(ins[0], ..., ins[n - 1]) into `p`. Operands carry one
/// axis per label; `out` carries exactly the kept labels (every other label is
/// summed) and no two of its elements overlap.
template <class T>
void prepare_nest(PreparedNest& p, const Strided<const T>* ins, int n, const Strided<T>& out) {
  LoopSpace& s = p.space;
  s = loop_space(ins, n, out);
  p.empty = p.empty_sum = false;
  for (int a = 0; a < s.rank; ++a)
    if (s.axes[ix(a)].extent == 0) {
      if (!s.summed(a)) {  // no output element
        p.empty = true;
        return;
      }
      p.empty_sum = true;
    }
  if (p.empty_sum) {  // a sum of nothing: out = beta * out, over the kept axes alone
    int r = 0;
    for (int a = 0; a < s.rank; ++a)
      if (!s.summed(a)) s.axes[ix(r++)] = s.axes[ix(a)];
    s.rank = r;
    s.operands = 1;
  }
  fold(s);
  p.nest = order_nest(s, index_t(sizeof(T)));
  p.nest.kernel = nest_kernel(s, p.nest);
  // Packed tiles fill the buffer along v, the packed input's unit-stride axis (a tile
  // of doubles is 16 long there otherwise: 1024^2 double "ij,ji->ij" 1.2-1.4x faster).
  if (p.nest.kernel == NestKernel::packed_rows)
    p.nest.tile_v =
        std::min(s.axes[ix(s.rank - 2)].extent, std::max(p.nest.tile_v, pack_tile_elements / p.nest.tile_u));
}

/// The inputs' data pointers, in order (run_prepared's `in`).
template <class T>
std::array<const T*, max_operands> data_of(const Strided<const T>* ins, int n) {
  std::array<const T*, max_operands> in;
  for (int k = 0; k < n; ++k) in[ix(k)] = ins[k].data;
  return in;
}

/// out = alpha * (the prepared contraction) + beta * out, where in[k] is input k's
/// data: on this thread, or split across the OpenMP threads when it is large.
template <class T>
void run_prepared(const PreparedNest& p, T* out, const T* const* in, T alpha, T beta) {
  if (p.empty) return;
  if (p.empty_sum) alpha = T(0);
  const LoopSpace& space = p.space;

#ifdef _OPENMP
  // The first kept axis in loop order splits across threads.
  int split = -1;
  for (int a = 0; a < space.rank && split < 0; ++a)
    if (!space.summed(a) && space.axes[ix(a)].extent > 1) split = a;
  const bool parallel = space.rank > 0 && space.volume() * double(space.operands) >= parallel_loop_elements &&
                        omp_get_max_threads() > 1 && !omp_in_parallel();
  if (parallel && p.nest.reuse.block > 1) {
    // Reuse blocks on one thread only. Two threads, each its half of b in blocks,
    // ran 1.5-1.6x the time of the same halves in order (bench/run, interleaved,
    // "bi,ij,bj->bij" b=32, i=j=256, float and double), where a probe of the same
    // loops outside the suite ran faster in blocks: not understood, so not used.
    PreparedNest flat = p;  // (a large nest: the copy is nothing beside it)
    unsplit_reuse(flat.space, flat.nest.reuse);
    flat.nest.tile_v = flat.space.axes[ix(flat.space.rank - 2)].extent;
    return run_prepared<T>(flat, out, in, alpha, beta);
  }
  if (parallel) {
    LoopNest nest = p.nest;
    // Rows that read no input as large as the output are streamed on several threads
    // only where each thread's share is twice stream_rows_bytes: at a share of 4 MiB
    // (2 threads, 8 MiB out, a loop over the same call) neither won everywhere.
    // bench/run, Eigen's time / ein's, 3 alternating runs, streamed against cached:
    // bi,ij,bj->bij float 0.83-1.02 streamed, 1.12-1.17 cached; i,j->ij double
    // 0.89-0.98 and 0.83-0.86; but ij,ij->ij double 1.17-1.27 and 0.96-1.01.
    if (nest.stream && !nest.transpose && space.output_sized_inputs() == 0 &&
        space.volume() * double(sizeof(T)) / omp_get_max_threads() < 2 * stream_rows_bytes)
      nest.stream = false;
    if (split < 0) return reduce_in_parallel(space, nest, out, in, alpha, beta);
#pragma omp parallel
    run_share<T>(space, nest, split, omp_get_thread_num(), omp_get_num_threads(), out, in, alpha, beta);
    return;
  }
#endif
  run_nest<T>(space, p.nest, out, in, alpha, beta);
}

/// out = alpha * contract(ins[0], ..., ins[n - 1]) + beta * out by loops (see
/// prepare_nest for what the operands carry).
template <class T>
void loop_nest(const Strided<const T>* ins, int n, const Strided<T>& out, T alpha, T beta) {
  PreparedNest p;  // (~10 KB on the stack; its axes are written only as far as used)
  prepare_nest(p, ins, n, out);
  run_prepared<T>(p, out.data, data_of(ins, n).data(), alpha, beta);
}

}  // namespace ein::detail
