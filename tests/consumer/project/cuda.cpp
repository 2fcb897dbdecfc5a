// A find_package user of ein's GPU backend: <ein/cuda.hpp> compiles with the
// C++ compiler and ein::cuda links (libein_cuda.a, cudart, cuBLAS) with no CUDA
// language enabled. Touches no GPU, so it runs anywhere.
#include <cstdio>

#include <ein/cuda.hpp>

int main() {
  std::printf("consumer_cuda: ok\n");
  return 0;
}
