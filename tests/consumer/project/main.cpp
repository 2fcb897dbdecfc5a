// The smallest program a user writes: a matrix product through both entry
// points, ein::einsum<"spec"> and ein::einsum("spec", ...). Exits 0 when it works.
#include <cstdio>

#include <ein/ein.hpp>

int main() {
  const ein::Tensor<double, 2> a({2, 3}, {1, 2, 3, 4, 5, 6});
  const ein::Tensor<double, 2> b({3, 2}, {1, 0, 0, 1, 1, 1});
  // "ij,jk->ik": [[1+3, 2+3], [4+6, 5+6]]
  const ein::Tensor<double, 2> c = ein::einsum<"ij,jk->ik">(a, b);
  const ein::Tensor<double, 2> d = ein::einsum("ij,jk->ik", a, b);
  const double expected[] = {4, 5, 10, 11};
  for (int i = 0; i < 4; ++i) {
    if (c.data()[i] != expected[i] || d.data()[i] != expected[i]) {
      std::printf("consumer: element %d is %g and %g, expected %g\n", i, c.data()[i], d.data()[i], expected[i]);
      return 1;
    }
  }
  std::printf("consumer: ok\n");
  return 0;
}
