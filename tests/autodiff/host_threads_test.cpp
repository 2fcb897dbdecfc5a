// The host's element-wise passes across the OpenMP threads (lower/thread_chunks.hpp):
// the split covers every element once on multiples of 64; a lineup walked in pieces
// meets the same elements as whole; each primitive of the host's table gives the
// same bits on 1, 2 and 3 threads for a tensor long enough to split (past
// parallel_pass_elements, not a multiple of 64); a user's function is never called
// from two threads at once.
#include <algorithm>
#include <array>
#include <atomic>
#include <cmath>
#include <cstring>
#include <random>
#include <vector>

#ifdef _OPENMP
#include <omp.h>
#endif

#include <doctest/doctest.h>

#include "ein/autodiff.hpp"
#include "ein/lower/thread_chunks.hpp"

using ein::index_t;
using ein::Tensor;

namespace {
/// f() with the OpenMP threads set to `threads` (without OpenMP: f() as it is).
template <class F>
auto on_threads(int threads, F&& f) {
#ifdef _OPENMP
  const int before = omp_get_max_threads();
  omp_set_num_threads(threads);
  auto result = f();
  omp_set_num_threads(before);
  return result;
#else
  (void)threads;
  return f();
#endif
}

Tensor<float, 2> random_matrix(index_t rows, index_t cols, unsigned seed) {
  std::mt19937 gen(seed);
  std::uniform_real_distribution<float> u(-2, 2);
  Tensor<float, 2> t(rows, cols);
  for (index_t k = 0; k < t.size(); ++k) t.data()[k] = u(gen);
  return t;
}

bool same_bits(const float* a, const float* b, index_t n) {
  for (index_t k = 0; k < n; ++k)
    if (std::memcmp(a + k, b + k, sizeof(float)) != 0) return false;
  return true;
}
}  // namespace

TEST_CASE("over_thread_chunks: every element once, in shares that start on multiples of 64") {
  for (const int threads : {1, 2, 3})
    for (const index_t n : {index_t(0), index_t(1), index_t(63), ein::detail::parallel_pass_elements - 1,
                            ein::detail::parallel_pass_elements, index_t(40037), index_t(100000)}) {
      CAPTURE(threads);
      CAPTURE(n);
      std::vector<int> visits(static_cast<std::size_t>(n), 0);
      std::atomic<int> shares{0}, misplaced{0};
      on_threads(threads, [&] {
        ein::detail::over_thread_chunks(n, [&](index_t begin, index_t end) {
          ++shares;
          if (begin % 64 != 0 || begin >= end) ++misplaced;
          for (index_t k = begin; k < end; ++k) ++visits[static_cast<std::size_t>(k)];
        });
        return 0;
      });
      CHECK(misplaced == (n == 0 ? 1 : 0));  // (n 0: the one call, empty)
      CHECK(std::count(visits.begin(), visits.end(), 1) == n);
#ifdef _OPENMP
      CHECK(shares == (n >= ein::detail::parallel_pass_elements ? threads : 1));
#endif
    }
}

TEST_CASE("over_thread_columns: every column once, in shares of whole columns from multiples of 64") {
  for (const int threads : {1, 2, 3})
    for (const auto& shape : {std::array<index_t, 2>{0, 0}, {1000, 127}, {256, 128}, {100, 1000}, {300, 257}}) {
      const index_t rows = shape[0], cols = shape[1];  // (not a structured binding: Clang 14 captures none)
      CAPTURE(threads);
      CAPTURE(rows);
      CAPTURE(cols);
      std::vector<int> visits(static_cast<std::size_t>(cols), 0);
      std::atomic<int> shares{0}, misplaced{0};
      on_threads(threads, [&] {
        ein::detail::over_thread_columns(rows, cols, [&](index_t begin, index_t end) {
          ++shares;
          if (begin % 64 != 0 || (begin >= end && cols > 0)) ++misplaced;
          for (index_t c = begin; c < end; ++c) ++visits[static_cast<std::size_t>(c)];
        });
        return 0;
      });
      CHECK(misplaced == 0);
      CHECK(std::count(visits.begin(), visits.end(), 1) == cols);
#ifdef _OPENMP
      const bool split = rows * cols >= ein::detail::parallel_pass_elements && cols >= 128;
      CHECK(shares == (split ? std::min<int>(threads, int((cols + 63) / 64)) : 1));
#endif
    }
}

TEST_CASE("a fused layer's bias and gradients give the same bits on 1, 2 and 3 threads") {
  const index_t rows = 300, cols = 257, inputs = 20;  // 77100 outputs: the fill, relu and mask split
  const auto w = random_matrix(cols, inputs, 4), x = random_matrix(rows, inputs, 5), seed = random_matrix(rows, cols, 6);
  Tensor<float, 1> bias(cols);
  for (index_t k = 0; k < cols; ++k) bias(k) = float(k % 7) * 0.25f - 0.75f;
  const auto run = [&](int threads) {
    return on_threads(threads, [&] {
      const auto W = ein::param(w);
      const auto b = ein::param(bias);
      const auto h = ein::relu(ein::einsum<"ij,lj->li">(W, ein::constant(x)) + b);
      CHECK(h.node()->input_count() == 3);  // (fused: one node)
      h.backward(seed);
      std::vector<float> out(h.value().data(), h.value().data() + h.value().size());
      out.insert(out.end(), b.grad().data(), b.grad().data() + cols);
      out.insert(out.end(), W.grad().data(), W.grad().data() + W.grad().size());
      return out;
    });
  };
  const auto one = run(1);
  for (const int threads : {2, 3}) {
    CAPTURE(threads);
    const auto more = run(threads);
    REQUIRE(more.size() == one.size());
    CHECK(same_bits(more.data(), one.data(), index_t(one.size())));
  }
}

TEST_CASE("a lineup walked in pieces meets the same elements as walked whole") {
  const auto check = [](const ein::detail::Lineup& l) {
    std::vector<std::array<index_t, 3>> whole, pieces;
    l.for_each([&](index_t k, index_t i, index_t j) { whole.push_back({k, i, j}); });
    for (index_t b = 0; b < l.size(); b += 7)  // pieces that start and end inside rows
      l.for_each_in(b, std::min(l.size(), b + 7),
                    [&](index_t k, index_t i, index_t j) { pieces.push_back({k, i, j}); });
    CHECK(whole == pieces);
    CHECK(static_cast<index_t>(whole.size()) == l.size());
  };
  check(ein::detail::line_up("+", ein::Extents<2>{5, 9}, ein::Extents<1>{9}));  // a bias along the rows
  check(ein::detail::line_up("+", ein::Extents<1>{9}, ein::Extents<2>{5, 9}));
  check(ein::detail::line_up("*", ein::Extents<2>{5, 9}, ein::Extents<2>{5, 9}));
  check(ein::detail::line_up("*", ein::Extents<2>{5, 9}, ein::Extents<0>{}));  // a scalar
}

TEST_CASE("the host's element-wise primitives give the same bits on 1, 2 and 3 threads") {
  using H = ein::Host;
  const index_t rows = 300, cols = 137;  // 41100 elements
  const auto x = random_matrix(rows, cols, 1), y = random_matrix(rows, cols, 2), g = random_matrix(rows, cols, 3);
  Tensor<float, 1> b(cols);
  for (index_t k = 0; k < cols; ++k) b(k) = float(k) * 0.01f - 0.5f;
  const auto bias = ein::detail::line_up("+", x.extents(), b.extents());
  const auto equal = ein::detail::line_up("*", x.extents(), y.extents());
  Tensor<float, 0> seed;
  seed() = 0.75f;
  // Every primitive's outputs, one after the other, on `threads` threads.
  const auto run = [&](int threads) {
    return on_threads(threads, [&] {
      std::vector<Tensor<float, 2>> big;
      std::vector<Tensor<float, 1>> small;
      big.push_back(H::map(ein::math::Relu{}, x));
      big.push_back(H::map(ein::math::Exp{}, x));
      Tensor<float, 2> gx = g;
      H::map_backward(ein::math::Tanh{}, g, x, H::map(ein::math::Tanh{}, x), gx);
      big.push_back(gx);
      big.push_back(H::zip(ein::math::Add{}, bias, x, b, x.extents()));
      big.push_back(H::zip(ein::math::Mul{}, equal, x, y, x.extents()));
      Tensor<float, 2> ga = g, gy = y;
      Tensor<float, 1> gb = b;
      const auto z = H::zip(ein::math::Mul{}, equal, x, y, x.extents());
      H::zip_backward(ein::math::Mul{}, equal, g, x, y, z, &ga, &gy);
      big.push_back(ga);
      big.push_back(gy);
      Tensor<float, 2> gz = g;
      H::zip_backward(ein::math::Add{}, bias, g, x, b, H::zip(ein::math::Add{}, bias, x, b, x.extents()), &gz, &gb);
      big.push_back(gz);
      small.push_back(gb);
      Tensor<float, 2> sum = x;
      H::add_into(sum, y);
      big.push_back(sum);
      big.push_back(H::zeros_like(x));
      Tensor<float, 2> spread = x;
      H::scaled_sum_backward(seed, 0.5f, spread);
      big.push_back(spread);
      return std::make_pair(big, small);
    });
  };
  const auto one = run(1);
  for (const int threads : {2, 3}) {
    CAPTURE(threads);
    const auto split = run(threads);
    for (std::size_t k = 0; k < one.first.size(); ++k) {
      CAPTURE(k);
      CHECK(same_bits(one.first[k].data(), split.first[k].data(), one.first[k].size()));
    }
    CHECK(same_bits(one.second[0].data(), split.second[0].data(), cols));
  }
  CHECK(one.first[0](3, 4) == std::max(x(3, 4), 0.0f));  // (and they compute what they should)
  CHECK(one.first[3](299, 136) == x(299, 136) + b(136));
  CHECK(one.first[9](150, 70) == 0.0f);
}

TEST_CASE("a user's element function is called from one thread, however long the tensor") {
  std::atomic<int> in_parallel{0};
  const auto f = ein::with_derivative(
      [&](auto u) {
#ifdef _OPENMP
        if (omp_in_parallel()) ++in_parallel;
#endif
        return u * u;
      },
      [](auto u, auto) { return 2 * u; });
  const auto x = ein::param(random_matrix(300, 137, 4));
  on_threads(2, [&] {
    ein::sum(ein::apply(f, x)).backward();
    return 0;
  });
  CHECK(in_parallel == 0);
  CHECK(x.grad()(1, 2) == 2 * x.value()(1, 2));
}
