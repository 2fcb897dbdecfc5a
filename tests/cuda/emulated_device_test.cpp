// The device lowering on the CPU: DeviceBackend (what einsum on CUDA tensors runs)
// with the emulated device (tests/support/emulated_cuda_device.hpp: reference
// GEMMs and the kernels' own per-element functions, every access bounds-checked),
// compared with the CPU einsum (HostBackend) and the naive oracle. Needs no GPU
// and no CUDA toolkit.
#include "ein/backend/cuda/device_backend.hpp"
#include "ein/backend/reference/naive.hpp"
#include "ein/ein.hpp"

#include <doctest/doctest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <memory>
#include <string>
#include <vector>

#include "random_case.hpp"
#include "emulated_cuda_device.hpp"

namespace {

using ein::index_t;
using ein::cuda::detail::DeviceBackend;
using ein::cuda::detail::GemmCall;
using ein::cuda::detail::LoopKernel;
using ein::cuda::detail::LoopVariant;
using ein::detail::Strided;
using ein::test::EmulatedDevice;
using ein::reference::Array;

/// An operand stored in one of several layouts: 0 row-major, 1 column-major,
/// 2 row-major padded, 3 first axis reversed (negative stride), 4 axes permuted.
template <class T>
struct Stored {
  std::vector<T> buffer;
  Strided<const T> view;
};

template <class T>
Stored<T> store(const Array<T>& x, const ein::BoundTerm& term, int layout, ein_test::Rng& rng) {
  const int r = static_cast<int>(x.extents.size());
  std::vector<int> order(r);  // axis order in memory, outermost first
  for (int d = 0; d < r; ++d) order[d] = d;
  if (layout == 1) std::reverse(order.begin(), order.end());
  if (layout == 4)
    for (int d = r - 1; d > 0; --d) std::swap(order[d], order[rng.below(d + 1)]);
  std::vector<index_t> stride(r);
  index_t step = 1;
  for (int i = r - 1; i >= 0; --i) {
    stride[order[i]] = step;
    step *= x.extents[order[i]] + (layout == 2 ? 1 : 0);
  }
  Stored<T> s;
  s.buffer.assign(static_cast<std::size_t>(std::max<index_t>(step, 1)), std::numeric_limits<T>::quiet_NaN());
  index_t base = 0;
  if (layout == 3 && r > 0 && x.extents[0] > 0) {
    base = (x.extents[0] - 1) * stride[0];
    stride[0] = -stride[0];
  }
  s.view.data = s.buffer.data() + base;
  s.view.rank = r;
  for (int d = 0; d < r; ++d) {
    s.view.labels[d] = term.labels[d];
    s.view.extents[d] = x.extents[d];
    s.view.strides[d] = stride[d];
  }
  // Write the values through the view.
  std::vector<index_t> at(r, 0);
  const index_t n = Array<T>::count(x.extents);
  for (index_t i = 0; i < n; ++i) {
    index_t off = 0, rest = i;
    for (int d = r - 1; d >= 0; --d) {
      off += (rest % x.extents[d]) * stride[d];
      rest /= x.extents[d];
    }
    s.buffer[static_cast<std::size_t>(base + off)] = x.values[static_cast<std::size_t>(i)];
  }
  return s;
}

template <class T>
struct Outcome {
  Array<T> device, host;
  typename EmulatedDevice<T>::Counts counts;
  std::vector<GemmCall> calls;
};

/// spec on the emulated device and on the CPU backend, same operands and layouts:
/// dest = alpha * einsum + beta * dest with dest starting at `initial`.
template <class T>
Outcome<T> run_both(const std::string& spec, const std::vector<Array<T>>& ops, ein_test::Rng& rng, T alpha = T(1),
                    T beta = T(0), bool vary_layouts = true) {
  std::vector<int> ranks;
  for (const auto& x : ops) ranks.push_back(static_cast<int>(x.extents.size()));
  const ein::BoundSpec bound = ein::bind(spec, ranks.data(), static_cast<int>(ops.size()));
  REQUIRE_MESSAGE(!bound.error.failed(), spec);

  EmulatedDevice<T> device;
  std::vector<Stored<T>> stored;
  std::vector<Strided<const T>> views;
  for (std::size_t k = 0; k < ops.size(); ++k) {
    stored.push_back(store(ops[k], bound.inputs[k], vary_layouts ? rng.below(5) : 0, rng));
    device.add_range(stored.back().buffer.data(), static_cast<index_t>(stored.back().buffer.size()));
    views.push_back(stored.back().view);
  }
  std::array<index_t, ein::max_labels> extent{};
  ein::detail::resolve_extents(bound, spec, views.data(), static_cast<int>(views.size()), extent.data());
  std::vector<index_t> out_extents;
  for (int d = 0; d < bound.output.rank; ++d) out_extents.push_back(extent[bound.output.labels[d]]);

  Outcome<T> result{Array<T>(out_extents), Array<T>(out_extents), {}, {}};
  for (std::size_t i = 0; i < result.device.values.size(); ++i)
    result.device.values[i] = result.host.values[i] = beta == T(0) ? std::numeric_limits<T>::quiet_NaN()
                                                                     : T(static_cast<int>(i % 7) - 3);
  const auto dest_of = [&](Array<T>& a) {
    Strided<T> d;
    d.data = a.values.data();
    d.rank = bound.output.rank;
    index_t step = 1;
    for (int k = d.rank; k-- > 0;) {
      d.labels[k] = bound.output.labels[k];
      d.extents[k] = out_extents[k];
      d.strides[k] = step;
      step *= out_extents[k];
    }
    return d;
  };
  device.add_range(result.device.values.data(), static_cast<index_t>(result.device.values.size()));
  {
    DeviceBackend<T, EmulatedDevice<T>> be(device);
    ein::detail::execute_on<T>(be, bound, spec, views.data(), static_cast<int>(views.size()),
                               dest_of(result.device), alpha, beta);
  }
  ein::detail::execute<T>(bound, spec, views.data(), static_cast<int>(views.size()), dest_of(result.host), alpha,
                          beta);
  result.counts = device.counts;
  result.calls = device.calls;
  return result;
}

template <class T>
Array<T> random_array(std::vector<index_t> extents, ein_test::Rng& rng) {
  Array<T> a(std::move(extents));
  for (auto& v : a.values) v = static_cast<T>(rng.uniform(-1, 1));
  return a;
}

template <class T>
void require_close(const Array<T>& got, const Array<T>& want, const Array<T>& magnitude, const std::string& what) {
  REQUIRE_MESSAGE(got.extents == want.extents, what);
  const double eps = std::numeric_limits<T>::epsilon();
  for (std::size_t i = 0; i < want.values.size(); ++i) {
    const double g = got.values[i], w = want.values[i];
    const double scale = magnitude.values.empty() ? 1.0 + std::abs(w) : 1.0 + magnitude.values[i];
    if (!(std::abs(g - w) <= 64 * eps * scale))
      FAIL_CHECK(what << ": element " << i << " is " << g << ", expected " << w);
  }
}

/// The named cases: spec, operand extents, and what the lowering should issue.
struct Named {
  const char* spec;
  std::vector<std::vector<index_t>> extents;
  int gemm_calls;  // -1: not checked
  int loop_calls;  // -1: not checked
};

const std::vector<Named> named = {
    // GEMM-shaped: one call, no kernel, no copy, whatever the transposes.
    {"ij,jk->ik", {{33, 17}, {17, 25}}, 1, 0},
    {"ji,kj->ik", {{17, 33}, {25, 17}}, 1, 0},
    {"ij,kj->ik", {{33, 17}, {25, 17}}, 1, 0},
    {"ji,jk->ik", {{17, 33}, {17, 25}}, 1, 0},
    {"ij,jk->ki", {{33, 17}, {17, 25}}, 1, 0},  // column-major C: operands keep their order
    {"ij,j->i", {{40, 30}, {30}}, -1, -1},
    {"i,ij->j", {{30}, {30, 40}}, -1, -1},
    // batched: one strided-batched call when the batch strides collapse
    {"bij,bjk->bik", {{5, 9, 7}, {5, 7, 6}}, 1, 0},
    {"bij,bkj->bik", {{5, 9, 7}, {5, 6, 7}}, 1, 0},
    {"abij,abjk->abik", {{2, 3, 9, 7}, {2, 3, 7, 6}}, 1, 0},
    // batch labels whose strides do not collapse: a host loop over the outer one
    {"abij,abjk->baik", {{2, 3, 9, 7}, {2, 3, 7, 6}}, -1, 0},
    {"abij,bajk->abik", {{2, 3, 9, 7}, {3, 2, 7, 6}}, -1, 0},
    {"bij,jk->bik", {{4, 9, 7}, {7, 6}}, 1, 0},
    {"bij,bjk->ikb", {{4, 9, 7}, {4, 7, 6}}, -1, -1},
    // multi-label M, N, K groups
    {"abc,cde->abde", {{3, 4, 5}, {5, 6, 2}}, 1, 0},
    {"abcd,cdef->abef", {{3, 4, 5, 2}, {5, 2, 3, 4}}, 1, 0},
    {"acbd,cdef->abef", {{3, 5, 4, 2}, {5, 2, 3, 4}}, -1, -1},
    // permutations, copies, diagonals, reductions, outer and Hadamard products
    {"ijk->kji", {{4, 5, 6}}, 0, 1},
    {"ij->ji", {{300, 70}}, 0, 1},
    {"ii->i", {{9, 9}}, 0, 1},
    {"ii->", {{9, 9}}, 0, 1},
    {"bii->b", {{4, 9, 9}}, 0, 1},
    {"iij,jk->ik", {{6, 6, 5}, {5, 7}}, -1, -1},
    {"ij->", {{3, 5000}}, 0, 1},
    {"ij->i", {{4, 3000}}, 0, 1},
    {"ij->j", {{3000, 4}}, 0, 1},
    {"ijk->j", {{40, 3, 50}}, 0, 1},
    {"i,j->ij", {{30}, {20}}, -1, -1},
    {"ij,ij->ij", {{30, 20}, {30, 20}}, 0, 1},
    {"ij,ij->", {{30, 200}, {30, 200}}, -1, -1},
    {"ij,ij->i", {{3, 2000}, {3, 2000}}, -1, -1},
    {"i,i,i->i", {{50}, {50}, {50}}, -1, -1},
    {"ij,j->ij", {{30, 20}, {20}}, -1, -1},
    {"...ij,...jk->...ik", {{2, 3, 4, 5}, {3, 5, 6}}, -1, -1},
    // 3 to 5 operands
    {"ij,jk,kl->il", {{20, 30}, {30, 10}, {10, 25}}, -1, -1},
    {"ab,bc,cd,de->ae", {{8, 9}, {9, 10}, {10, 11}, {11, 12}}, -1, -1},
    {"abc,cd,bde,e,ea->a", {{4, 5, 6}, {6, 7}, {5, 7, 8}, {8}, {8, 4}}, -1, -1},
    {"bij,bjk,bkl->bil", {{3, 4, 5}, {3, 5, 6}, {3, 6, 7}}, -1, -1},
    // zero-size and rank-0
    {"ij,jk->ik", {{4, 0}, {0, 5}}, -1, -1},
    {",ij->ij", {{}, {3, 4}}, -1, -1},
    {"i,i->", {{64}, {64}}, -1, -1},
};

TEST_CASE_TEMPLATE("emulated device: named specs agree with the CPU einsum and the oracle", T, float, double) {
  ein_test::Rng rng{0x5eed};
  for (const Named& c : named) {
    std::vector<Array<T>> ops;
    for (const auto& e : c.extents) ops.push_back(random_array<T>(e, rng));
    const auto ref = ein::reference::einsum_with_magnitude<T>(c.spec, ops);
    for (int trial = 0; trial < 4; ++trial) {
      const bool dense = trial == 0;  // first: row-major operands, where the call counts hold
      const T alpha = trial < 2 ? T(1) : T(-1.5), beta = trial < 3 ? T(0) : T(0.5);
      const std::string what = std::string("\"") + c.spec + "\" trial " + std::to_string(trial);
      INFO(what);
      const Outcome<T> out = run_both<T>(c.spec, ops, rng, alpha, beta, !dense);
      require_close(out.device, out.host, ref.magnitude, what + " (device vs CPU)");
      if (beta == T(0) && alpha == T(1)) require_close(out.device, ref.value, ref.magnitude, what + " (vs oracle)");
      if (dense) {
        if (c.gemm_calls >= 0) CHECK_MESSAGE(out.counts.gemm_calls == c.gemm_calls, what);
        if (c.loop_calls >= 0) CHECK_MESSAGE(out.counts.loop_calls == c.loop_calls, what);
        if (c.gemm_calls == 1 && c.loop_calls == 0) CHECK_MESSAGE(out.counts.allocations == 0, what);
      }
    }
  }
}

TEST_CASE("emulated device: the cuBLAS arguments of the GEMM shapes") {
  ein_test::Rng rng{7};
  const auto call = [&](const char* spec, std::vector<std::vector<index_t>> extents) {
    std::vector<Array<float>> ops;
    for (auto& e : extents) ops.push_back(random_array<float>(e, rng));
    const auto out = run_both<float>(spec, ops, rng, 1.f, 0.f, false);
    REQUIRE(out.calls.size() == 1);
    return out.calls[0];
  };
  // "ij,jk->ik", row-major: C^T = B^T A^T, both read as stored (N, N), m = K', n = I.
  GemmCall c = call("ij,jk->ik", {{8, 3}, {3, 5}});
  CHECK(c.swapped);
  CHECK(!c.trans_first);
  CHECK(!c.trans_second);
  CHECK(c.m == 5);
  CHECK(c.n == 8);
  CHECK(c.k == 3);
  CHECK(c.ld_first == 5);
  CHECK(c.ld_second == 3);
  CHECK(c.ldc == 5);
  CHECK(c.batch == 1);
  // "ji,kj->ik": both operands transposed in place.
  c = call("ji,kj->ik", {{3, 8}, {5, 3}});
  CHECK(c.swapped);
  CHECK(c.trans_first);
  CHECK(c.trans_second);
  CHECK(c.ld_first == 3);
  CHECK(c.ld_second == 8);
  // "bij,bjk->bik": one strided batch.
  c = call("bij,bjk->bik", {{6, 8, 3}, {6, 3, 5}});
  CHECK(c.batch == 6);
  CHECK(c.stride_first == 15);
  CHECK(c.stride_second == 24);
  CHECK(c.stride_c == 40);
  // "bij,jk->bik": B shared by every batch (stride 0) or b folded into M.
  c = call("bij,jk->bik", {{6, 8, 3}, {3, 5}});
  CHECK(c.m * c.n * c.batch == 6 * 8 * 5);
}

TEST_CASE("emulated device: non-collapsing batch strides loop on the host") {
  ein_test::Rng rng{11};
  std::vector<Array<float>> ops{random_array<float>({2, 3, 9, 7}, rng), random_array<float>({3, 2, 7, 6}, rng)};
  const auto out = run_both<float>("abij,bajk->abik", ops, rng, 1.f, 0.f, false);
  CHECK(out.counts.loop_calls == 0);
  REQUIRE(out.calls.size() >= 2);  // one strided-batched call per outer batch index
  CHECK(out.calls[0].batch * static_cast<index_t>(out.calls.size()) == 6);
  const auto ref = ein::reference::einsum_with_magnitude<float>("abij,bajk->abik", ops);
  require_close(out.device, ref.value, ref.magnitude, "abij,bajk->abik");
}

TEST_CASE("emulated device: long sums take the block-reduction kernel") {
  ein_test::Rng rng{13};
  std::vector<Array<double>> ops{random_array<double>({3, 5000}, rng)};
  const auto out = run_both<double>("ij->i", ops, rng, 1.0, 0.0, false);
  CHECK(out.counts.block_reduce_calls == 1);
  std::vector<Array<double>> tall{random_array<double>({20000, 8}, rng)};
  CHECK(run_both<double>("ij->i", tall, rng, 1.0, 0.0, false).counts.block_reduce_calls == 0);
}

TEST_CASE("emulated device: shape errors are ein::shape_error") {
  ein_test::Rng rng{17};
  std::vector<Array<float>> ops{random_array<float>({4, 3}, rng), random_array<float>({5, 6}, rng)};
  CHECK_THROWS_AS(run_both<float>("ij,jk->ik", ops, rng), ein::shape_error);
}

// Random specs (diagonals, broadcasts, ellipses, zero sizes, 1 to 4 operands) in random layouts.
constexpr ein_test::Signature signatures[] = {
    {1, {2}, 0},       {1, {3}, 1},       {1, {4}, 2},       {1, {3}, 3},       {2, {1, 1}, 2},
    {2, {2, 2}, 2},    {2, {2, 2}, 0},    {2, {3, 3}, 2},    {2, {3, 3}, 3},    {2, {4, 2}, 4},
    {2, {4, 4}, 4},    {2, {5, 3}, 4},    {2, {3, 2}, 3},    {3, {2, 2, 2}, 2}, {3, {3, 2, 1}, 2},
    {3, {2, 3, 2}, 3}, {4, {2, 2, 2, 2}, 2}, {4, {3, 3, 2, 1}, 3},
};

TEST_CASE_TEMPLATE("emulated device: random specs agree with the oracle", T, float, double) {
  ein_test::Rng rng{0xc0da};
  int cases = 0;
  for (int round = 0; round < 60; ++round)
    for (const auto& sig : signatures) {
      const ein_test::Case c = ein_test::random_case(sig, rng, 4096, 6);
      const std::vector<Array<T>> ops = ein_test::arrays<T>(c);
      const auto ref = ein::reference::einsum_with_magnitude<T>(c.spec, ops);
      const Outcome<T> out = run_both<T>(c.spec, ops, rng);
      ++cases;
      require_close(out.device, ref.value, ref.magnitude, ein_test::describe(c));
      require_close(out.device, out.host, ref.magnitude, ein_test::describe(c) + " (vs CPU)");
    }
  MESSAGE(cases << " random cases");
}

}  // namespace
