// Compile-fail test: the operands of an einsum on another device's tensors are all on
// that one device (a copy between devices is the user's to write: ein::to<D>).
// (The counting device, tests/support, stands for any device: CUDA's needs its toolkit.)
// expect: einsum: every tensor must be on one device
#include "ein/ein.hpp"
#include "counting_device.hpp"

struct OtherLowering : ein::test::HostLowering {};
using Other = ein::test::CountingDevice<OtherLowering>;  // a second device

int main() {
  const auto a = ein::to<ein::test::Counting>(ein::Tensor<float, 2>(2, 3));
#if EIN_EXPECT_FAIL
  const auto b = ein::to<Other>(ein::Tensor<float, 2>(3, 4));
#else
  const auto b = ein::to<ein::test::Counting>(ein::Tensor<float, 2>(3, 4));
#endif
  const ein::Tensor<float, 2, ein::test::Counting> c = ein::einsum<"ij,jk->ik">(a, b);
  return c.size() > 0 ? 0 : 1;
}
