// ein::cuda where no GPU is needed: error messages, and the behaviour without a
// device (device_available() is false, using a context throws cuda_error).
// Runs in CI, which has the toolkit but no GPU.
#include "ein/cuda.hpp"

#include <doctest/doctest.h>

#include <string>

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
