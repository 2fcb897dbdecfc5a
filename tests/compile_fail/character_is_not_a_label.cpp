// Compile-fail test: Only the letters a-z and A-Z are labels: '=>' is a typo for '->'.
// expect: einsum: a character is not a label (labels are the letters a-z and A-Z)
// expect-gcc: character_is_not_a_label<ein::fixed_string<10>{"ij,jk=>ik"}, 5, '='>
#include "ein/ein.hpp"

int main() {
  ein::Tensor<float, 2> a(2, 3), b(3, 4);
#if EIN_EXPECT_FAIL
  ein::Tensor<float, 2> c = ein::einsum<"ij,jk=>ik">(a, b);
#else
  ein::Tensor<float, 2> c = ein::einsum<"ij,jk->ik">(a, b);
#endif
  return c.size() > 0 ? 0 : 1;
}
