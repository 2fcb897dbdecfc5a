// Compile-fail test: The output follows "->"; a '-' alone is a broken arrow.
// expect: einsum: a broken arrow: '-' must be followed by '>'
// expect-gcc: broken_arrow<ein::fixed_string<9>{"ij,jk-ik"}, 5>
#include "ein/ein.hpp"

int main() {
  ein::Tensor<float, 2> a(2, 3), b(3, 4);
#if EIN_EXPECT_FAIL
  ein::Tensor<float, 2> c = ein::einsum<"ij,jk-ik">(a, b);
#else
  ein::Tensor<float, 2> c = ein::einsum<"ij,jk->ik">(a, b);
#endif
  return c.size() > 0 ? 0 : 1;
}
