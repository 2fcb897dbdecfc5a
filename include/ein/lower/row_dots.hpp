// The multi-row dot of the loop lowering: a block of unit-stride rows of one
// operand, each dotted with a unit-stride row of another (one vector shared by
// every row, stride 0 across rows, or a row each), every output written once:
//   o[r * so] = alpha * sum_i a[r * ra + i] * b[r * rb + i] + beta * o[r * so]
// for r < rows, i < n ("ij,j->i", "bij,bj->bi", "ijk,ik->ij", "ijk,ijk->ij").
// Rows go eight at a time (row_dot_rows): the shared vector is loaded once per
// eight rows, the eight partial-sum vectors are added across in one tree of
// shuffles (fold_rows) instead of a tree per row, and the nest's per-row work
// (pointers, the kernel's dispatch) is paid once per block.
// Its transpose, row_axpys, keeps the row and sums over the rows ("ji,j->i"):
//   o[i] = alpha * sum_r x[r * rx] * a[r * ra + i] + beta * o[i]
// eight rows of a per pass over o (row_axpy_rows), so o is loaded and stored once
// per eight rows where a row at a time (product_row) loads and stores it once per row;
// but a short o over rows that follow each other takes one row a pass, o staying in
// L1 and the rows read in address order (row_axpy_alone_bytes).
// Without the second operand (b or x null) the same kernels sum one operand's rows
// ("ij->i") or sum its rows into one ("ij->j").
// Layer: lower.
#pragma once

#include <cstddef>
#include <cstring>
#include <type_traits>
#include <utility>

#include "ein/lower/transpose_block.hpp"
#include "ein/spec/limits.hpp"

namespace ein::detail {

/// Rows a dot block carries (row_dots): two partial-sum vectors per row, sixteen FMA
/// chains in flight, and eight rows folded into one vector (with AVX-512, 7
/// shuffle-adds for 8 doubles' rows against 4 for 4; 8 against 5 for floats).
/// 8, not 4: "bij,bj->bi" (64 x 256 x 128) 1.10-1.24x and "ij,j->i" 2048 x 1024
/// float 1.07-1.11x faster, float and double, 1 and 2 threads, in alternating
/// bench/run runs (then 0.88-0.96x Eigen's row-major GEMV, now 1.1-1.3x).
inline constexpr int row_dot_rows = 8;
/// Rows of a row each (DotWith::rows) at least this long go one at a time: nothing is
/// shared between rows, and two streams beat eight (four rows of two operands) by 1.4x
/// (rows in L3) to 1.8x (in L2) at 64 floats or 32 doubles and longer, in a probe
/// calling both; from memory (32 MiB of doubles) either was ahead by up to 20% from
/// run to run. Shorter rows keep the blocks, whose one fold per block outweighs that.
/// So do one operand's rows summed (DotWith::none, "ij->i"): one stream against
/// eight, in a probe calling both (1 thread), 1.02-1.08x faster at 1024^2, 1.08-1.2x
/// at 8192 x 256 float (0.97-1.03x in double), 1.3x at 65536 x 64 float; bench/run's
/// 1024^2, alternating: 0.92-1.08x, within its noise.
template <class T>
inline constexpr index_t row_alone_length = 4 * native_vector_bytes / index_t(sizeof(T));
/// Rows row_axpys adds in one pass over the output row, which it loads and stores
/// once a pass (8, not 4: "ji,j->i" 2048 x 1024 and "ij->j" 1024^2 1-8% faster, the
/// same elsewhere, in alternating bench/run runs). Products of two rows (XRows) whose
/// rows lie a multiple of cache_set_period apart take 4: eight of each operand and the
/// output row are 17 lines in one L1 set, more than its ways ("ijk,ijk->ik" at
/// 16 x 128 x 1024: 1.3x faster in float and in double, the rows in L3).
inline constexpr int row_axpy_rows = 8, row_axpy_rows_aliased = 4;
/// Output rows up to this many bytes whose input rows follow each other (no gap)
/// take the input rows one at a time, the output row kept in L1 and loaded and
/// stored once per input row: each operand is then read in address order, one
/// stream, where a block of eight rows reads eight: "ijk,ijk->ik" 64 x 128 x 256
/// 1.11-1.28x faster in float, 0.97-1.18x in double, in alternating bench/run runs;
/// "ij->j" 1024^2 and 20000 x 300 float 1.1x and 1.25x in a probe calling both
/// (bench/run: 0.99-1.16x), the rows in L3 or memory.
/// Longer output rows keep the blocks, the one-row pass 1.2-1.7x slower there (16
/// KiB rows and longer, 16 MiB and more: "ij->j" 4096^2, 2048 x 4096, 256 x 16384
/// float; though at 256 x 4096, 4 MiB, it was 1.25x faster); so do rows with gaps
/// between them (a thread's half of "ij->j"'s columns: 1.4-2x slower one at a time).
inline constexpr index_t row_axpy_alone_bytes = 4096;

/// f(std::integral_constant<int, r>{}) for r < N, as N statements: an array of
/// vectors indexed only by constants is split into registers early (g++ 12's
/// scalar replacement runs before loops are unrolled; a loop index left the
/// partial sums on the stack, stored and reloaded every block).
template <int N, class F>
[[gnu::always_inline]] inline void unrolled(F&& f) {
  [&]<int... r>(std::integer_sequence<int, r...>) { (f(std::integral_constant<int, r>{}), ...); }(
      std::make_integer_sequence<int, N>{});
}

/// Lane `l` of fold_rows's `half` (0 or 1) input, as an index of x's lanes then y's.
constexpr int fold_source(int w, int k, int half, int l) {
  const int block = w / k, h = block / 2, q = l / h, at = l % h;
  return q < k ? q * block + half * h + at : w + (q - k) * block + half * h + at;
}

/// x and y hold k rows' partial sums each, row q in lanes [q * w / k, (q + 1) * w / k);
/// out holds x's k rows then y's, each in half as many lanes (the two halves of a
/// row's lanes added). Folding 1 row per vector up to w rows per vector leaves
/// row q's whole sum in lane q. (out may be x or y.)
template <int W, int K, class V, std::size_t... L>
[[gnu::always_inline]] inline void fold_rows(const V& x, const V& y, V& out, std::index_sequence<L...>) {
#ifdef EIN_HAS_SHUFFLEVECTOR
  out = __builtin_shufflevector(x, y, fold_source(W, K, 0, int(L))...) +
        __builtin_shufflevector(x, y, fold_source(W, K, 1, int(L))...);
#else
  V sum;
  for (int l = 0; l < W; ++l) {  // (the same, lane by lane)
    const int s0 = fold_source(W, K, 0, l), s1 = fold_source(W, K, 1, l);
    sum[l] = (s0 < W ? x[s0] : y[s0 - W]) + (s1 < W ? x[s1] : y[s1 - W]);
  }
  out = sum;
#endif
}

/// Folds acc[0..R) (one row's partial sums each) until row r's sum is lane r % W
/// of acc[r / W].
template <int W, int K, std::size_t R, class V>
[[gnu::always_inline]] inline void fold_all(V (&acc)[R]) {
  if constexpr (K < W) {
    constexpr int vectors = int(R) / K > 1 ? int(R) / K : 1;  // vectors still holding rows
    constexpr auto lanes = std::make_index_sequence<std::size_t(W)>{};
    if constexpr (vectors > 1)
      unrolled<vectors / 2>([&](auto j) { fold_rows<W, K>(acc[ix(2 * j)], acc[ix(2 * j + 1)], acc[ix(j)], lanes); });
    else
      fold_rows<W, K>(acc[0], acc[0], acc[0], lanes);
    fold_all<W, 2 * K>(acc);
  }
}

/// What a dot block multiplies a's rows by: a row of b each, one row of b shared
/// by every row (stride 0 across rows), or nothing (a's rows summed).
enum class DotWith { rows, shared, none };

/// Blocks of R rows (see the header), `blocks` of them, block k at o + k * R * so,
/// a + k * R * ra, b + k * R * rb (as With says; rb unused unless rows).
/// (The block loop is in here: the rows' pointers, the vector loop's bounds and
/// the partial sums' registers are set up once per call, not once per block.)
template <class T, int R, DotWith With>
void dot_blocks(T* o, index_t so, const T* a, index_t ra, const T* b, index_t rb, index_t blocks, index_t n, T alpha,
                T beta) {
  constexpr bool Shared = With == DotWith::shared, Sum = With == DotWith::none;
  constexpr int W = native_vector_bytes / int(sizeof(T));
  using V = typename Lanes<T, W>::type;
  const index_t whole = n / W * W;  // elements the vectors take; the rest, the tail, by scalars
  for (index_t k = 0; k < blocks; ++k, o += R * so, a += R * ra, b += With == DotWith::rows ? R * rb : 0) {
    T sum[ix(R)] = {};
    if (whole > 0) {
      V lo[ix(R)] = {}, hi[ix(R)] = {};  // two per row: 2R independent chains of FMAs
      V y0, y1;
      index_t i = 0;
      for (; i + 2 * W <= n; i += 2 * W) {
        if constexpr (Shared) {
          std::memcpy(&y0, b + i, sizeof(V));
          std::memcpy(&y1, b + i + W, sizeof(V));
        }
        unrolled<R>([&](auto r) {
          V x0, x1;
          std::memcpy(&x0, a + r * ra + i, sizeof(V));
          std::memcpy(&x1, a + r * ra + i + W, sizeof(V));
          if constexpr (Sum) {
            lo[ix(r)] += x0;
            hi[ix(r)] += x1;
          } else {
            if constexpr (!Shared) {
              std::memcpy(&y0, b + r * rb + i, sizeof(V));
              std::memcpy(&y1, b + r * rb + i + W, sizeof(V));
            }
            lo[ix(r)] += x0 * y0;
            hi[ix(r)] += x1 * y1;
          }
        });
      }
      if (i < whole) {
        if constexpr (Shared) std::memcpy(&y0, b + i, sizeof(V));
        unrolled<R>([&](auto r) {
          V x0;
          std::memcpy(&x0, a + r * ra + i, sizeof(V));
          if constexpr (Sum) {
            lo[ix(r)] += x0;
          } else {
            if constexpr (!Shared) std::memcpy(&y0, b + r * rb + i, sizeof(V));
            lo[ix(r)] += x0 * y0;
          }
        });
      }
      unrolled<R>([&](auto r) { lo[ix(r)] += hi[ix(r)]; });
      fold_all<W, 1>(lo);
      unrolled<R>([&](auto r) { sum[ix(r)] = lo[ix(r / W)][r % W]; });
    }
    if (whole < n)
      for (int r = 0; r < R; ++r) {
        const T* ar = a + r * ra;
        if constexpr (Sum) {
          for (index_t i = whole; i < n; ++i) sum[ix(r)] += ar[i];
        } else {
          const T* br = b + (Shared ? 0 : r * rb);
          for (index_t i = whole; i < n; ++i) sum[ix(r)] += ar[i] * br[i];
        }
      }
    if (beta == T(0))
      unrolled<R>([&](auto r) { o[r * so] = alpha * sum[ix(r)]; });
    else
      unrolled<R>([&](auto r) { o[r * so] = alpha * sum[ix(r)] + beta * o[r * so]; });
  }
}

/// o[r * so] = alpha * sum_i a[r * ra + i] * b[r * rb + i] + beta * o[r * so] for
/// r < rows, i < n (rb 0: one vector b for every row; b null: the sum of a's row
/// alone). Both rows unit-stride.
template <class T>
void row_dots(T* o, index_t so, const T* a, index_t ra, const T* b, index_t rb, index_t rows, index_t n, T alpha,
              T beta) {
  const auto run = [&](auto with) {
    constexpr DotWith w = decltype(with)::value;
    constexpr index_t R = row_dot_rows;
    if (w != DotWith::shared && n >= row_alone_length<T>)  // (see row_alone_length)
      return dot_blocks<T, 1, w>(o, so, a, ra, b, rb, rows, n, alpha, beta);
    const index_t blocks = rows / R, done = blocks * R;
    if (blocks > 0) dot_blocks<T, R, w>(o, so, a, ra, b, rb, blocks, n, alpha, beta);
    if (done < rows)
      dot_blocks<T, 1, w>(o + done * so, so, a + done * ra, ra, w == DotWith::rows ? b + done * rb : b, rb,
                          rows - done, n, alpha, beta);
  };
  if (b == nullptr) return run(std::integral_constant<DotWith, DotWith::none>{});
  if (rb == 0) return run(std::integral_constant<DotWith, DotWith::shared>{});
  return run(std::integral_constant<DotWith, DotWith::rows>{});
}

/// Output rows up to this many native vectors that row_axpys sums in registers.
inline constexpr int row_axpy_register_vectors = 4;

/// Whether row_axpys keeps an output row of n elements of T in registers: whole
/// vectors up to row_axpy_register_vectors, then fewer than a vector's elements.
template <class T>
constexpr bool row_axpy_in_registers(index_t n) {
  return n < (row_axpy_register_vectors + 1) * (native_vector_bytes / index_t(sizeof(T)));
}

/// row_axpys of an output row short enough to stay in registers (n < (K + 1) * W,
/// K = row_axpy_register_vectors): every input row added in address order, the
/// output loaded and stored once, the rows two at a time in two chains of sums (one
/// chain waited on each addition's latency a row). The passes over the output row
/// cost more than the row where it is a few vectors: "ij->j" 32 x 32 float took
/// 2,880 instructions a call in row_axpys's passes (callgrind, -march=x86-64-v3).
template <class T, bool XRows>
void row_axpys_in_registers(T* o, const T* a, index_t ra, const T* x, index_t rx, index_t rows, index_t n, T alpha,
                            T beta) {
  constexpr int W = native_vector_bytes / int(sizeof(T)), K = row_axpy_register_vectors;
  using V = typename Lanes<T, W>::type;
  const index_t whole = n / W;  // (at most K vectors, then fewer than W elements)
  V even[K], odd[K];
  unrolled<K>([&](auto k) { even[k] = V{}, odd[k] = V{}; });
  T tail[2][ix(W)] = {};
  const auto add = [&](V* sums, T* tail_sums, index_t r) __attribute__((always_inline)) {
    const T* p = a + r * ra;
    const T* q = XRows ? x + r * rx : nullptr;
    const T c = XRows || x == nullptr ? T(1) : x[r * rx];
    unrolled<K>([&](auto k) {
      if (k < whole) {
        V v, w;
        std::memcpy(&v, p + k * W, sizeof(V));
        if constexpr (XRows) {
          std::memcpy(&w, q + k * W, sizeof(V));
          v *= w;
        } else if (x != nullptr) {
          v *= c;
        }
        sums[k] += v;
      }
    });
    for (index_t i = whole * W; i < n; ++i) tail_sums[i - whole * W] += XRows ? p[i] * q[i] : c * p[i];
  };
  index_t r = 0;
  for (; r + 1 < rows; r += 2) {
    add(even, tail[0], r);
    add(odd, tail[1], r + 1);
  }
  if (r < rows) add(even, tail[0], r);
  unrolled<K>([&](auto k) {
    if (k < whole) {
      V sum = alpha * (even[k] + odd[k]);
      if (beta != T(0)) {
        V old;
        std::memcpy(&old, o + k * W, sizeof(V));
        sum += beta * old;
      }
      std::memcpy(o + k * W, &sum, sizeof(V));
    }
  });
  for (index_t i = whole * W; i < n; ++i) {
    const T sum = alpha * (tail[0][i - whole * W] + tail[1][i - whole * W]);
    o[i] = beta == T(0) ? sum : sum + beta * o[i];
  }
}

/// o[i] = alpha * sum_r x[r * rx] * a[r * ra + i] + beta * o[i] for i < n, r < rows:
/// rows of a, unit-stride, scaled by the elements of x (x null: by 1) and summed into
/// one row o (see the header). beta applies once: in the first pass over o.
/// XRows: x is rows too, unit-stride, rx apart: o[i] = alpha * sum_r x[r * rx + i] *
/// a[r * ra + i] + beta * o[i] ("ijk,ijk->ik": the products of two rows summed).
template <class T, bool XRows = false, int R = row_axpy_rows>
void row_axpys_in_passes(T* o, const T* a, index_t ra, const T* x, index_t rx, index_t rows, index_t n, T alpha,
                         T beta);

/// The row kept in registers where it is short (row_axpys_in_registers), else in
/// passes of R rows (row_axpys_in_passes). (Two functions: with the short row's
/// branch in its body, g++ 12 no longer inlined the passes' lambda, and "ji,j->i"
/// 2048 x 1024 double ran 1.4x slower.)
template <class T, bool XRows = false, int R = row_axpy_rows>
void row_axpys(T* o, const T* a, index_t ra, const T* x, index_t rx, index_t rows, index_t n, T alpha, T beta) {
  if (row_axpy_in_registers<T>(n)) return row_axpys_in_registers<T, XRows>(o, a, ra, x, rx, rows, n, alpha, beta);
  return row_axpys_in_passes<T, XRows, R>(o, a, ra, x, rx, rows, n, alpha, beta);
}

template <class T, bool XRows, int R>
void row_axpys_in_passes(T* o, const T* a, index_t ra, const T* x, index_t rx, index_t rows, index_t n, T alpha,
                         T beta) {
  // One input row per pass: short output rows whose input rows follow each other.
  const bool alone = n * index_t(sizeof(T)) <= row_axpy_alone_bytes && ra == n && (!XRows || rx == n);
  if constexpr (XRows && R != row_axpy_rows_aliased) {
    if (rows > 1 && !alone && (rows_alias(ra, index_t(sizeof(T))) || rows_alias(rx, index_t(sizeof(T)))))
      return row_axpys_in_passes<T, true, row_axpy_rows_aliased>(o, a, ra, x, rx, rows, n, alpha, beta);
  }
  constexpr int W = native_vector_bytes / int(sizeof(T));
  using V = typename Lanes<T, W>::type;
  if (rows == 0) {
    for (index_t i = 0; i < n; ++i) o[i] = beta == T(0) ? T(0) : beta * o[i];
    return;
  }
  const index_t whole = n / W * W;
  const index_t step = alone ? 1 : R;
  for (index_t r0 = 0; r0 < rows; r0 += step, beta = T(1)) {
    const int m = rows - r0 >= step ? int(step) : int(rows - r0);  // rows in this pass
    T c[ix(R)] = {};
    for (int r = 0; r < m; ++r) c[ix(r)] = XRows || x == nullptr ? alpha : alpha * x[(r0 + r) * rx];
    const T* p = a + r0 * ra;
    const T* q = XRows ? x + r0 * rx : nullptr;
    const auto pass = [&](auto unrolled_rows) {  // M: m, the rows unrolled (0: a loop over m)
      constexpr int M = decltype(unrolled_rows)::value;
      const auto row_sum = [&](index_t i, auto load) {
        // Row r's term at i: its scale times a's element (times x's, XRows).
        const auto term = [&](int r) {
          if constexpr (XRows)
            return c[ix(r)] * load(p + r * ra + i) * load(q + r * rx + i);
          else
            return c[ix(r)] * load(p + r * ra + i);
        };
        auto acc = term(0);
        if constexpr (M >= 2) {  // (two chains: half the additions' latency in a row)
          auto odd = term(1);
          unrolled<M / 2 - 1>([&](auto r) {
            acc += term(2 * r + 2);
            odd += term(2 * r + 3);
          });
          acc += odd;
        } else if constexpr (M == 0) {
          for (int r = 1; r < m; ++r) acc += term(r);
        }
        return acc;
      };
      const auto vector = [](const T* at) {
        V v;
        std::memcpy(&v, at, sizeof(V));
        return v;
      };
      const auto scalar = [](const T* at) { return *at; };
      for (index_t i = 0; i < whole; i += W) {
        V sum = row_sum(i, vector);
        if (beta != T(0)) sum += beta * vector(o + i);
        std::memcpy(o + i, &sum, sizeof(V));
      }
      for (index_t i = whole; i < n; ++i) {
        const T sum = row_sum(i, scalar);
        o[i] = beta == T(0) ? sum : sum + beta * o[i];
      }
    };
    if (m == R)
      pass(std::integral_constant<int, R>{});
    else if (m == 1)
      pass(std::integral_constant<int, 1>{});
    else
      pass(std::integral_constant<int, 0>{});
  }
}

}  // namespace ein::detail
