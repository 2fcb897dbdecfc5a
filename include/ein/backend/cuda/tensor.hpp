// ein::Tensor<T, R, ein::cuda::Device> (ein::cuda::Tensor<T, R>): an owning, dense,
// row-major array in device memory, tied to a Context (its stream orders every
// use, its allocation and its free). Copies to and from host tensors are explicit
// and synchronous. Layer: backend (cuda).
#pragma once

#include <concepts>
#include <cstddef>
#include <string>
#include <type_traits>
#include <utility>

#include "ein/backend/cuda/context.hpp"
#include "ein/backend/cuda/launch.hpp"
#include "ein/tensor/tensor.hpp"

namespace ein::cuda {

/// The GPU as a device (backend/cuda/device.hpp has its table).
struct Device;
/// A tensor in device memory: ein's Tensor with the device as its third argument.
template <class T, std::size_t R>
using Tensor = ein::Tensor<T, R, Device>;

/// Tag of the Tensor constructor that leaves the memory unset (for results that
/// are written whole before being read).
struct Uninitialized {};
inline constexpr Uninitialized uninitialized{};

}  // namespace ein::cuda

namespace ein {

template <class T, std::size_t R>
class Tensor<T, R, cuda::Device> {
  static_assert(std::is_same_v<T, float> || std::is_same_v<T, double>,
                "ein::cuda::Tensor: the element type is float or double");

 public:
  using value_type = T;
  static constexpr std::size_t rank = R;

  /// Holds nothing (no context, no memory, size() 0, even at rank 0): the moved-from state.
  Tensor() = default;
  /// Zero-filled device tensor of the given extents on ctx's device, ordered on its stream.
  explicit Tensor(const Extents<R>& extents, cuda::Context& ctx = cuda::Context::current())
      : Tensor(cuda::uninitialized, extents, ctx) {
    if (data_) EIN_CUDA_CHECK(cudaMemsetAsync(data_, 0, bytes(), ctx.stream()));
  }
  /// A device tensor whose elements are unset until written.
  Tensor(cuda::Uninitialized, const Extents<R>& extents, cuda::Context& ctx = cuda::Context::current())
      : extents_(extents), ctx_(&ctx) {
    detail::check_extents(extents, "cuda::Tensor");
    if (element_count(extents) == 0) return;
    EIN_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&data_), bytes(), ctx.stream()));
  }
  template <std::convertible_to<index_t>... E>
    requires(sizeof...(E) == R && R > 0)
  explicit Tensor(E... extents) : Tensor(Extents<R>{static_cast<index_t>(extents)...}) {}

  Tensor(const Tensor&) = delete;
  Tensor& operator=(const Tensor&) = delete;
  Tensor(Tensor&& other) noexcept
      : extents_(other.extents_), ctx_(std::exchange(other.ctx_, nullptr)), data_(std::exchange(other.data_, nullptr)) {
    other.extents_ = {};
  }
  Tensor& operator=(Tensor&& other) noexcept {
    if (this != &other) {
      release();
      extents_ = std::exchange(other.extents_, Extents<R>{});
      ctx_ = std::exchange(other.ctx_, nullptr);
      data_ = std::exchange(other.data_, nullptr);
    }
    return *this;
  }
  ~Tensor() { release(); }

  /// Evaluates a lazy einsum of device tensors (`C = ein::einsum<"ij,jk->ik">(A, B);`):
  /// in place where the extents match (through a temporary when it reads C), else
  /// into new memory on the first operand's context.
  template <class E>
    requires(std::is_same_v<typename E::device_type, cuda::Device> && E::rank == R &&
             std::is_same_v<typename E::value_type, T>)
  Tensor& operator=(const E& e) {
    if (data_ && extents_ == e.extents()) e.evaluate_into(*this, T(1), T(0));
    else *this = e.eval();
    return *this;
  }
  /// this += the einsum (beta = 1: nothing is allocated unless it reads this tensor);
  /// a spec given at run time has its rank checked (ein::spec_error).
  template <class E>
    requires(std::is_same_v<typename E::device_type, cuda::Device> && DeviceExpressionOfRank<E, R> &&
             std::is_same_v<typename E::value_type, T>)
  Tensor& operator+=(const E& e) {
    e.evaluate_into(*this, T(1), T(1));
    return *this;
  }

  /// A device copy of a host tensor; returns once the data is on the device.
  static Tensor from_host(const ein::Tensor<T, R>& host, cuda::Context& ctx = cuda::Context::current()) {
    Tensor t(host.extents(), ctx);
    if (t.data_) {
      EIN_CUDA_CHECK(cudaMemcpyAsync(t.data_, host.data(), t.bytes(), cudaMemcpyHostToDevice, ctx.stream()));
      ctx.synchronize();
    }
    return t;
  }
  /// A host copy; waits for the work queued on this tensor's stream.
  [[nodiscard]] ein::Tensor<T, R> to_host() const {
    ein::Tensor<T, R> host(extents_);
    if (data_) {
      EIN_CUDA_CHECK(cudaMemcpyAsync(host.data(), data_, bytes(), cudaMemcpyDeviceToHost, ctx_->stream()));
      ctx_->synchronize();
    }
    return host;
  }
  /// Device-to-device copy of a tensor of the same extents (queued on this stream).
  void copy_from(const Tensor& other) {
    if (other.extents_ != extents_)
      throw shape_error("cuda::Tensor::copy_from: extents " + to_string(other.extents_) + " differ from " +
                        to_string(extents_));
    if (!data_ || data_ == other.data_) return;
    if (other.ctx_ != ctx_) other.ctx_->synchronize();  // another stream: its writes must be done
    EIN_CUDA_CHECK(cudaMemcpyAsync(data_, other.data_, bytes(), cudaMemcpyDeviceToDevice, ctx_->stream()));
  }
  /// A new device tensor holding the same values, on the same context.
  [[nodiscard]] Tensor clone() const {
    if (!ctx_) return Tensor();
    Tensor t(extents_, *ctx_);
    t.copy_from(*this);
    return t;
  }
  /// Every element = value (queued on this stream).
  void fill(T value) {
    if (!data_) return;
    if (value == T(0)) EIN_CUDA_CHECK(cudaMemsetAsync(data_, 0, bytes(), ctx_->stream()));
    else cuda::detail::launch_fill(data_, size(), value, ctx_->stream());
  }
  void set_zero() { fill(T(0)); }

  [[nodiscard]] T* data() { return data_; }
  [[nodiscard]] const T* data() const { return data_; }
  [[nodiscard]] const Extents<R>& extents() const { return extents_; }
  [[nodiscard]] index_t extent(std::size_t d) const { return extents_[d]; }
  [[nodiscard]] index_t stride(std::size_t d) const { return row_major_strides(extents_)[d]; }
  [[nodiscard]] std::array<index_t, R> strides() const { return row_major_strides(extents_); }
  /// Elements held: 0 for a tensor that holds nothing.
  [[nodiscard]] index_t size() const { return ctx_ ? element_count(extents_) : 0; }
  /// The context this tensor lives on (cuda::Context::current() for one that holds nothing).
  [[nodiscard]] cuda::Context& context() const { return ctx_ ? *ctx_ : cuda::Context::current(); }
  [[nodiscard]] bool empty() const { return size() == 0; }

 private:
  [[nodiscard]] std::size_t bytes() const { return static_cast<std::size_t>(size()) * sizeof(T); }
  void release() noexcept {
    if (data_) (void)cudaFreeAsync(data_, ctx_->stream());  // a destructor cannot throw
    data_ = nullptr;
    ctx_ = nullptr;
  }

  Extents<R> extents_{};
  cuda::Context* ctx_ = nullptr;
  T* data_ = nullptr;
};

}  // namespace ein

namespace ein::cuda {

/// A device copy of a host tensor (synchronous).
template <class T, std::size_t R>
Tensor<T, R> to_device(const ein::Tensor<T, R>& host, Context& ctx = Context::current()) {
  return Tensor<T, R>::from_host(host, ctx);
}

/// A host copy of a device tensor (synchronous).
template <class T, std::size_t R>
ein::Tensor<T, R> to_host(const Tensor<T, R>& device) {
  return device.to_host();
}

}  // namespace ein::cuda
