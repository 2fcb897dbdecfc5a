// main() of the gpu-labelled tests: exit code 77 (ctest's SKIP_RETURN_CODE) and
// a plain message when no CUDA device can be used, doctest otherwise.
#define DOCTEST_CONFIG_IMPLEMENT
#include <doctest/doctest.h>

#include <cstdio>

#include "ein/backend/cuda/context.hpp"

int main(int argc, char** argv) {
  if (!ein::cuda::device_available()) {
    std::puts("SKIPPED: no CUDA device");
    return 77;
  }
  doctest::Context context(argc, argv);
  return context.run();
}
