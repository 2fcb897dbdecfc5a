// Whether a large output is stored past the caches (non-temporal stores): only
// where this machine's caches would not keep it anyway. That differs by machine
// more than any constant can say: where the last-level cache holds a few MiB for
// this core (a shared, busy one), streaming an 8 MiB output is up to 2x faster than
// caching it; where it holds 32 MiB (a Zen 5 CCD), the cached output is rewritten
// in cache at twice the speed of the memory the streamed one must reach. So ein
// measures, once per power-of-two size class and process, how long this core takes
// to rewrite a buffer of that size with cached stores and with streamed ones, and
// streams where the streamed ones are clearly faster. Layer: lower.
//
// EIN_STREAM_STORES (environment, read once): "auto" (the default, measured),
// "never", "always" (every output past the kernel's floor: the behaviour before the
// measurement).
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <new>

#include "ein/lower/row_kernels.hpp"

namespace ein::detail {

enum class StreamPolicy : unsigned char { automatic, never, always };

/// EIN_STREAM_STORES's value as a policy: "never", "always", else (unset, "auto",
/// anything else) measured.
inline StreamPolicy parse_stream_policy(const char* value) {
  if (value != nullptr && std::strcmp(value, "never") == 0) return StreamPolicy::never;
  if (value != nullptr && std::strcmp(value, "always") == 0) return StreamPolicy::always;
  return StreamPolicy::automatic;
}

inline StreamPolicy stream_policy() {
  static const StreamPolicy policy = parse_stream_policy(std::getenv("EIN_STREAM_STORES"));
  return policy;
}

/// Size classes: 2^21 (2 MiB) to 2^23 (8 MiB) are measured, each on a buffer of its
/// size; 2^24 to 2^26 follow 2^23's answer (a cache that keeps 8 MiB is most likely
/// to keep more than a cached store loses where it does not: at most the read for
/// ownership, against twice the time where the streamed lines go to memory for
/// nothing); above 2^26 an output is streamed unmeasured. Measuring costs a few
/// rewrites of the buffer plus its page faults, once per class and process: about
/// what the first such einsum pays for its own output.
inline constexpr int first_stream_class = 21, last_measured_class = 23, last_stream_class = 26;

/// Seconds for the fastest of `passes` rewrites of n floats at p (after one to warm),
/// with cached stores, or streamed ones. The values depend on the pass, so that no
/// compiler turns the loop into a memset (which may stream on its own).
[[gnu::noinline]] inline double time_rewrite(float* p, index_t n, bool streamed, int passes) {
  using Row = RowVector<float>;
  constexpr index_t lanes = index_t(sizeof(typename Row::V) / sizeof(float));
  double best = 1e30;
  for (int pass = 0; pass <= passes; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    typename Row::V v;
    for (index_t l = 0; l < lanes; ++l) v[l] = float(pass + l);
    if (streamed) {
      for (index_t i = 0; i < n; i += lanes) stream_store(p + i, v);
      stream_fence();
    } else {
      for (index_t i = 0; i < n; i += lanes) Row::store(p + i, v);
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (pass > 0) best = std::min(best, seconds);
  }
  return best;
}

/// Whether streamed stores rewrite 2^size_class bytes clearly faster than cached
/// ones on this core (measured: 16 passes over the bytes, once per class).
/// The best of 3 passes, twice each, alternated (so that a burst of other load hurts
/// both alike): with the best of 1, the cached figure of an 8 MiB buffer on a Zen 5
/// ranged 113-329 us over six processes (streamed: 187-258), and one process in three
/// streamed a 128^3 "ijk->kji" that runs 1.8x slower so.
inline bool streaming_wins(int size_class) {
  const index_t n = index_t(1) << (size_class - 2);  // floats
  void* raw = ::operator new(static_cast<std::size_t>(n) * sizeof(float), std::align_val_t{64});
  float* p = static_cast<float*>(raw);
  double cached = time_rewrite(p, n, false, 3), streamed = time_rewrite(p, n, true, 3);
  cached = std::min(cached, time_rewrite(p, n, false, 3));
  streamed = std::min(streamed, time_rewrite(p, n, true, 3));
  ::operator delete(raw, std::align_val_t{64});
  return streamed < 0.85 * cached;  // (a near tie keeps the lines cached: the next step may read them)
}

/// Whether an output of `bytes` may go past the caches at all: the target can, the
/// policy is not "never", and it reaches `floor`, the kernel's own smallest output
/// worth streaming. A kernel whose cached stores are slow whatever the cache keeps
/// (transpose_plane's aliased output rows) streams on this alone.
inline bool stream_allowed(double bytes, double floor) {
  return can_stream_stores && bytes >= floor && stream_policy() != StreamPolicy::never;
}

/// Whether an output of `bytes` goes past the caches; `floor`: the kernel's own
/// smallest output worth streaming (below it never, as before the measurement).
inline bool stream_pays(double bytes, double floor) {
  if (!stream_allowed(bytes, floor)) return false;
  if (stream_policy() == StreamPolicy::always) return true;
  if (bytes >= double(index_t(2) << last_stream_class)) return true;
  int size_class = first_stream_class;
  while (size_class < last_measured_class && bytes >= double(index_t(1) << (size_class + 1))) ++size_class;
  // 0: not measured yet, 1: cached, 2: streamed. Two threads may both measure a
  // class at first; they store the same kind of answer.
  static std::array<std::atomic<unsigned char>, last_measured_class + 1> decided{};
  std::atomic<unsigned char>& d = decided[ix(size_class)];
  unsigned char v = d.load(std::memory_order_relaxed);
  if (v == 0) {
    v = streaming_wins(size_class) ? 2 : 1;
    d.store(v, std::memory_order_relaxed);
  }
  return v == 2;
}

}  // namespace ein::detail
