// Compile-fail test: A spec has one "->" at most.
// expect: einsum: the spec has more than one '->'
// expect-gcc: two_arrows<ein::fixed_string<14>{"ij,jk->ik->ki"}, 9>
#include "ein/ein.hpp"

int main() {
  ein::Tensor<float, 2> a(2, 3), b(3, 4);
#if EIN_EXPECT_FAIL
  ein::Tensor<float, 2> c = ein::einsum<"ij,jk->ik->ki">(a, b);
#else
  ein::Tensor<float, 2> c = ein::einsum<"ij,jk->ki">(a, b);
#endif
  return c.size() > 0 ? 0 : 1;
}
