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
#include <utility>

#include "ein/lower/row_kernels.hpp"

namespace ein::detail {

// Whether vectors can be shuffled by constant lane lists (Clang, GCC 12 and later);
// transpose_registers and row_dots's fold_rows fall back to lane-by-lane loops without it.
#if defined(__has_builtin)
#if __has_builtin(__builtin_shufflevector)
#define EIN_HAS_SHUFFLEVECTOR
#endif
#endif

/// Lane l of a vector of w lanes that interleaves x and y (lanes w + i: y's lane i)
/// in units of `unit` lanes within each 16-byte block of q lanes: units 0, 1, 2, ...
/// of the result come from x's and y's low half-block units in turn (high: their
/// high halves). With unit 1 and q 4: x86's unpcklps / unpckhps; with unit 2 and q 4,
/// or unit 1 and q 2: unpcklpd / unpckhpd (g++ 12 spells some of them vshufps).
constexpr int interleave_source(int w, int q, int unit, bool high, int l) {
  const int block = l / q, at = l % q, k = at / unit;
  return block * q + (k / 2 + (high ? q / (2 * unit) : 0)) * unit + at % unit + (k % 2 != 0 ? w : 0);
}

/// Lane l of a vector that takes whole 16-byte blocks of q lanes: its first half
/// the even (odd: h 1) blocks of x, its second half those of y (x86's shuff32x4
/// with 0x88 / 0xdd; vperm2f128 with 0x20 / 0x31 where there are two blocks).
constexpr int block_source(int w, int q, int h, int l) {
  const int blocks = w / q, j = l / q, half = blocks / 2;
  return (2 * (j % half) + h) * q + l % q + (j >= half ? w : 0);
}

/// out's lane l = lane Source{}(l) of x and y together (x's lanes 0 to W - 1, y's
/// from W): one shuffle by a constant lane list where the compiler has them, else
/// lane by lane. Source: a captureless lambda. (Results by reference: a vector
/// returned by value warns of an ABI change, -Wpsabi.)
template <int W, class Source, class V, std::size_t... L>
[[gnu::always_inline]] inline void shuffle_pair(const V& x, const V& y, V& out, std::index_sequence<L...>) {
#ifdef EIN_HAS_SHUFFLEVECTOR
  out = __builtin_shufflevector(x, y, Source{}(int(L))...);
#else
  V v;
  for (int l = 0; l < W; ++l) {  // (the same, lane by lane)
    const int s = Source{}(l);
    v[l] = s < W ? x[s] : y[s - W];
  }
  out = v;
#endif
}

template <int W, int Q, int Unit, bool High, class V, std::size_t... L>
[[gnu::always_inline]] inline void interleave(const V& x, const V& y, V& out, std::index_sequence<L...> lanes) {
  const auto source = [](int l) { return interleave_source(W, Q, Unit, High, l); };
  shuffle_pair<W, decltype(source)>(x, y, out, lanes);
}

template <int W, int Q, int H, class V, std::size_t... L>
[[gnu::always_inline]] inline void take_blocks(const V& x, const V& y, V& out, std::index_sequence<L...> lanes) {
  const auto source = [](int l) { return block_source(W, Q, H, l); };
  shuffle_pair<W, decltype(source)>(x, y, out, lanes);
}

/// transpose_registers where a 16-byte block holds q = 2 or 4 lanes and a vector 2
/// or 4 blocks: first each group of q rows is transposed within blocks by
/// interleaving (q 4: two rounds, q 2: one); then r[g * q + c]'s block b holds
/// column b * q + c of group g's rows, and whole blocks are moved across the groups
/// (two rounds for four blocks, one for two).
template <int S, int Q, class V>
[[gnu::always_inline]] inline void transpose_by_blocks(V* r) {
  constexpr int blocks = S / Q;
  constexpr auto lanes = std::make_index_sequence<std::size_t(S)>{};
  V t[std::size_t(S)];
  for (int i = 0; i < S; i += 2) {
    interleave<S, Q, 1, false>(r[i], r[i + 1], t[i], lanes);
    interleave<S, Q, 1, true>(r[i], r[i + 1], t[i + 1], lanes);
  }
  if constexpr (Q == 4) {
    for (int i = 0; i < S; i += 4) {
      interleave<S, Q, 2, false>(t[i], t[i + 2], r[i], lanes);
      interleave<S, Q, 2, true>(t[i], t[i + 2], r[i + 1], lanes);
      interleave<S, Q, 2, false>(t[i + 1], t[i + 3], r[i + 2], lanes);
      interleave<S, Q, 2, true>(t[i + 1], t[i + 3], r[i + 3], lanes);
    }
  } else {
    for (int i = 0; i < S; ++i) r[i] = t[i];
  }
  for (int c = 0; c < Q; ++c) {
    if constexpr (blocks == 2) {
      take_blocks<S, Q, 0>(r[c], r[Q + c], t[c], lanes);
      take_blocks<S, Q, 1>(r[c], r[Q + c], t[Q + c], lanes);
    } else {
      V x0, x1, x2, x3;
      take_blocks<S, Q, 0>(r[c], r[Q + c], x0, lanes);
      take_blocks<S, Q, 1>(r[c], r[Q + c], x1, lanes);
      take_blocks<S, Q, 0>(r[2 * Q + c], r[3 * Q + c], x2, lanes);
      take_blocks<S, Q, 1>(r[2 * Q + c], r[3 * Q + c], x3, lanes);
      take_blocks<S, Q, 0>(x0, x2, t[c], lanes);
      take_blocks<S, Q, 1>(x0, x2, t[2 * Q + c], lanes);
      take_blocks<S, Q, 0>(x1, x3, t[Q + c], lanes);
      take_blocks<S, Q, 1>(x1, x3, t[3 * Q + c], lanes);
    }
  }
  for (int i = 0; i < S; ++i) r[i] = t[i];
}

/// Transposes S rows of S lanes in registers, in place: afterwards r[j][i] is what
/// r[i][j] was. Lanes of 4 and 8 bytes go by blocks (transpose_by_blocks), where only
/// the block moves cross 16-byte blocks: 16 x 16 floats in 32 in-block shuffles and
/// 32 vshuff32x4. Zipping whole halves instead, every round crossed blocks (64
/// vpermt2ps). Zen 5, 1 thread, probe, medians: transpose_square on 16 x 16 floats
/// in L1, 17.2-17.5 -> 13.1-13.4 ns (the same shuffles inlined as intrinsics:
/// 7.8-8.5: the rest is the call); "ij->ji" float in L1, 64 x 64, 20.6 -> 14.8 ns a
/// square, 256 x 256 (L2) 27.6-28.5 -> 18.5-18.6; double 64 x 64 13.1-13.4 -> 10.5.
/// 1- and 2-byte lanes go lane by lane.
template <int S, class V>
[[gnu::always_inline]] inline void transpose_registers(V* r) {
  constexpr int q = int(16 / sizeof(r[0][0]));
  if constexpr ((q == 2 || q == 4) && (S / q == 2 || S / q == 4)) {
    transpose_by_blocks<S, q>(r);
  } else {
    V t[std::size_t(S)];
    for (int i = 0; i < S; ++i)
      for (int j = 0; j < S; ++j) t[j][i] = r[i][j];
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
