// Compile-fail test: A '.' belongs to an ellipsis of exactly three dots.
// expect: einsum: '.' that is not part of an ellipsis '...'
// expect-gcc: broken_ellipsis<ein::fixed_string<12>{"..ij,jk->ik"}, 0>
#include "ein/ein.hpp"

int main() {
  ein::Tensor<float, 3> a(5, 2, 3);
  ein::Tensor<float, 2> b(3, 4);
#if EIN_EXPECT_FAIL
  ein::Tensor<float, 2> c = ein::einsum<"..ij,jk->ik">(a, b);
#else
  ein::Tensor<float, 2> c = ein::einsum<"...ij,jk->ik">(a, b);
#endif
  return c.size() > 0 ? 0 : 1;
}
