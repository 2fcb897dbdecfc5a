// Compile-fail test: the Vars of an einsum on another device are all on that one
// device. (The counting device, tests/support, stands for any device.)
// expect: einsum: every Var must be on one device
#include "ein/autodiff.hpp"
#include "counting_device.hpp"

struct OtherLowering : ein::test::HostLowering {};
using Other = ein::test::CountingDevice<OtherLowering>;  // a second device

int main() {
  const auto a = ein::param(ein::to<ein::test::Counting>(ein::Tensor<float, 2>(2, 3)));
#if EIN_EXPECT_FAIL
  const auto b = ein::param(ein::to<Other>(ein::Tensor<float, 2>(3, 4)));
#else
  const auto b = ein::param(ein::to<ein::test::Counting>(ein::Tensor<float, 2>(3, 4)));
#endif
  const ein::Var<float, 2, ein::test::Counting> c = ein::einsum<"ij,jk->ik">(a, b);
  return c.value().size() > 0 ? 0 : 1;
}
