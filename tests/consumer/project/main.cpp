// The smallest program a user writes: one tensor. Exits 0 when it works.
#include <cstdio>

#include "ein/tensor/tensor.hpp"

int main() {
  ein::Tensor<double, 2> a({2, 3}, {1, 2, 3, 4, 5, 6});
  double sum = 0;
  for (ein::index_t i = 0; i < a.size(); ++i) sum += a.data()[i];
  if (sum != 21) {
    std::printf("consumer: sum is %g, expected 21\n", sum);
    return 1;
  }
  std::printf("consumer: ok\n");
  return 0;
}
