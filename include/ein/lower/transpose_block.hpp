// The permutation kernel of the loop lowering: one plane of a permutation, where
// the output is unit-stride along u and the input unit-stride along v,
//   o[v * ov + u] = alpha * a[u * au + v] + beta * o[v * ov + u],
// moved in S x S squares transposed in vector registers (S = 16 floats or 8
// doubles: one cache line a side; 8 where an extent is shorter).
//
// Why squares of a whole line: every input line and every output line of a square
// is touched once, completely, while the square is moved. Nothing has to stay in
// L1 between squares, so power-of-two strides (a 128^3 "ijk->kji": every row 64 KiB
// apart, every line of a tile in the same L1 set) no longer evict half-used lines.
// Layer: lower.
#pragma once

#include <algorithm>
#include <array>
#include <cstdint>
#include <cstring>
#include <type_traits>

#include "ein/lower/row_kernels.hpp"

namespace ein::detail {

// Whether vectors can be shuffled by constant lane lists (Clang, GCC 12 and later);
// zip and row_dots's fold_rows fall back to lane-by-lane loops without it.
#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define EIN_HAS_SHUFFLEVECTOR
#endif
#endif

/// The first and the second halves of x and y interleaved: x0 y0 x1 y1 ... .
template <int S, class V>
[[gnu::always_inline]] inline void zip(const V& x, const V& y, V& low, V& high) {
  static_assert(S == 8 || S == 16, "zip: 8 or 16 lanes");
#ifdef EIN_HAS_SHUFFLEVECTOR
  if constexpr (S == 8) {
    low = __builtin_shufflevector(x, y, 0, 8, 1, 9, 2, 10, 3, 11);
    high = __builtin_shufflevector(x, y, 4, 12, 5, 13, 6, 14, 7, 15);
  } else {
    low = __builtin_shufflevector(x, y, 0, 16, 1, 17, 2, 18, 3, 19, 4, 20, 5, 21, 6, 22, 7, 23);
    high = __builtin_shufflevector(x, y, 8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31);
  }
#else
  for (int i = 0; i < S / 2; ++i) {  // (the same, lane by lane)
    low[2 * i] = x[i], low[2 * i + 1] = y[i];
    high[2 * i] = x[S / 2 + i], high[2 * i + 1] = y[S / 2 + i];
  }
#endif
}

/// Transposes S rows of S lanes in registers, in place: afterwards r[j][i] is what
/// r[i][j] was. log2(S) rounds of zip: row i of a round's output is row i / 2
/// zipped with row i / 2 + S / 2 of its input, which rotates an element's index
/// bits (row, column) by one; log2(S) rotations swap row and column.
template <int S, class V>
[[gnu::always_inline]] inline void transpose_registers(V* r) {
  V t[std::size_t(S)];
  for (int round = 1; round < S; round *= 2) {
    for (int i = 0; i < S / 2; ++i) zip<S>(r[i], r[i + S / 2], t[2 * i], t[2 * i + 1]);
    for (int i = 0; i < S; ++i) r[i] = t[i];
  }
}

/// One S x S square: o[v * ov + u] = alpha * a[u * au + v] + beta * o[v * ov + u];
/// Stream: each output row is one whole, aligned line, stored past the caches.
/// ahead (Stream only): the square's input lines this many elements on are fetched
/// into the cache meanwhile (0: not). cached_rows (Stream only): the first this many
/// output rows are stored cached all the same (half_streamed_squares, loop_nest.hpp).
/// row_at(i): where the square's input row i starts (a + i * au in a plane; rows
/// from two axes in a grouped plane, transpose_grouped_plane).
template <class T, int S, bool Stream = false, class RowAt>
void transpose_square(T* o, index_t ov, RowAt&& row_at, T alpha, T beta, index_t ahead = 0, int cached_rows = 0) {
  using V = typename Lanes<T, S>::type;
  constexpr std::size_t rows = S;
  V r[rows];
  if constexpr (Stream)
    if (ahead != 0)
      for (int i = 0; i < S; ++i)  // (an address, not a pointer: it may lie past the operand's end)
        __builtin_prefetch(reinterpret_cast<const void*>(reinterpret_cast<std::uintptr_t>(row_at(i)) +
                                                         std::uintptr_t(ahead) * sizeof(T)));
  for (int i = 0; i < S; ++i) std::memcpy(&r[i], row_at(i), sizeof(V));
  transpose_registers<S>(r);
  for (int i = 0; i < S; ++i) {
    V row = r[i];
    if (alpha != T(1)) row *= alpha;
    if (beta != T(0)) {
      V old;
      std::memcpy(&old, o + i * ov, sizeof(V));
      row += beta * old;
    }
    if constexpr (Stream)
      if (i >= cached_rows) {
        stream_store(o + i * ov, row);
        continue;
      }
    std::memcpy(o + i * ov, &row, sizeof(V));
  }
}

/// Whether a cache line of elements this large is 8 or 16 of them, the lanes zip
/// transposes: the squares of a whole line (transpose_grouped_plane) exist only for
/// such types (float, double, int, long long; not short or char).
constexpr bool line_squares(std::size_t element_size) {
  return 64 / element_size == 8 || 64 / element_size == 16;
}

/// The side, in squares, of the blocks a plane's diagonals wrap in (transpose_plane).
inline constexpr index_t diagonal_block_squares = 32;

/// The side of the squares a plane of eu x ev moves in: one cache line of T where
/// both extents have it, else 8, else 0 (too small: rows alone).
template <class T>
constexpr int square_side(index_t eu, index_t ev) {
  constexpr int line = 64 / int(sizeof(T));
  if (line == 16 && eu >= 16 && ev >= 16) return 16;
  return eu >= 8 && ev >= 8 ? 8 : 0;
}

/// The whole squares of a plane of floats (S = 16) whose output rows are not whole
/// lines apart yet start in a few L1 sets (1023 floats, 4092 bytes: 2 sets; loop_nest.hpp's
/// LoopNest::buffered), beta 0: along S output rows at a time, a run of squares is
/// transposed into a buffer in L1, then each output row is written from it in one
/// piece. Stored square by square, a square's rows each split two lines, all in those
/// few sets, and every line was fetched twice (each half from another square). n x n
/// "ij->ji" against a memcpy of the same bytes, two builds alternated, 1 thread: n =
/// 1023 15% -> 34%, 1025 15% -> 36%, 1022 27-28% -> 41%, 1026 26% -> 40-41%, 511 32%
/// -> 38-39%, 513 32-33% -> 42-46%, 2049 33-35% -> 33-39%, 2047 35-37% -> 33-34%;
/// 2 threads: 1023 22-27% -> 51-64%, 2047 52-61% -> 75-82%. Not for doubles (a probe:
/// 2047 and 2049 lost, 61% -> 44% and 50% -> 44%).
template <class T, int S>
void transpose_squares_buffered(T* o, index_t ov, const T* a, index_t au, index_t whole_u, index_t whole_v, T alpha) {
  constexpr index_t run = 16 * S, pitch = run + S;  // (a line past each buffer row: its rows in other sets)
  alignas(64) static thread_local T buffer[std::size_t(S * pitch)];
  for (index_t v = 0; v < whole_v; v += S)
    for (index_t u0 = 0; u0 < whole_u; u0 += run) {
      const index_t len = std::min(run, whole_u - u0);
      for (index_t u = 0; u < len; u += S) {
        const T* at = a + (u0 + u) * au + v;
        transpose_square<T, S>(buffer + u, pitch, [&](int i) { return at + i * au; }, alpha, T(0));
      }
      for (index_t j = 0; j < S; ++j)
        std::memcpy(o + (v + j) * ov + u0, buffer + j * pitch, static_cast<std::size_t>(len) * sizeof(T));
    }
}

/// A whole eu x ev plane (see the header): squares, then the strips the squares
/// leave at the far edges of u and v, by rows. stream: the squares' output rows are
/// stored past the caches where each is one aligned line (else cached, as without),
/// and the input `ahead` elements on (the next plane's, 0: none) is prefetched.
/// buffered (floats, cached, beta 0): the squares go through transpose_squares_buffered.
/// diagonals: the squares go along diagonals, (u, v) then (u + 1, v + 1) squares on,
/// for output rows that start in few L1 sets (loop_nest.hpp's squares_overflow_set:
/// rows a whole number of KiB long, 4 sets at most): a square's output lines share those
/// sets, and so do those of every square at the same u, so walking along u or v piled
/// a whole strip's lines into them (12 ways each). Along diagonals each next square's
/// lines, output and input, are in the next set. One thread, a 1024 x 1024 "ij->ji"
/// against a memcpy of the same bytes, alternating: float 13-16% along rows -> 39-46%
/// along diagonals, streamed 38-47% -> 71-73%; double 15-19% -> 40-49%, streamed
/// 55-60% -> 72-76%. The diagonals wrap within blocks of diagonal_block_squares a
/// side, the blocks along the output's rows: a diagonal across a whole wide plane
/// visits a new run of input rows at every square, more than the TLB and the
/// prefetcher follow. Streamed, float n x n, whole-plane diagonals against blocks of
/// 32 squares (16; 64), 3 alternating runs: n = 2048 39-50% -> 75-80% (61-68%;
/// 66-78%), 4096 23-25% -> 59-72% (49-65%; 44-51%); 1024 67-76% -> 64-86% (62-75%;
/// one block); double within the runs' noise.
template <class T>
void transpose_plane(T* o, index_t ov, const T* a, index_t au, index_t eu, index_t ev, T alpha, T beta,
                     bool stream = false, index_t ahead = 0, bool diagonals = false, bool buffered = false) {
  const auto squares = [&](auto side) {
    constexpr int S = decltype(side)::value;
    const index_t whole_u = eu / S * S, whole_v = ev / S * S;
    const auto square = [&](index_t u, index_t v, auto streamed) {
      const T* at = a + u * au + v;
      transpose_square<T, S, decltype(streamed)::value>(
          o + v * ov + u, ov, [&](int i) { return at + i * au; }, alpha, beta, ahead);
    };
    // Along diagonals where asked (see above). Else cached, along the input's
    // rows (streams the prefetcher follows); streamed, along the output's: the squares
    // that share output rows go back to back, so each row gets a run of lines at once,
    // not one line per visit (see loop_nest.hpp's stream_strip_rows).
    const auto move = [&](auto streamed) {
      if (diagonals) {
        constexpr index_t block = diagonal_block_squares * S;
        for (index_t v0 = 0; v0 < whole_v; v0 += block)
          for (index_t u0 = 0; u0 < whole_u; u0 += block) {
            const index_t u1 = std::min(u0 + block, whole_u), v1 = std::min(v0 + block, whole_v);
            for (index_t d = u0; d < u1; d += S)  // from (d, v0), one square on along both, u wrapping to u0
              for (index_t v = v0, u = d; v < v1; v += S) {
                square(u, v, streamed);
                u = u + S < u1 ? u + S : u0;
              }
          }
      } else if constexpr (decltype(streamed)::value) {
        for (index_t v = 0; v < whole_v; v += S)
          for (index_t u = 0; u < whole_u; u += S) square(u, v, streamed);
      } else {
        if constexpr (S == 16 && sizeof(T) == 4)
          if (buffered && beta == T(0)) return transpose_squares_buffered<T, S>(o, ov, a, au, whole_u, whole_v, alpha);
        for (index_t u = 0; u < whole_u; u += S)
          for (index_t v = 0; v < whole_v; v += S) square(u, v, streamed);
      }
    };
    bool streamed = false;
    if constexpr (can_stream_stores && S * sizeof(T) == 64)
      if (stream && reinterpret_cast<std::uintptr_t>(o) % 64 == 0 && (ov * index_t(sizeof(T))) % 64 == 0) {
        move(std::true_type{});
        streamed = true;
      }
    if (!streamed) move(std::false_type{});
    return std::array<index_t, 2>{whole_u, whole_v};
  };
  const int side = square_side<T>(eu, ev);
  std::array<index_t, 2> done{0, 0};  // the u and the v squares cover
  if constexpr (64 / sizeof(T) >= 16) {  // (squares of 16 only where a line holds 16: not compiled for double)
    // Squares of 8 over what squares of 16 leave, u in [u0, u1) by v in [v0, v1)
    // (sides multiples of 8), cached: "ij->ji" 24 x 24 float had five ninths of its
    // elements in the strips' strided loops, 0.17-0.18 us a call -> 0.12-0.13.
    const auto eights = [&](index_t u0, index_t u1, index_t v0, index_t v1) {
      for (index_t u = u0; u < u1; u += 8)
        for (index_t v = v0; v < v1; v += 8) {
          const T* at = a + u * au + v;
          transpose_square<T, 8>(o + v * ov + u, ov, [&](int i) { return at + i * au; }, alpha, beta);
        }
    };
    if (side == 16) {
      const std::array<index_t, 2> sixteens = squares(std::integral_constant<int, 16>{});
      done = {sixteens[0] + (eu - sixteens[0]) / 8 * 8, sixteens[1] + (ev - sixteens[1]) / 8 * 8};
      eights(0, sixteens[0], sixteens[1], done[1]);
      eights(sixteens[0], done[0], 0, done[1]);
    }
  }
  if (side == 8) done = squares(std::integral_constant<int, 8>{});
  // The strip past the squares' v: output rows v, over the squares' u (the input read across rows).
  for (index_t v = done[1]; v < ev; ++v) copy_row(o + v * ov, 1, a + v, au, done[0], alpha, beta);
  // The strip past the squares' u: input rows u, read along v, written across output rows.
  for (index_t u = done[0]; u < eu; ++u) copy_row(o + u, ov, a + u * au, 1, ev, alpha, beta);
}

/// A grouped plane: u shorter than a line, followed in the output by an axis w
/// (output stride eu) whose `group` positions fill the line: eu * group elements,
/// one line. o[v * ov + w * eu + u] = alpha * a[u * au + w * aw + v] + beta * (...)
/// for u < eu, w < ew, v < ev. A square's output rows are whole lines (u and group
/// positions of w), its input rows, eu * group rows from two axes, read a line each
/// ("abcde->edcba" with a = 8 floats: squares of 8 were half-line rows, a fifth
/// of a memcpy's speed). Streamed, each square fetches the next one's input lines
/// (along v; past the plane's end, the next plane's, where outer_in_input_order
/// puts it): its rows come from as many pages, more streams than the prefetcher
/// follows. The w and v left past whole groups and squares go by elements.
template <class T>
void transpose_grouped_plane(T* o, index_t ov, const T* a, index_t au, index_t aw, index_t eu, index_t group,
                             index_t ew, index_t ev, T alpha, T beta, bool stream = false) {
  constexpr int S = 64 / int(sizeof(T));
  const index_t whole_w = ew / group * group, whole_v = ev / S * S;
  index_t row_offset[std::size_t(S)];  // input row i of a square: u = i % eu, w = i / eu past the square's
  for (int i = 0; i < S; ++i) row_offset[ix(i)] = (i % eu) * au + (i / eu) * aw;
  const auto move = [&](auto streamed) {
    for (index_t w = 0; w < whole_w; w += group)
      for (index_t v = 0; v < whole_v; v += S) {
        const T* at = a + w * aw + v;
        transpose_square<T, S, decltype(streamed)::value>(
            o + v * ov + w * eu, ov, [&](int i) { return at + row_offset[ix(i)]; }, alpha, beta, S);
      }
  };
  if (can_stream_stores && stream && reinterpret_cast<std::uintptr_t>(o) % 64 == 0 &&
      (ov * index_t(sizeof(T))) % 64 == 0)
    move(std::true_type{});
  else
    move(std::false_type{});
  const auto element = [&](index_t u, index_t w, index_t v) {
    T& out = o[v * ov + w * eu + u];
    const T value = alpha * a[u * au + w * aw + v];
    out = beta == T(0) ? value : value + beta * out;
  };
  for (index_t w = 0; w < ew; ++w)  // the v past whole squares, then the w past whole groups
    for (index_t u = 0; u < eu; ++u)
      for (index_t v = w < whole_w ? whole_v : 0; v < ev; ++v) element(u, w, v);
}

}  // namespace ein::detail
