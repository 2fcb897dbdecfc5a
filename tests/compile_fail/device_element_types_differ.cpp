// Compile-fail test: the operands of an einsum on another device's tensors have one
// element type, as on the host. (The counting device, tests/support, stands for any device.)
// expect: einsum: all operands must have the same element type
#include "ein/ein.hpp"
#include "counting_device.hpp"

int main() {
  const auto a = ein::to<ein::test::Counting>(ein::Tensor<float, 2>(2, 3));
#if EIN_EXPECT_FAIL
  const auto b = ein::to<ein::test::Counting>(ein::Tensor<double, 2>(3, 4));
#else
  const auto b = ein::to<ein::test::Counting>(ein::Tensor<float, 2>(3, 4));
#endif
  const ein::Tensor<float, 2, ein::test::Counting> c = ein::einsum("ij,jk->ik", a, b);
  return c.size() > 0 ? 0 : 1;
}
