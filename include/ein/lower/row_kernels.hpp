// The row kernels of the loop lowering: one loop over the innermost axis of a
// loop nest, for every operand count. Each reads its operands once and writes
// (or accumulates into) its output row once; at unit and zero strides in explicit
// vectors of the target's widest register (over_row), elsewhere in plain loops:
//   copy_row / product_row / product_row_n   out[i] = alpha * prod_k a_k[i] + beta * out[i]
//   strided_sum / strided_dot / dot_n        sum_i prod_k a_k[i]
// Layer: lower.
#pragma once

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <type_traits>

// The streaming stores' intrinsics: <immintrin.h> declares every x86 extension's
// (0.47 s of g++ -O2 to parse, a third of including ein); SSE2's header alone where
// the target has no AVX (Eigen includes <immintrin.h> itself where it has).
#if defined(__AVX__)
#include <immintrin.h>
#elif defined(__SSE2__)
#include <emmintrin.h>
#endif

#include "ein/spec/limits.hpp"
#include "ein/tensor/shape.hpp"

namespace ein::detail {

/// S consecutive elements of T as one GCC/Clang vector.
template <class T, int S>
struct Lanes {
  typedef T type __attribute__((vector_size(S * sizeof(T))));  // (an alias-declaration drops the attribute)
};

/// Bytes of the widest vector register the target has: the vectors the row kernels
/// compute in (wider generic vectors than the target's spill through memory).
/// Written out, not left to the auto-vectoriser: g++ 12 vectorises loops 256 bits
/// wide on AVX-512 machines, half of what Eigen's packets and BLAS use.
#if defined(__AVX512F__)
inline constexpr int native_vector_bytes = 64;
#elif defined(__AVX__)
inline constexpr int native_vector_bytes = 32;
#else
inline constexpr int native_vector_bytes = 16;
#endif

/// Rows this many bytes apart or more fall in the same L1 set (the way size of a
/// 32 KiB 8-way or 48 KiB 12-way L1D), and, a power of two apart, in the same L2 set.
inline constexpr index_t cache_set_period = 4096;

/// The lines one L1 set holds (48 KiB 12-way: Zen 4 and 5, Intel since Ice Lake).
inline constexpr index_t l1_set_ways = 12;

/// Whether rows `stride` elements of `element_size` apart all fall in one L1 set
/// (a nonzero multiple of cache_set_period bytes: every power-of-two row of 1024
/// floats or more).
constexpr bool rows_alias(index_t stride, index_t element_size) {
  return stride != 0 && stride * element_size % cache_set_period == 0;
}

/// How many L1 sets the first elements of `rows` rows `stride` elements of
/// `element_size` apart fall in, the first row's at a line's start (1023 floats: 2).
constexpr int sets_of_row_starts(index_t stride, index_t element_size, int rows) {
  const index_t bytes = (stride < 0 ? -stride : stride) * element_size;
  std::uint64_t seen = 0;  // (cache_set_period / 64 = 64 sets)
  int sets = 0;
  for (int i = 0; i < rows; ++i) {
    const std::uint64_t bit = std::uint64_t(1) << (index_t(i) * bytes % cache_set_period / 64);
    sets += (seen & bit) == 0 ? 1 : 0;
    seen |= bit;
  }
  return sets;
}

/// How many L1 sets `rows` rows `stride` elements of `element_size` apart start in,
/// rows a whole number of lines apart (1 where they alias, 4 KiB apart or a multiple;
/// 2 for rows of 2 KiB, 6, ...; 4 for 1 or 3 KiB, 5, ...: every whole number of KiB at
/// most 4). Rows not whole lines apart, or 0 apart, count as spread: `rows`.
constexpr int sets_of_rows(index_t stride, index_t element_size, int rows) {
  const index_t bytes = (stride < 0 ? -stride : stride) * element_size;
  return bytes == 0 || bytes % 64 != 0 ? rows : sets_of_row_starts(stride, element_size, rows);
}

/// The vectors of one row: W elements of T, loaded and stored unaligned.
template <class T>
struct RowVector {
  static constexpr int W = native_vector_bytes / int(sizeof(T));
  using V = typename Lanes<T, W>::type;
  static V load(const T* p) {
    V v;
    std::memcpy(&v, p, sizeof(V));
    return v;
  }
  static void store(T* p, const V& v) { std::memcpy(p, &v, sizeof(V)); }
};

/// Whether stores can go past the caches (x86's non-temporal stores). An output
/// larger than the caches is written once and not read back by the step that
/// writes it: a cached store first fetches each line (a read for ownership) and
/// later evicts it, a third of the traffic or more for nothing.
#if defined(__SSE2__)
inline constexpr bool can_stream_stores = true;
#else
inline constexpr bool can_stream_stores = false;
#endif

/// Stores v at o past the caches, in the widest stores the target has; o is aligned
/// to those (sizeof(V) or native_vector_bytes, the smaller). Streamed stores are
/// weakly ordered: stream_fence() before anyone else may read them.
template <class V>
[[gnu::always_inline]] inline void stream_store(void* o, const V& v) {
  static_assert(sizeof(V) % 16 == 0, "whole 16-byte stores");
#if defined(__AVX512F__)
  if constexpr (sizeof(V) % 64 == 0) {
    for (std::size_t b = 0; b < sizeof(V); b += 64) {
      __m512i w;
      std::memcpy(&w, reinterpret_cast<const char*>(&v) + b, 64);
      _mm512_stream_si512(reinterpret_cast<__m512i*>(static_cast<char*>(o) + b), w);
    }
    return;
  }
#endif
#if defined(__AVX__)
  if constexpr (sizeof(V) % 32 == 0) {
    for (std::size_t b = 0; b < sizeof(V); b += 32) {
      __m256i w;
      std::memcpy(&w, reinterpret_cast<const char*>(&v) + b, 32);
      _mm256_stream_si256(reinterpret_cast<__m256i*>(static_cast<char*>(o) + b), w);
    }
    return;
  }
#endif
#if defined(__SSE2__)
  for (std::size_t b = 0; b < sizeof(V); b += 16) {
    __m128i w;
    std::memcpy(&w, reinterpret_cast<const char*>(&v) + b, 16);
    _mm_stream_si128(reinterpret_cast<__m128i*>(static_cast<char*>(o) + b), w);
  }
#else
  std::memcpy(o, &v, sizeof(V));
#endif
}

/// Orders the streamed stores before what follows (another thread's reads included).
inline void stream_fence() {
#if defined(__SSE2__)
  _mm_sfence();
#endif
}

/// RowVector whose stores go past the caches (stream_store): at addresses aligned
/// to a whole vector (over_streamed_row peels up to one).
template <class T>
struct StreamedRowVector : RowVector<T> {
  static void store(T* p, const typename RowVector<T>::V& v) { stream_store(p, v); }
};

/// One element of T, with RowVector's load and store (over_row's tail).
struct RowScalar {
  template <class T>
  static T load(const T* p) {
    return *p;
  }
  template <class T, class V>
  static void store(T* p, V v) {  // (V: int where a T shorter than int was promoted)
    *p = static_cast<T>(v);
  }
};
/// step(i, RowVector<T>{}) at every whole vector of a row of n (two a turn), then
/// step(i, RowScalar{}) at each element left: one body written once for both, its
/// loads and stores through the tag's load and store.
template <class T, class Step>
[[gnu::always_inline]] inline void over_row(index_t n, Step&& step) {
  using R = RowVector<T>;
  index_t i = 0;
  for (; i + 2 * R::W <= n; i += 2 * R::W) {
    step(i, R{});
    step(i + R::W, R{});
  }
  for (; i + R::W <= n; i += R::W) step(i, R{});
  for (; i < n; ++i) step(i, RowScalar{});
}

/// over_row for an output row o of n that is stored past the caches: the elements
/// before o's first whole-vector boundary and after its last one are stored
/// singly, the vectors between streamed (StreamedRowVector). Every operand of the
/// step is loaded at the same i; the caller fences (stream_fence) after its rows.
template <class T, class Step>
[[gnu::always_inline]] inline void over_streamed_row(const T* o, index_t n, Step&& step) {
  using R = StreamedRowVector<T>;
  const auto address = reinterpret_cast<std::uintptr_t>(o);
  if (!can_stream_stores || address % sizeof(T) != 0) return over_row<T>(n, step);
  const index_t misaligned = index_t(address % native_vector_bytes / sizeof(T));
  index_t i = 0;
  if (misaligned != 0)
    for (const index_t head = std::min(n, R::W - misaligned); i < head; ++i) step(i, RowScalar{});
  for (; i + R::W <= n; i += R::W) step(i, R{});
  for (; i < n; ++i) step(i, RowScalar{});
}

/// over_streamed_row where Stream, else over_row: the row kernels' one switch.
template <class T, bool Stream, class Step>
[[gnu::always_inline]] inline void over_output_row(const T* o, index_t n, Step&& step) {
  if constexpr (Stream)
    over_streamed_row<T>(o, n, step);
  else
    over_row<T>(n, step);
}

/// acc[0] + ... + acc[lanes - 1] (lanes a power of two) as a tree of halves: the
/// adds of a level are independent (and vectorise), where a left-to-right sum is
/// one chain of `lanes` dependent adds, longer than the loop it ends for a short
/// row (a 256-element dot in float: 16 vector steps, then 32 chained adds).
template <class T>
T sum_lanes(T* acc, int lanes) {
  for (int w = lanes / 2; w >= 1; w /= 2)
    for (int j = 0; j < w; ++j) acc[j] += acc[j + w];
  return acc[0];
}

/// Sum of a[i * sa] for i < n. Reassociated into independent partial sums, as
/// BLAS's dot is: one chain of adds waits on the add latency per element; several
/// chains overlap, and at unit stride they vectorise.
template <class T>
T strided_sum(const T* a, index_t sa, index_t n) {
  index_t i = 0;
  T total = T(0);
  if (sa == 1) {
    constexpr int lanes = 128 / sizeof(T);  // two cache lines: a few vector registers of partial sums
    T acc[ix(lanes)] = {};
    for (; i + lanes <= n; i += lanes)
      for (int j = 0; j < lanes; ++j) acc[j] += a[i + j];
    total = sum_lanes(acc, lanes);
  } else {
    T acc[4] = {};
    for (; i + 4 <= n; i += 4)
      for (int j = 0; j < 4; ++j) acc[j] += a[(i + j) * sa];
    total = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  }
  for (; i < n; ++i) total += a[i * sa];
  return total;
}

/// Sum of a[i * sa] * b[i * sb] for i < n, reassociated like strided_sum.
template <class T>
T strided_dot(const T* a, index_t sa, const T* b, index_t sb, index_t n) {
  index_t i = 0;
  T total = T(0);
  if (sa == 1 && sb == 1) {
    constexpr int lanes = 128 / sizeof(T);
    T acc[ix(lanes)] = {};
    for (; i + lanes <= n; i += lanes)
      for (int j = 0; j < lanes; ++j) acc[j] += a[i + j] * b[i + j];
    total = sum_lanes(acc, lanes);
  } else {
    T acc[4] = {};
    for (; i + 4 <= n; i += 4)
      for (int j = 0; j < 4; ++j) acc[j] += a[(i + j) * sa] * b[(i + j) * sb];
    total = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  }
  for (; i < n; ++i) total += a[i * sa] * b[i * sb];
  return total;
}

/// Sum of a[i] * b[i] * c[i] for i < n: three unit-stride rows ("i,i,i->"), as
/// strided_dot's unit-stride loop (through row_products' chunks it ran at 0.57x a
/// one-line Eigen expression: 1M floats, 1 thread).
template <class T>
T unit_dot3(const T* a, const T* b, const T* c, index_t n) {
  index_t i = 0;
  constexpr int lanes = 128 / sizeof(T);
  T acc[ix(lanes)] = {};
  for (; i + lanes <= n; i += lanes)
    for (int j = 0; j < lanes; ++j) acc[j] += a[i + j] * b[i + j] * c[i + j];
  T total = sum_lanes(acc, lanes);
  for (; i < n; ++i) total += a[i] * b[i] * c[i];
  return total;
}

/// o[i] = alpha * a[i * sa] + beta * o[i] for i < n: a unit-stride row read from a
/// strided one ("ii->i", a column). The restrict pointers (rows never overlap their
/// operands) let g++ build whole vectors from the strided elements and store them
/// at once: one store per vector, not per element ("ii->i" at n = 1024, float:
/// 600 -> 494 ns in the suite, 1 thread; the loop over both strides stayed scalar).
template <class T>
[[gnu::noinline]] void gather_row(T* __restrict o, const T* __restrict a, index_t sa, index_t n, T alpha, T beta) {
  if (beta == T(0))
    for (index_t i = 0; i < n; ++i) o[i] = alpha * a[i * sa];
  else
    for (index_t i = 0; i < n; ++i) o[i] = alpha * a[i * sa] + beta * o[i];
}

/// o[i * so] = alpha * a[i * sa] + beta * o[i * so] for i < n (copies, diagonals,
/// permutations, scaling, accumulation), with a unit-stride row and a unit- or
/// zero-stride operand as whole vectors (over_row). Stream: a unit-stride row is
/// stored past the caches (over_streamed_row; the caller fences).
template <class T, bool Stream = false>
void copy_row(T* o, index_t so, const T* a, index_t sa, index_t n, T alpha, T beta) {
  if (so == 1 && sa == 1) {
    if (beta != T(0))
      over_output_row<T, Stream>(
          o, n, [&](index_t i, auto v) { v.store(o + i, alpha * v.load(a + i) + beta * v.load(o + i)); });
    else if (alpha == T(1) && !Stream)
      std::copy_n(a, n, o);
    else
      over_output_row<T, Stream>(o, n, [&](index_t i, auto v) { v.store(o + i, alpha * v.load(a + i)); });
    return;
  }
  // (Rows never overlap their operands, so a is read once and whole vectors are
  // loaded before they are stored: an assignment that overlaps evaluates into a
  // temporary first, tensor/tensor.hpp.)
  if (so == 1 && sa == 0) {
    const T value = alpha * a[0];
    if (beta != T(0))
      for (index_t i = 0; i < n; ++i) o[i] = value + beta * o[i];
    else if (Stream)
      over_output_row<T, Stream>(o, n, [&](index_t i, auto v) {
        using Value = decltype(v.load(o + i));  // (T or a vector of it: the value broadcast, o not read)
        v.store(o + i, Value{} + value);
      });
    else
      std::fill_n(o, n, value);
    return;
  }
  if (so == 1) return gather_row(o, a, sa, n, alpha, beta);
  if (beta == T(0))
    for (index_t i = 0; i < n; ++i) o[i * so] = alpha * a[i * sa];
  else
    for (index_t i = 0; i < n; ++i) o[i * so] = alpha * a[i * sa] + beta * o[i * so];
}

/// o[i * so] = alpha * a[i * sa] * b[i * sb] + beta * o[i * so] for i < n (outer and
/// Hadamard products, accumulated products); a unit-stride row where each operand
/// walks (stride 1) or stays (stride 0) is the common case, in whole vectors
/// (over_row; Stream: as copy_row's).
template <class T, bool Stream = false>
void product_row(T* o, index_t so, const T* a, index_t sa, const T* b, index_t sb, index_t n, T alpha, T beta) {
  if (so == 1 && (sa == 1 || sa == 0) && (sb == 1 || sb == 0) && sa + sb > 0) {
    if (sa == 0) return copy_row<T, Stream>(o, 1, b, 1, n, alpha * a[0], beta);  // (alpha * a[0] * b[i], as before)
    if (sb == 0) return copy_row<T, Stream>(o, 1, a, 1, n, alpha * b[0], beta);
    if (beta == T(0))
      over_output_row<T, Stream>(o, n,
                                 [&](index_t i, auto v) { v.store(o + i, alpha * v.load(a + i) * v.load(b + i)); });
    else
      over_output_row<T, Stream>(o, n, [&](index_t i, auto v) {
        v.store(o + i, alpha * v.load(a + i) * v.load(b + i) + beta * v.load(o + i));
      });
    return;
  }
  if (beta == T(0))
    for (index_t i = 0; i < n; ++i) o[i * so] = alpha * a[i * sa] * b[i * sb];
  else
    for (index_t i = 0; i < n; ++i) o[i * so] = alpha * a[i * sa] * b[i * sb] + beta * o[i * so];
}

/// Elements of the stack buffer in which product_row_n and dot_n multiply their
/// operands together: 2 KiB in float, L1-resident, long enough that the passes
/// over it vectorise.
inline constexpr index_t row_chunk = 512;

/// buf[i] = a[i * sa] (sa 0: one value; 1: a vector copy).
template <class T>
void load_row(T* buf, const T* a, index_t sa, index_t n) {
  if (sa == 1) std::copy_n(a, n, buf);
  else if (sa == 0) std::fill_n(buf, n, a[0]);
  else
    for (index_t i = 0; i < n; ++i) buf[i] = a[i * sa];
}

/// buf[i] *= a[i * sa].
template <class T>
void multiply_row(T* buf, const T* a, index_t sa, index_t n) {
  if (sa == 1)
    for (index_t i = 0; i < n; ++i) buf[i] *= a[i];
  else if (sa == 0)
    for (index_t i = 0; i < n; ++i) buf[i] *= a[0];
  else
    for (index_t i = 0; i < n; ++i) buf[i] *= a[i * sa];
}

/// The product of `count` operands (pointers a, strides s) along a row of n, in
/// chunks of row_chunk: calls chunk(offset, buf, length) with buf holding the products.
template <class T, class Chunk>
void row_products(const T* const* a, const index_t* s, int count, index_t n, Chunk&& chunk) {
  T buf[row_chunk];
  for (index_t c0 = 0; c0 < n; c0 += row_chunk) {
    const index_t len = std::min(row_chunk, n - c0);
    load_row(buf, a[0] + c0 * s[0], s[0], len);
    for (int k = 1; k < count; ++k) multiply_row(buf, a[k] + c0 * s[k], s[k], len);
    chunk(c0, static_cast<const T*>(buf), len);
  }
}

/// o[i * so] = alpha * prod_k a_k[i * s_k] + beta * o[i * so] for any operand count
/// (0: a scaling of the row by beta, the sum of nothing being 0). Operands that stay
/// along the row (stride 0) are one factor, folded into alpha ("bi,ij,bj->bij":
/// x[b, i] scales a product of two rows); three walking rows at unit stride are
/// one vectorised loop, more go through row_products' chunks. Stream: as copy_row's.
template <class T, bool Stream = false>
void product_row_n(T* o, index_t so, const T* const* a, const index_t* s, int count, index_t n, T alpha, T beta) {
  if (count == 0) {
    for (index_t i = 0; i < n; ++i) o[i * so] = beta == T(0) ? T(0) : beta * o[i * so];
    return;
  }
  if (count == 1) return copy_row<T, Stream>(o, so, a[0], s[0], n, alpha, beta);
  if (count == 2) return product_row<T, Stream>(o, so, a[0], s[0], a[1], s[1], n, alpha, beta);
  const T* walk[max_operands];
  index_t ws[max_operands];
  int w = 0;
  T scale = alpha;
  for (int k = 0; k < count; ++k) {
    if (s[k] == 0) {
      scale *= a[k][0];
    } else {
      walk[w] = a[k];
      ws[w++] = s[k];
    }
  }
  const T one = T(1);
  if (w == 0) return copy_row<T, Stream>(o, so, &one, 0, n, scale, beta);
  if (w == 1) return copy_row<T, Stream>(o, so, walk[0], ws[0], n, scale, beta);
  if (w == 2) return product_row<T, Stream>(o, so, walk[0], ws[0], walk[1], ws[1], n, scale, beta);
  if (w == 3 && so == 1 && ws[0] == 1 && ws[1] == 1 && ws[2] == 1) {
    const T *x = walk[0], *y = walk[1], *z = walk[2];
    if (beta == T(0))
      over_output_row<T, Stream>(
          o, n, [&](index_t i, auto v) { v.store(o + i, scale * v.load(x + i) * v.load(y + i) * v.load(z + i)); });
    else
      over_output_row<T, Stream>(o, n, [&](index_t i, auto v) {
        v.store(o + i, scale * v.load(x + i) * v.load(y + i) * v.load(z + i) + beta * v.load(o + i));
      });
    return;
  }
  row_products(walk, ws, w, n, [&](index_t c0, const T* buf, index_t len) {
    copy_row<T, Stream>(o + c0 * so, so, buf, 1, len, scale, beta);
  });
}

/// sum_i prod_k a_k[i * s_k] for any operand count (0: 0).
template <class T>
T dot_n(const T* const* a, const index_t* s, int count, index_t n) {
  if (count == 0) return T(0);
  if (count == 1) return strided_sum(a[0], s[0], n);
  if (count == 2) return strided_dot(a[0], s[0], a[1], s[1], n);
  if (count == 3 && s[0] == 1 && s[1] == 1 && s[2] == 1) return unit_dot3(a[0], a[1], a[2], n);
  T total = T(0);
  row_products(a, s, count, n, [&](index_t, const T* buf, index_t len) { total += strided_sum(buf, 1, len); });
  return total;
}

}  // namespace ein::detail
