// Compile-fail test: A spec has at least one term; "" has none.
// expect: einsum: the spec is empty
// expect-gcc: empty_spec<ein::fixed_string<1>{""}>
#include "ein/ein.hpp"

int main() {
  ein::Tensor<float, 2> a(2, 3);
#if EIN_EXPECT_FAIL
  ein::Tensor<float, 0> c = ein::einsum<"">(a);
#else
  ein::Tensor<float, 0> c = ein::einsum<"ij->">(a);
#endif
  return c.size() > 0 ? 0 : 1;
}
