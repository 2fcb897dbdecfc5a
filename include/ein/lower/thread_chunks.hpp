// Work split across the OpenMP threads: each thread's share of a range
// (thread_share, also the loop nest's, loop_nest.hpp), and one pass over n
// independent elements split that way (over_thread_chunks: the host's
// element-wise primitives, backend/host_device.hpp, and optimizer updates,
// optim/parameter.hpp), or by columns (over_thread_columns: a fused layer's bias,
// autodiff/einsum_node.hpp). After a step on two threads, a tensor's lines sit in, or
// are shared with, both cores' caches; one thread walking all of it waits on the
// other core for half its lines (a 1024 x 784 SGD step: 470-500 us on one thread,
// 110 us split, where one thread took 125 us after a 1-thread step). Layer: lower.
#pragma once

#include <algorithm>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "ein/tensor/shape.hpp"

namespace ein::detail {

/// Elements from which a pass splits (12544 floats of SGD: 13 us on one thread
/// after a 2-thread step, 5 us split; below this the parallel region's own cost,
/// a few microseconds with spinning threads, is no longer small beside the pass).
inline constexpr index_t parallel_pass_elements = 1 << 15;

/// Thread t's share [begin, end) of [0, n) among `threads`, in whole units (the
/// last share ends at n): the same number of units each, give or take one.
struct ThreadShare {
  index_t begin, end;
};
inline ThreadShare thread_share(index_t n, index_t unit, index_t t, index_t threads) {
  const index_t units = (n + unit - 1) / unit;
  return {std::min(n, units * t / threads * unit), std::min(n, units * (t + 1) / threads * unit)};
}

/// f(begin, end) over [0, n): with `split`, and more than one thread outside any
/// parallel region, each OpenMP thread's share in whole units of 64 (thread_share);
/// else one call f(0, n).
template <class F>
void over_thread_shares(index_t n, bool split, F&& f) {
#ifdef _OPENMP
  if (split && omp_get_max_threads() > 1 && !omp_in_parallel()) {
#pragma omp parallel
    {
      const ThreadShare share = thread_share(n, 64, omp_get_thread_num(), omp_get_num_threads());
      if (share.begin < share.end) f(share.begin, share.end);
    }
    return;
  }
#endif
  (void)split;
  f(index_t(0), n);
}

/// f(begin, end) over [0, n): split across the OpenMP threads where n is at least
/// parallel_pass_elements and no parallel region is running, else one call f(0, n).
/// The splits fall on multiples of 64 elements, so each element goes through the
/// same vector or scalar code as in one call (the same bits), and no two threads
/// write one cache line of float or double.
template <class F>
void over_thread_chunks(index_t n, F&& f) {
  over_thread_shares(n, n >= parallel_pass_elements, f);
}

/// f(begin, end) over the columns [0, cols) of a rows x cols pass: split across the
/// OpenMP threads by whole columns (multiples of 64), as over_thread_chunks splits
/// elements, where rows x cols is at least parallel_pass_elements. Each column is
/// one thread's, walked down its rows in order: a sum down a column (a bias's
/// gradient) adds the same terms in the same order on any number of threads.
template <class F>
void over_thread_columns(index_t rows, index_t cols, F&& f) {
  over_thread_shares(cols, rows * cols >= parallel_pass_elements && cols >= 128, f);
}

}  // namespace ein::detail
