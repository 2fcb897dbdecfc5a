// The crossed-inputs kernel of the loop lowering: one u x v plane of a product whose
// operands run unit-stride along different axes: inputs a[v * av + u] (unit-stride
// along u) times inputs b[u * bu + v] (unit-stride along v), into an output kept
// along u and v ("ij,ji->ij"; "ij,ij->ji" seen from its output, whose lanes then
// run along v), summed along v ("ij,ji->j"), or summed along both ("ij,ji->").
// The plane goes in S x S squares, S a cache line of T: the square's S lines of
// the b inputs are multiplied and transposed in registers (transpose_registers),
// then multiplied into the square's S lines of the a inputs, so that every line of
// every operand and of the output is read or written once, whole, and nothing has
// to stay in L1 between squares. (Packed tile rows, the kernel before, moved a
// 32 x 32 tile of b into a buffer and read it back by rows: three passes through
// L1, and at a power-of-two row length every row of a tile in one L1 set.)
// Layer: lower.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstring>

#include "ein/lower/row_kernels.hpp"
#include "ein/lower/transpose_block.hpp"

namespace ein::detail {

/// The square's S lines of b (line i at b + i * bu, lanes along v) transposed: r[j]
/// holds b's column j, its lanes along u, to multiply into a's line j.
template <class T, int S, class V>
[[gnu::always_inline]] inline void crossed_columns(const T* b, index_t bu, V* r) {
  for (int i = 0; i < S; ++i) std::memcpy(&r[i], b + i * bu, sizeof(V));
  transpose_registers<S>(r);
}

/// The order a plane's squares go in. Each square reads S lines of a (the output's
/// too) down a column of squares and S lines of b along a row of them; walked
/// square after square along one of the two, the other's lines are taken one a row
/// down a column, and where those rows lie a multiple of cache_set_period apart,
/// the lines fetched ahead for them all fall in one L1 set and are evicted unused.
///   b_rows: u outer, v inner (b's rows read along, a's and the output's lines down
///           the columns);
///   a_rows: v outer, u inner (a's and the output's rows along, b's down columns);
///   diagonals: (u, v), then (u + S, v + S), wrapping along u within a block
///           (crossed_diagonal_block_squares): every next square's lines, in all
///           three, in the next L1 set (transpose_plane's diagonals).
enum class CrossedWalk : unsigned char { b_rows, a_rows, diagonals };

/// The walk for a plane whose a lines' (or the output's) rows crowd a few L1 sets
/// (loop_nest.hpp's crossed_walk_of: rows a whole number of KiB long), or whose b
/// lines' rows do: down the columns of whichever do not, along diagonals
/// where both do; a streamed output along its rows (a run of lines to each at once),
/// and diagonally only where a square's b lines (`b_inputs` lines a row) are more
/// than an L1 set holds.
/// Probes, 1 thread, cached output, b_rows against diagonals: double eu = 517,
/// ev = 2048 (b aliases) 1068-1088 us against 2100-2274; eu = 2048, ev = 517 (the
/// output and a alias) 1954-2009 against 1601-1611; 1024^2 float (all alias)
/// 798-834 against 476-491; float 1013 x 1000 (none) 228-244 against 251-279.
/// Streamed, all aliased, a_rows against diagonals: double 1024^2 545-567 against
/// 666-688, 2048^2 4847-4899 against 8124-8252; float 1024^2 229-332 against 172-200;
/// double 1024^2 with two b inputs ("ij,ij->ji" seen from its output) 872-883 against
/// 560-568, with two a inputs and one b 727-770 against 1260-1263.
constexpr CrossedWalk crossed_walk(bool a_alias, bool b_alias, index_t element_size, bool stream, int b_inputs = 1) {
  if (a_alias && b_alias && !(stream && b_inputs * (64 / element_size) <= l1_set_ways)) return CrossedWalk::diagonals;
  return a_alias || stream ? CrossedWalk::a_rows : CrossedWalk::b_rows;
}

/// The side, in squares, of the blocks a crossed plane's diagonals wrap in (as
/// transpose_plane's do in blocks of diagonal_block_squares): 1024 floats, 512
/// doubles. One thread, n x n against a memcpy of the same bytes, whole-plane
/// diagonals against blocks of 16 and of 64 squares, alternating: "ij,ij->ji" float
/// 1024 65-66% / 44-49% / 62%, 2048 26-32% / 28-36% / 33-41%; double 2048 27-43% /
/// 45-61% / 52-67%; "ij,ji->" float 2048 30-38% / 35-48% / 43-47%.
inline constexpr index_t crossed_diagonal_block_squares = 64;

/// Calls square(q, v) for every whole square of a plane `strips` squares along u
/// (strip q) by whole_v elements along v, in the walk's order. One loop for every
/// walk, the square inlined once: a loop of its own for each walk (and each store
/// kind) put 48 copies of the plane's square into every program, 1.4-3 s more of
/// g++ -O2 for a first einsum of floats.
template <int S, class Square>
[[gnu::always_inline]] inline void walk_squares(CrossedWalk walk, index_t strips, index_t whole_v, Square&& square) {
  index_t q = 0, v = 0, diagonal = 0;
  // Diagonals wrap in blocks of crossed_diagonal_block_squares a side, the blocks
  // along u, then v: the block's first strip and v, its strips, its end along v.
  constexpr index_t block = crossed_diagonal_block_squares;
  index_t q0 = 0, v0 = 0, block_strips = std::min(block, strips), v_end = std::min(block * S, whole_v);
  for (index_t n = strips * (whole_v / S); n > 0; --n) {
    square(q, v);
    switch (walk) {
      case CrossedWalk::a_rows:  // v outer, u inner
        if (++q == strips) {
          q = 0;
          v += S;
        }
        break;
      case CrossedWalk::b_rows:  // u outer, v inner
        if ((v += S) == whole_v) {
          v = 0;
          ++q;
        }
        break;
      case CrossedWalk::diagonals:  // square (q, v) = (q0 + ((v - v0) / S + diagonal) % block_strips, v)
        q = q + 1 < q0 + block_strips ? q + 1 : q0;
        if ((v += S) == v_end) {
          v = v0;
          if (++diagonal == block_strips) {  // the block done: the next along u, else along v
            diagonal = 0;
            q0 += block;
            if (q0 >= strips) q0 = 0, v0 = v_end;
            block_strips = std::min(block, strips - q0), v_end = std::min(v0 + block * S, whole_v), v = v0;
          }
          q = q0 + diagonal;
        }
        break;
    }
  }
}

/// The inputs of a crossed plane: up to two that run unit-stride along u (a, each
/// row along v `a_row` apart) and up to two along v (b, each row along u `b_row`
/// apart); crossed_plane_n uses the first NA and NB.
template <class T>
struct CrossedOperands {
  const T* a[2] = {nullptr, nullptr};
  index_t a_row[2] = {0, 0};
  const T* b[2] = {nullptr, nullptr};
  index_t b_row[2] = {0, 0};
};

/// One square of crossed_plane_n, at o and the operands' square corners: o's line j
/// (o + j * ov) = alpha * (the product of the a lines j) * (column j of the product
/// of the b squares) + beta * o's line j, each stored as it is made (made all first,
/// they went through the stack); past the caches where `stream`. The b squares
/// multiply before their one transpose. By value, and inlined into the walk: a
/// lambda's captures, read through its closure, were reloaded after every store (a
/// memcpy may write anything), 2.2x the time of the same square in a probe.
template <class T, int S, int NA, int NB>
[[gnu::always_inline]] inline void crossed_store_square(T* o, index_t ov, const T* a0, index_t av0, const T* a1,
                                                        index_t av1, const T* b0, index_t bu0, const T* b1,
                                                        index_t bu1, T alpha, T beta, bool stream) {
  using V = typename Lanes<T, S>::type;
  V r[std::size_t(S)];
  for (int i = 0; i < S; ++i) {
    std::memcpy(&r[i], b0 + i * bu0, sizeof(V));
    if constexpr (NB == 2) {
      V other;
      std::memcpy(&other, b1 + i * bu1, sizeof(V));
      r[i] *= other;
    }
  }
  transpose_registers<S>(r);
  for (int j = 0; j < S; ++j) {
    V row = r[j];
    if constexpr (NA >= 1) {
      V line;
      std::memcpy(&line, a0 + j * av0, sizeof(V));
      row *= line;
    }
    if constexpr (NA == 2) {
      V line;
      std::memcpy(&line, a1 + j * av1, sizeof(V));
      row *= line;
    }
    if (alpha != T(1)) row *= alpha;
    if (beta != T(0)) {
      V old;
      std::memcpy(&old, o + j * ov, sizeof(V));
      row += beta * old;
    }
    if (can_stream_stores && stream)
      stream_store(o + j * ov, row);
    else
      std::memcpy(o + j * ov, &row, sizeof(V));
  }
}

/// A plane kept along u and v: o[v * ov + u] = alpha * (the NA inputs a_k[v * a_row_k
/// + u]) * (the NB inputs b_k[u * b_row_k + v]) + beta * o[...], for u < eu, v < ev
/// (NA 0 to 2, NB 1 or 2: "ij,ji->ij" is 1 and 1, "ij,ij->ji" seen from its output
/// 0 and 2), its squares in the order `walk`. Stream: the squares' output lines,
/// each one whole aligned line (the caller checks), go past the caches (the caller
/// fences).
template <class T, int NA, int NB>
void crossed_plane_n(T* o, index_t ov, const CrossedOperands<T>& in, index_t eu, index_t ev, T alpha, T beta,
                     CrossedWalk walk, bool stream = false) {
  static_assert(NA >= 0 && NA <= 2 && NB >= 1 && NB <= 2, "crossed_plane_n: 0 to 2 inputs along u, 1 or 2 along v");
  constexpr int S = 64 / int(sizeof(T));
  const index_t whole_u = eu / S * S, whole_v = ev / S * S;
  const T *const a0 = in.a[0], *const a1 = in.a[1], *const b0 = in.b[0], *const b1 = in.b[1];
  const index_t av0 = in.a_row[0], av1 = in.a_row[1], bu0 = in.b_row[0], bu1 = in.b_row[1];
  walk_squares<S>(walk, whole_u / S, whole_v, [&](index_t q, index_t v) __attribute__((always_inline)) {
    const index_t u = q * S;
    crossed_store_square<T, S, NA, NB>(o + v * ov + u, ov, NA >= 1 ? a0 + v * av0 + u : nullptr, av0,
                                       NA == 2 ? a1 + v * av1 + u : nullptr, av1, b0 + u * bu0 + v, bu0,
                                       NB == 2 ? b1 + u * bu1 + v : nullptr, bu1, alpha, beta, stream);
  });
  const auto element = [&](index_t u, index_t v) {
    T value = alpha * b0[u * bu0 + v];
    if constexpr (NB == 2) value *= b1[u * bu1 + v];
    if constexpr (NA >= 1) value *= a0[v * av0 + u];
    if constexpr (NA == 2) value *= a1[v * av1 + u];
    T& out = o[v * ov + u];
    out = beta == T(0) ? value : value + beta * out;
  };
  for (index_t v = whole_v; v < ev; ++v)  // the rows past whole squares, then the columns
    for (index_t u = 0; u < whole_u; ++u) element(u, v);
  for (index_t v = 0; v < ev; ++v)
    for (index_t u = whole_u; u < eu; ++u) element(u, v);
}

/// crossed_plane_n of one input along u and one along v: o[v * ov + u] = alpha *
/// a[v * av + u] * b[u * bu + v] + beta * o[...].
template <class T>
void crossed_plane(T* o, index_t ov, const T* a, index_t av, const T* b, index_t bu, index_t eu, index_t ev, T alpha,
                   T beta, CrossedWalk walk, bool stream = false) {
  CrossedOperands<T> in;
  in.a[0] = a, in.a_row[0] = av, in.b[0] = b, in.b_row[0] = bu;
  crossed_plane_n<T, 1, 1>(o, ov, in, eu, ev, alpha, beta, walk, stream);
}

/// One square of crossed_sum: sum += the sum over j of a's line j (a + j * av) times
/// b's column j, in four chains (one waited on each multiply-add before it). By
/// value, as crossed_store_square.
template <class T, int S, class V>
[[gnu::always_inline]] inline void crossed_sum_square(V& sum, const T* a, index_t av, const T* b, index_t bu) {
  V r[std::size_t(S)];
  crossed_columns<T, S>(b, bu, r);
  V part[4] = {};
  for (int j = 0; j < S; ++j) {
    V row;
    std::memcpy(&row, a + j * av, sizeof(V));
    part[j % 4] += row * r[j];
  }
  sum += (part[0] + part[1]) + (part[2] + part[3]);
}

/// Strips of S along u that crossed_sum sums at once, their sums kept in L1 (4 KiB).
inline constexpr index_t crossed_sum_strips = 64;

/// A plane summed along v: o[u * ou] = alpha * sum_v a[v * av + u] * b[u * bu + v]
/// + beta * o[u * ou] for u < eu, or, where ou is 0, the one element
/// o[0] = alpha * (the sum over u and v) + beta * o[0]. Up to crossed_sum_strips
/// strips of S along u at a time, each strip's sum in one vector, their squares in
/// the order `walk`.
template <class T>
void crossed_sum(T* o, index_t ou, const T* a, index_t av, const T* b, index_t bu, index_t eu, index_t ev, T alpha,
                 T beta, CrossedWalk walk) {
  constexpr int S = 64 / int(sizeof(T));
  using V = typename Lanes<T, S>::type;
  const index_t whole_u = eu / S * S, whole_v = ev / S * S;
  const auto put = [&](T* at, T value) { *at = beta == T(0) ? alpha * value : alpha * value + beta * *at; };
  V total{};  // (ou == 0)
  T total_edges = T(0);
  for (index_t u0 = 0; u0 < whole_u; u0 += crossed_sum_strips * S) {
    const index_t strips = std::min(crossed_sum_strips, (whole_u - u0) / S);
    V sums[std::size_t(crossed_sum_strips)];
    for (index_t q = 0; q < strips; ++q) sums[std::size_t(q)] = V{};
    walk_squares<S>(walk, strips, whole_v, [&](index_t q, index_t v) __attribute__((always_inline)) {
      const index_t u = u0 + q * S;
      crossed_sum_square<T, S>(sums[std::size_t(q)], a + v * av + u, av, b + u * bu + v, bu);
    });
    for (index_t q = 0; q < strips; ++q) {
      const index_t u = u0 + q * S;
      V sum = sums[std::size_t(q)];
      for (index_t v = whole_v; v < ev; ++v)  // the rows past whole squares
        for (int i = 0; i < S; ++i) sum[i] += a[v * av + u + i] * b[(u + i) * bu + v];
      if (ou == 0) {
        total += sum;
      } else if (ou == 1 && beta == T(0)) {
        sum *= alpha;
        std::memcpy(o + u, &sum, sizeof(V));
      } else {
        for (int i = 0; i < S; ++i) put(o + (u + i) * ou, sum[i]);
      }
    }
  }
  for (index_t u = whole_u; u < eu; ++u) {  // the columns past whole squares
    T sum = T(0);
    for (index_t v = 0; v < ev; ++v) sum += a[v * av + u] * b[u * bu + v];
    if (ou == 0)
      total_edges += sum;
    else
      put(o + u * ou, sum);
  }
  if (ou == 0) {
    T sum = total_edges;
    for (int i = 0; i < S; ++i) sum += total[i];
    put(o, sum);
  }
}

}  // namespace ein::detail
