// Whether a large output is stored past the caches (non-temporal stores): only
// where this machine's caches would not keep it anyway. That differs by machine
// more than any constant can say: where the last-level cache holds a few MiB for
// this core (a shared, busy one), streaming an 8 MiB output is up to 2x faster than
// caching it; where it holds 32 MiB (a Zen 5 CCD), the cached output is rewritten
// in cache at twice the speed of the memory the streamed one must reach. So ein
// measures, once per power-of-two size class and process, how long this core takes
// to rewrite a buffer of that size with cached stores and with streamed ones, and
// streams where the streamed ones are clearly faster. A kernel that also reads
// inputs as large as its output is measured reading as many: they compete with
// the output for the cache, and the answer turns (see measured_inputs).
// Layer: lower.
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
/// rewrites of the buffer plus its page faults, once per class, input count
/// (measured_inputs) and process: on a Zen 5, 14-34 ms a class without inputs, up
/// to 0.1 s for 8 MiB with three (the first such einsum pays it once).
inline constexpr int first_stream_class = 21, last_measured_class = 23, last_stream_class = 26;

/// The most output-sized inputs a measurement reads (more count as this many).
/// Reading them turns the answer: on a Zen 5 (32 MiB of L3), streamed ÷ cached time
/// for 4 MiB written while reading 0, 1, 2, 3 buffers of 4 MiB: 1.47, 0.90-1.02,
/// 0.76-0.81, 0.71-0.83; for 8 MiB: 1.84, 0.79-0.81, 0.56-0.60, 0.75-0.76 (so
/// "ij,ij->ij" 1024^2 double ran 1.5x faster streamed, where a rewrite alone said
/// to cache it).
inline constexpr int measured_inputs = 3;

/// Seconds for the fastest of `passes` rewrites of n floats at p (after one to warm),
/// with cached stores, or streamed ones, each element the sum of `inputs` arrays of
/// n floats at in, in[k * n + i] (none: a constant). The values depend on the pass,
/// so that no compiler turns the loop into a memset (which may stream on its own).
[[gnu::noinline]] inline double time_rewrite(float* p, const float* in, index_t n, int inputs, bool streamed,
                                             int passes) {
  using Row = RowVector<float>;
  constexpr index_t lanes = index_t(sizeof(typename Row::V) / sizeof(float));
  double best = 1e30;
  for (int pass = 0; pass <= passes; ++pass) {
    const auto start = std::chrono::steady_clock::now();
    typename Row::V v;
    for (index_t l = 0; l < lanes; ++l) v[l] = float(pass + l);
    const auto value = [&](index_t i) {
      typename Row::V sum = v;
      for (int k = 0; k < inputs; ++k) sum += Row::load(in + k * n + i);
      return sum;
    };
    if (streamed) {
      for (index_t i = 0; i < n; i += lanes) stream_store(p + i, value(i));
      stream_fence();
    } else {
      for (index_t i = 0; i < n; i += lanes) Row::store(p + i, value(i));
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (pass > 0) best = std::min(best, seconds);
  }
  return best;
}

/// Whether streamed stores rewrite 2^size_class bytes, reading `inputs` buffers as
/// large, clearly faster than cached ones on this core (measured: 16 passes over
/// the bytes, once per class and input count).
/// The best of 3 passes, twice each, alternated (so that a burst of other load hurts
/// both alike): with the best of 1, the cached figure of an 8 MiB buffer on a Zen 5
/// ranged 113-329 us over six processes (streamed: 187-258), and one process in three
/// streamed a 128^3 "ijk->kji" that runs 1.8x slower so.
inline bool streaming_wins(int size_class, int inputs = 0) {
  const index_t n = index_t(1) << (size_class - 2);  // floats
  const auto bytes = static_cast<std::size_t>(n) * sizeof(float);
  void* raw = ::operator new(bytes * std::size_t(1 + inputs), std::align_val_t{64});
  float* p = static_cast<float*>(raw);
  const float* in = p + n;
  std::memset(p + n, 0, bytes * std::size_t(inputs));
  double cached = time_rewrite(p, in, n, inputs, false, 3), streamed = time_rewrite(p, in, n, inputs, true, 3);
  cached = std::min(cached, time_rewrite(p, in, n, inputs, false, 3));
  streamed = std::min(streamed, time_rewrite(p, in, n, inputs, true, 3));
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
/// smallest output worth streaming (below it never, as before the measurement);
/// `inputs`: how many inputs as large as the output the kernel reads (0 to
/// measured_inputs; rounded).
inline bool stream_pays(double bytes, double floor, int inputs = 0) {
  if (!stream_allowed(bytes, floor)) return false;
  if (stream_policy() == StreamPolicy::always) return true;
  if (bytes >= double(index_t(2) << last_stream_class)) return true;
  int size_class = first_stream_class;
  while (size_class < last_measured_class && bytes >= double(index_t(1) << (size_class + 1))) ++size_class;
  // 0: not measured yet, 1: cached, 2: streamed. Two threads may both measure a
  // class at first; they store the same kind of answer.
  inputs = std::clamp(inputs, 0, measured_inputs);
  static std::array<std::array<std::atomic<unsigned char>, last_measured_class + 1>, measured_inputs + 1> decided{};
  std::atomic<unsigned char>& d = decided[ix(inputs)][ix(size_class)];
  unsigned char v = d.load(std::memory_order_relaxed);
  if (v == 0) {
    v = streaming_wins(size_class, inputs) ? 2 : 1;
    d.store(v, std::memory_order_relaxed);
  }
  return v == 2;
}

}  // namespace ein::detail
