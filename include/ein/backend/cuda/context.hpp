// Context: one device, one stream, one cuBLAS handle and a cache of device
// blocks for temporaries; every ein::cuda operation is ordered on its stream.
// Context::current() is this thread's default on device 0. Layer: backend (cuda).
#pragma once

#include <cublas_v2.h>
#include <cuda_runtime.h>

#include <cstddef>
#include <map>
#include <memory>

#include "ein/backend/cuda/error.hpp"

namespace ein::cuda {

/// Whether a CUDA device can be used: false (never throws) without a GPU or driver.
inline bool device_available() noexcept {
  int count = 0;
  if (cudaGetDeviceCount(&count) != cudaSuccess) {
    (void)cudaGetLastError();  // leave no error behind for the next call to read
    return false;
  }
  return count > 0;
}

/// Reusable device blocks, handed out and returned in stream order: a block
/// released after the kernels that use it were queued may go to the next
/// request at once, since everything runs on the one stream. Blocks stay
/// cached until the context ends, so steady-state evaluation allocates nothing.
class BlockCache {
 public:
  BlockCache(int device, cudaStream_t stream) : device_(device), stream_(stream) {}
  BlockCache(const BlockCache&) = delete;
  BlockCache& operator=(const BlockCache&) = delete;
  ~BlockCache() { trim(); }

  /// A block of at least `bytes` (rounded up to a power of two, at least 256).
  void* acquire(std::size_t bytes) {
    const std::size_t size = bucket(bytes);
    auto it = free_.find(size);
    if (it != free_.end()) {
      void* p = it->second;
      free_.erase(it);
      return p;
    }
    void* p = nullptr;
    EIN_CUDA_CHECK(cudaMallocAsync(&p, size, stream_));
    return p;
  }
  /// Returns a block from acquire(bytes).
  void release(void* p, std::size_t bytes) noexcept {
    if (p) free_.emplace(bucket(bytes), p);
  }
  /// Frees every cached block.
  void trim() noexcept {
    int previous = -1;
    (void)cudaGetDevice(&previous);
    (void)cudaSetDevice(device_);
    for (auto& [size, p] : free_) (void)cudaFreeAsync(p, stream_);
    free_.clear();
    if (previous >= 0) (void)cudaSetDevice(previous);
  }

  static std::size_t bucket(std::size_t bytes) {
    std::size_t size = 256;
    while (size < bytes) size *= 2;
    return size;
  }

 private:
  int device_;
  cudaStream_t stream_;
  std::multimap<std::size_t, void*> free_;
};

/// A device, a stream on it and a cuBLAS handle bound to that stream. Not
/// copyable or movable (tensors point to their context); it must outlive them.
/// One thread at a time: give each thread its own (Context::current() does).
class Context {
 public:
  explicit Context(int device = 0) : device_(device) {
    EIN_CUDA_CHECK(cudaSetDevice(device));
    // Keep freed stream-ordered memory in the device's pool instead of giving it
    // back to the driver at each synchronization: tensors come and go per step.
    cudaMemPool_t pool = nullptr;
    EIN_CUDA_CHECK(cudaDeviceGetDefaultMemPool(&pool, device));
    unsigned long long threshold = ~0ull;
    EIN_CUDA_CHECK(cudaMemPoolSetAttribute(pool, cudaMemPoolAttrReleaseThreshold, &threshold));
    EIN_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking));
    try {
      EIN_CUDA_CHECK(cublasCreate(&blas_));
      EIN_CUDA_CHECK(cublasSetStream(blas_, stream_));
    } catch (...) {
      if (blas_) cublasDestroy(blas_);
      cudaStreamDestroy(stream_);
      throw;
    }
    cache_ = std::make_unique<BlockCache>(device_, stream_);
  }
  Context(const Context&) = delete;
  Context& operator=(const Context&) = delete;
  ~Context() {
    // Errors are ignored: at process exit the runtime may already be unloading.
    (void)cudaSetDevice(device_);
    cache_.reset();
    (void)cudaStreamSynchronize(stream_);
    (void)cublasDestroy(blas_);
    (void)cudaStreamDestroy(stream_);
  }

  [[nodiscard]] cudaStream_t stream() const { return stream_; }
  [[nodiscard]] cublasHandle_t blas() const { return blas_; }
  [[nodiscard]] int device() const { return device_; }
  /// The cache of temporaries (DeviceBackend's dense()).
  [[nodiscard]] BlockCache& cache() const { return *cache_; }

  /// Makes this context's device the calling thread's current device.
  void activate() const { EIN_CUDA_CHECK(cudaSetDevice(device_)); }
  /// Waits for everything queued on the stream.
  void synchronize() const { EIN_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

  /// This thread's default context, on device 0, created on first use.
  static Context& current() {
    thread_local std::unique_ptr<Context> context;
    if (!context) context = std::make_unique<Context>(0);
    return *context;
  }

 private:
  int device_ = 0;
  cudaStream_t stream_ = nullptr;
  cublasHandle_t blas_ = nullptr;
  std::unique_ptr<BlockCache> cache_;
};

}  // namespace ein::cuda
