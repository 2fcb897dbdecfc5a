// ein::dist's sampler, which needs no MPI (so it runs in every build, the
// sanitizers' included): each global mini-batch split across any number of ranks
// is exactly the single-process batch, every example once per epoch; the order is
// the same for the same (seed, epoch) and changes with the epoch; bad arguments throw.
#include <doctest/doctest.h>

#include <algorithm>
#include <set>
#include <stdexcept>
#include <vector>

#include "ein/dist/shard.hpp"

using ein::index_t;

TEST_CASE("ShardedSampler: the ranks' slices partition each global batch, the same on every rank") {
  for (const index_t n : {index_t(0), index_t(1), index_t(1000), index_t(1003)})
    for (const int ranks : {1, 2, 3, 8}) {
      std::vector<ein::dist::ShardedSampler> s;
      for (int r = 0; r < ranks; ++r) s.emplace_back(n, 128, 5, r, ranks);
      const ein::dist::ShardedSampler single(n, 128, 5, 0, 1);
      std::multiset<index_t> seen;
      for (index_t step = 0; step < single.steps(); ++step) {
        std::vector<index_t> joined;
        for (const auto& shard : s) {
          const auto b = shard.local_batch(step);
          joined.insert(joined.end(), b.begin(), b.end());
        }
        const auto want = single.local_batch(step);
        CHECK(joined == std::vector<index_t>(want.begin(), want.end()));
        seen.insert(joined.begin(), joined.end());
      }
      CHECK(seen.size() == std::size_t(n));
      CHECK(std::set<index_t>(seen.begin(), seen.end()).size() == std::size_t(n));
    }
  ein::dist::ShardedSampler a(100, 10, 1, 0, 1), b(100, 10, 1, 0, 1);
  a.set_epoch(3);
  b.set_epoch(3);
  CHECK(std::equal(a.order().begin(), a.order().end(), b.order().begin()));
  b.set_epoch(4);
  CHECK_FALSE(std::equal(a.order().begin(), a.order().end(), b.order().begin()));
  CHECK_THROWS_AS(ein::dist::ShardedSampler(10, 0, 1, 0, 1), std::invalid_argument);
  CHECK_THROWS_AS(ein::dist::ShardedSampler(10, 2, 1, 2, 2), std::invalid_argument);
}

TEST_CASE("slice_of: contiguous slices that differ in size by at most one") {
  for (const index_t count : {index_t(0), index_t(1), index_t(7), index_t(128), index_t(127)})
    for (const int ranks : {1, 2, 3, 5}) {
      index_t next = 0, smallest = count, largest = 0;
      for (int r = 0; r < ranks; ++r) {
        const ein::dist::Slice s = ein::dist::slice_of(count, r, ranks);
        CHECK(s.first == next);
        next += s.size;
        smallest = std::min(smallest, s.size);
        largest = std::max(largest, s.size);
      }
      CHECK(next == count);
      CHECK(largest - smallest <= 1);
    }
}
