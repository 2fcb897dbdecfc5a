// Compile-fail test: The output may hold '...' only when some input does.
// expect: einsum: the output has an ellipsis '...' but no input has one
// expect-gcc: output_ellipsis_in_no_input<ein::fixed_string<13>{"ij,jk->...ik"}, 7>
#include "ein/ein.hpp"

int main() {
  ein::Tensor<float, 2> a(2, 3), b(3, 4);
#if EIN_EXPECT_FAIL
  ein::Tensor<float, 2> c = ein::einsum<"ij,jk->...ik">(a, b);
#else
  ein::Tensor<float, 2> c = ein::einsum<"...ij,jk->...ik">(a, b);
#endif
  return c.size() > 0 ? 0 : 1;
}
