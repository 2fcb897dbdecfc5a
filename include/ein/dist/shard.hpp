// Sharding mini-batches across processes for data-parallel training: every process
// draws the same order of the examples from the seed (and the epoch), cuts it into
// the same global mini-batches as a single process would, and takes its own
// contiguous slice of each, so that together the processes see exactly the
// single-process batch and no example twice. MPI-free: the rank and the number of
// processes are plain integers (ein/dist/mpi.hpp's Communicator gives them).
// Layer: dist.
#pragma once

#include <algorithm>
#include <cstdint>
#include <numeric>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

#include "ein/tensor/shape.hpp"

namespace ein::dist {

/// Process `rank`'s slice of a global mini-batch of `count` examples: the rows
/// [first, first + size) of it, count * rank / ranks onward, so that slices differ
/// in size by at most one and the first ranks get the smaller ones.
struct Slice {
  index_t first = 0, size = 0;
};
constexpr Slice slice_of(index_t count, int rank, int ranks) {
  const index_t begin = count * rank / ranks, end = count * (rank + 1) / ranks;
  return {begin, end - begin};
}

/// `ShardedSampler s(60000, 128, seed, comm.rank(), comm.size());`, then per epoch
/// `s.set_epoch(e)` and for each step `s.local_batch(step)`: this process's example
/// indices of global mini-batch `step` (the last one may be short).
class ShardedSampler {
 public:
  /// Throws std::invalid_argument for a negative count, a global batch below 1, or a
  /// rank outside [0, ranks).
  ShardedSampler(index_t examples, index_t global_batch, std::uint64_t seed, int rank, int ranks)
      : examples_(examples), batch_(global_batch), seed_(seed), rank_(rank), ranks_(ranks) {
    if (examples < 0) throw std::invalid_argument("ShardedSampler: negative example count " + std::to_string(examples));
    if (global_batch < 1) throw std::invalid_argument("ShardedSampler: global batch " + std::to_string(global_batch));
    if (ranks < 1 || rank < 0 || rank >= ranks)
      throw std::invalid_argument("ShardedSampler: rank " + std::to_string(rank) + " of " + std::to_string(ranks));
    order_.resize(static_cast<std::size_t>(examples));
    set_epoch(0);
  }

  /// Draws epoch `epoch`'s order of the examples: a Fisher-Yates shuffle driven by
  /// splitmix64 from (seed, epoch), spelled out here so that every process, build
  /// and standard library draws the same one (std::shuffle's is unspecified).
  void set_epoch(std::uint64_t epoch) {
    std::iota(order_.begin(), order_.end(), index_t(0));
    std::uint64_t state = seed_ ^ (0x9e3779b97f4a7c15ULL * (epoch + 1));
    for (std::size_t i = order_.size(); i > 1; --i) {
      // (a 64-bit draw modulo i: biased by under i / 2^64, nothing for any data set)
      const auto j = static_cast<std::size_t>(next(state) % i);
      std::swap(order_[i - 1], order_[j]);
    }
  }

  /// Global mini-batches per epoch (the last one short where the batch does not divide the examples).
  [[nodiscard]] index_t steps() const { return (examples_ + batch_ - 1) / batch_; }
  /// The examples in global mini-batch `step`, all processes together.
  [[nodiscard]] index_t global_size(index_t step) const {
    check_step(step);
    return std::min(batch_, examples_ - step * batch_);
  }
  /// This process's examples of global mini-batch `step` (indices into the data set).
  [[nodiscard]] std::span<const index_t> local_batch(index_t step) const {
    const Slice s = slice_of(global_size(step), rank_, ranks_);
    return std::span<const index_t>(order_).subspan(static_cast<std::size_t>(step * batch_ + s.first),
                                                    static_cast<std::size_t>(s.size));
  }
  /// The whole epoch's order (every process holds the same).
  [[nodiscard]] std::span<const index_t> order() const { return order_; }
  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int ranks() const { return ranks_; }

 private:
  static std::uint64_t next(std::uint64_t& state) {  // splitmix64
    std::uint64_t z = (state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
  }
  void check_step(index_t step) const {
    if (step < 0 || step >= steps())
      throw std::out_of_range("ShardedSampler: step " + std::to_string(step) + " of " + std::to_string(steps()));
  }

  index_t examples_, batch_;
  std::uint64_t seed_;
  int rank_, ranks_;
  std::vector<index_t> order_;
};

}  // namespace ein::dist
