// Compile-fail test: One operand per input term: "ij,jk->ik" takes two.
// expect: einsum: the number of operands differs from the number of input terms
// expect-gcc: wrong_number_of_operands<ein::fixed_string<10>{"ij,jk->ik"}, 2, 1>
#include "ein/ein.hpp"

int main() {
  ein::Tensor<float, 2> a(2, 3), b(3, 4);
#if EIN_EXPECT_FAIL
  ein::Tensor<float, 2> c = ein::einsum<"ij,jk->ik">(a);
#else
  ein::Tensor<float, 2> c = ein::einsum<"ij,jk->ik">(a, b);
#endif
  return c.size() > 0 ? 0 : 1;
}
