// Compile-fail test: Every output label must occur in some input term.
// expect: einsum: a label is in the output but in no input
// expect-gcc: output_label_in_no_input<ein::fixed_string<10>{"ij,jk->iq"}, 8, 'q'>
#include "ein/ein.hpp"

int main() {
  ein::Tensor<float, 2> a(2, 3), b(3, 4);
#if EIN_EXPECT_FAIL
  ein::Tensor<float, 2> c = ein::einsum<"ij,jk->iq">(a, b);
#else
  ein::Tensor<float, 2> c = ein::einsum<"ij,jk->ik">(a, b);
#endif
  return c.size() > 0 ? 0 : 1;
}
