// Compile-fail test: A label appears at most once in the output term.
// expect: einsum: a label appears more than once in the output
// expect-gcc: output_label_repeated<ein::fixed_string<11>{"ij,jk->iki"}, 9, 'i'>
#include "ein/ein.hpp"

int main() {
  ein::Tensor<float, 2> a(2, 3), b(3, 4);
#if EIN_EXPECT_FAIL
  ein::Tensor<float, 3> c = ein::einsum<"ij,jk->iki">(a, b);
#else
  ein::Tensor<float, 3> c = ein::einsum<"ij,jk->ijk">(a, b);
#endif
  return c.size() > 0 ? 0 : 1;
}
