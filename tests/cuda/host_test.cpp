// ein::cuda where no GPU is needed: error messages, and the behaviour without a
// device (device_available() is false, using a context throws cuda_error).
// Runs in CI, which has the toolkit but no GPU; what needs a GPU to run is checked
// here by type (one einsum for every device).
#include "ein/cuda.hpp"
#include "ein/data/batches.hpp"

#include <doctest/doctest.h>

#include <string>
#include <tuple>
#include <type_traits>
#include <utility>
#include <vector>

namespace cu = ein::cuda;

TEST_CASE("cuda_error names the call and the status") {
  try {
    EIN_CUDA_CHECK(cudaErrorMemoryAllocation);
    FAIL("no throw");
  } catch (const cu::cuda_error& e) {
    CHECK(std::string(e.what()) == "cudaErrorMemoryAllocation: out of memory (cudaErrorMemoryAllocation)");
  }
  CHECK_THROWS_WITH_AS(cu::check(CUBLAS_STATUS_NOT_SUPPORTED, "cublasGemmEx(h, ...)"),
                       "cublasGemmEx(h, ...): CUBLAS_STATUS_NOT_SUPPORTED", cu::cuda_error);
  CHECK_NOTHROW(cu::check(cudaSuccess, "x"));
  CHECK_NOTHROW(cu::check(CUBLAS_STATUS_SUCCESS, "x"));
}

TEST_CASE("without a device: device_available() is false and contexts throw") {
  if (cu::device_available()) {
    MESSAGE("a CUDA device is present: the no-device checks do not apply");
    return;
  }
  CHECK_FALSE(cu::device_available());  // twice: the first call leaves no sticky error
  CHECK_THROWS_AS(cu::Context::current(), cu::cuda_error);
  CHECK_THROWS_AS(cu::Context(0), cu::cuda_error);
  // A tensor that holds nothing needs no device.
  cu::Tensor<float, 2> none;
  CHECK(none.size() == 0);
  CHECK(none.data() == nullptr);
}

TEST_CASE("the block cache rounds requests to powers of two") {
  CHECK(cu::BlockCache::bucket(1) == 256);
  CHECK(cu::BlockCache::bucket(256) == 256);
  CHECK(cu::BlockCache::bucket(257) == 512);
  CHECK(cu::BlockCache::bucket(3000000) == 4194304);
}

// One einsum for every device: on CUDA tensors ein::einsum is the same lazy expression
// as on the host's, and on CUDA Vars the same recording einsum; a model written with ein:: ops takes CUDA Vars.
// Checked by type (running them needs a GPU: tests/cuda/autodiff_device_test.cpp).
namespace {
using DeviceMatrix = ein::cuda::Tensor<float, 2>;
using DeviceVar = ein::cuda::Var<float, 2>;
// ein::einsum on device tensors is lazy, as on the host: it converts to a tensor
// (or eval()s to one); ein::cuda::einsum evaluates at once.
using LazyProduct = decltype(ein::einsum<"ij,jk->ik">(std::declval<const DeviceMatrix&>(),
                                                      std::declval<const DeviceMatrix&>()));
static_assert(!std::is_same_v<LazyProduct, DeviceMatrix> && std::is_convertible_v<LazyProduct, DeviceMatrix>);
static_assert(std::is_same_v<decltype(std::declval<const LazyProduct&>().eval()), DeviceMatrix>);
static_assert(std::is_assignable_v<DeviceMatrix&, const LazyProduct&>);
/// Compiled, not called: assignment in place, accumulation, a scale, a temporary
/// operand, and ein::cuda::einsum_into with a precision, instantiated for the device.
[[maybe_unused]] void lazy_einsum_on_device(const DeviceMatrix& a, const DeviceMatrix& b, DeviceMatrix& c) {
  c = ein::einsum<"ij,jk->ik">(a, b);
  c += 2.f * ein::einsum<"ij,jk->ik">(a, b);
  const DeviceMatrix t = ein::einsum<"ij->ji">(DeviceMatrix(2, 3));
  ein::cuda::einsum_into<"ij,jk->ik">(c, {.precision = ein::cuda::Precision::tf32, .beta = 1.0}, a, t);
}
static_assert(std::is_same_v<decltype(ein::cuda::einsum<"ij,jk->ik">(std::declval<const DeviceMatrix&>(),
                                                                      std::declval<const DeviceMatrix&>())),
                             DeviceMatrix>);
static_assert(std::is_same_v<decltype(ein::einsum<"ij,lj->li">(std::declval<const DeviceVar&>(),
                                                                std::declval<const DeviceVar&>())),
                             DeviceVar>);
static_assert(std::is_same_v<decltype(ein::cross_entropy(ein::relu(std::declval<const DeviceVar&>()) +
                                                             std::declval<const ein::cuda::Var<float, 1>&>(),
                                                         std::declval<const std::vector<int>&>())),
                             ein::cuda::Var<float, 0>>);
static_assert(std::is_same_v<decltype(ein::to<ein::cuda::Device>(std::declval<const ein::Tensor<float, 2>&>())),
                             DeviceMatrix>);
// One Tensor: the device is its third argument (the host's by default), so code
// written for a device D names its tensors ein::Tensor<T, R, D>.
static_assert(std::is_same_v<DeviceMatrix, ein::Tensor<float, 2, ein::cuda::Device>>);
static_assert(std::is_same_v<ein::Tensor<float, 2>, ein::Tensor<float, 2, ein::Host>>);
static_assert(std::is_same_v<ein::detail::device_of_t<const DeviceMatrix&>, ein::cuda::Device>);
static_assert(std::is_same_v<ein::detail::device_of_t<ein::Tensor<float, 1>>, ein::Host>);
template <class D>
ein::Tensor<float, 1, D> bias_on(const ein::Tensor<float, 1>& host) {
  return ein::to<D>(host);
}
static_assert(std::is_same_v<decltype(bias_on<ein::cuda::Device>(std::declval<const ein::Tensor<float, 1>&>())),
                             ein::cuda::Tensor<float, 1>>);
// A user's op with its own backward (ein::apply of a Function) on CUDA Vars: forward
// and backward in the device's tensors; a bias's gradient summed over broadcast rows.
// (Declared only: the type check instantiates ein::apply, nothing runs.)
struct DeviceFunction {
  DeviceMatrix forward(const DeviceMatrix& x, const ein::cuda::Tensor<float, 1>& bias);
  std::tuple<DeviceMatrix, DeviceMatrix> backward(const DeviceMatrix& grad);
};
static_assert(std::is_same_v<decltype(ein::apply(DeviceFunction{}, std::declval<const DeviceVar&>(),
                                                 std::declval<const ein::cuda::Var<float, 1>&>())),
                             DeviceVar>);
}  // namespace

// The running score and the batches on the CUDA device, instantiated (compiled, never
// called: it would need a GPU): host labels copied to the device, a batch gathered.
void cuda_score_and_batches(ein::nn::RunningScore<ein::cuda::Device>& score, const ein::Tensor<float, 2>& images,
                            const std::vector<int>& labels) {
  ein::data::Batches<ein::cuda::Device> batches(images, labels);
  auto [x, y] = batches.batch(0, 1);
  const auto logits = ein::constant(std::move(x));
  score.add(logits, y, ein::cross_entropy(logits, y));
  score.add(logits, labels, ein::cross_entropy(logits, y));
}

// The CUDA device's table maps each row of the element-math table to the kernels'
// code and scalar (backend/cuda/device.hpp); the kernels' per-element functions
// (element.hpp, the ones the .cu instantiates) must then give the row's value and
// derivative, for every row ein's ops use.
TEST_CASE_TEMPLATE("each element-math row maps to the kernel code that computes it", T, float, double) {
  namespace el = ein::cuda::element;
  namespace m = ein::math;
  const auto same = [](T a, T b) { return a == b || (a != a && b != b); };  // (NaN: log, sqrt, pow of x < 0)
  const auto check_row = [&](const auto& row) {
    T s{};
    const el::UnaryOp op = ein::cuda::detail::unary_code<T>(row, s);
    for (const T x : {T(-2.5), T(-0.5), T(0.25), T(1.5), T(3)}) {
      const T y = row(x);
      CHECK(same(el::unary_value(op, x, s), y));
      CHECK(same(el::unary_partial(op, x, y, s), row.derivative(x, y)));
    }
  };
  check_row(m::Negate{});
  check_row(m::Exp{});
  check_row(m::Log{});
  check_row(m::Sqrt{});
  check_row(m::Abs{});
  check_row(m::Tanh{});
  check_row(m::Sigmoid{});
  check_row(m::Relu{});
  check_row(m::Gelu{});
  check_row(m::Silu{});
  check_row(m::Pow{2.5});
  check_row(m::LeakyRelu{0.2});
  check_row(m::BindRight<m::Add, T>{T(0.75)});
  check_row(m::BindRight<m::Sub, T>{T(0.75)});
  check_row(m::BindLeft<m::Sub, T>{T(0.75)});
  check_row(m::BindRight<m::Mul, T>{T(0.75)});
  check_row(m::BindRight<m::Div, T>{T(0.75)});
  check_row(m::BindLeft<m::Div, T>{T(0.75)});
  const auto check_pair = [](const auto& row) {
    const el::BinaryOp op = ein::cuda::detail::binary_code<std::remove_cvref_t<decltype(row)>>();
    for (const T x : {T(-2.5), T(0.25), T(3)})
      for (const T y : {T(-1.5), T(0.5), T(2)}) {
        const T z = row(x, y);
        CHECK(el::binary_value(op, x, y) == z);
        CHECK(el::binary_dx(op, x, y, z) == row.dx(x, y, z));
        CHECK(el::binary_dy(op, x, y, z) == row.dy(x, y, z));
      }
  };
  check_pair(m::Add{});
  check_pair(m::Sub{});
  check_pair(m::Mul{});
  check_pair(m::Div{});
}
