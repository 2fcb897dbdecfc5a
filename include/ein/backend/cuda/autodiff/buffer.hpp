// Buffer<T>: an owning device array of a trivially copyable type that is not a
// tensor element (int class labels, int64 row orders, running counters). RAII
// on a Context's stream, like ein::cuda::Tensor. Layer: backend (cuda), autodiff.
#pragma once

#include <cuda_runtime.h>

#include <cstddef>
#include <span>
#include <type_traits>
#include <utility>
#include <vector>

#include "ein/backend/cuda/context.hpp"
#include "ein/backend/cuda/error.hpp"
#include "ein/tensor/shape.hpp"

namespace ein::cuda {

template <class T>
class Buffer {
  static_assert(std::is_trivially_copyable_v<T>, "ein::cuda::Buffer: the element type is trivially copyable");

 public:
  Buffer() = default;
  /// n zero bytes' worth of elements on ctx's device, ordered on its stream.
  explicit Buffer(index_t n, Context& ctx = Context::current()) : size_(n), ctx_(&ctx) {
    if (n < 0) throw shape_error("cuda::Buffer: negative size " + std::to_string(n));
    if (n == 0) return;
    EIN_CUDA_CHECK(cudaMallocAsync(reinterpret_cast<void**>(&data_), bytes(), ctx.stream()));
    EIN_CUDA_CHECK(cudaMemsetAsync(data_, 0, bytes(), ctx.stream()));
  }
  Buffer(const Buffer&) = delete;
  Buffer& operator=(const Buffer&) = delete;
  Buffer(Buffer&& o) noexcept
      : size_(std::exchange(o.size_, 0)), ctx_(std::exchange(o.ctx_, nullptr)), data_(std::exchange(o.data_, nullptr)) {}
  Buffer& operator=(Buffer&& o) noexcept {
    if (this != &o) {
      release();
      size_ = std::exchange(o.size_, 0);
      ctx_ = std::exchange(o.ctx_, nullptr);
      data_ = std::exchange(o.data_, nullptr);
    }
    return *this;
  }
  ~Buffer() { release(); }

  /// A device copy of host data; returns once it is on the device.
  static Buffer from_host(std::span<const T> host, Context& ctx = Context::current()) {
    Buffer b(static_cast<index_t>(host.size()), ctx);
    b.upload(host);
    return b;
  }
  /// Overwrites the buffer with host data of its size (synchronous).
  void upload(std::span<const T> host) {
    if (static_cast<index_t>(host.size()) != size_)
      throw shape_error("cuda::Buffer::upload: " + std::to_string(host.size()) + " elements into " +
                        std::to_string(size_));
    if (size_ == 0) return;
    EIN_CUDA_CHECK(cudaMemcpyAsync(data_, host.data(), bytes(), cudaMemcpyHostToDevice, ctx_->stream()));
    ctx_->synchronize();
  }
  /// A host copy; waits for the work queued on the stream.
  [[nodiscard]] std::vector<T> to_host() const {
    std::vector<T> host(static_cast<std::size_t>(size_));
    if (size_ == 0) return host;
    EIN_CUDA_CHECK(cudaMemcpyAsync(host.data(), data_, bytes(), cudaMemcpyDeviceToHost, ctx_->stream()));
    ctx_->synchronize();
    return host;
  }
  /// Every byte zero (queued on the stream).
  void set_zero() {
    if (size_ > 0) EIN_CUDA_CHECK(cudaMemsetAsync(data_, 0, bytes(), ctx_->stream()));
  }

  [[nodiscard]] T* data() { return data_; }
  [[nodiscard]] const T* data() const { return data_; }
  [[nodiscard]] index_t size() const { return size_; }
  [[nodiscard]] Context& context() const { return ctx_ ? *ctx_ : Context::current(); }

 private:
  [[nodiscard]] std::size_t bytes() const { return static_cast<std::size_t>(size_) * sizeof(T); }
  void release() noexcept {
    if (data_) (void)cudaFreeAsync(data_, ctx_->stream());
    data_ = nullptr;
  }

  index_t size_ = 0;
  Context* ctx_ = nullptr;
  T* data_ = nullptr;
};

/// Class labels on the device (one int per row), for cross_entropy.
using Labels = Buffer<int>;

}  // namespace ein::cuda
