// Compile-fail test: An einsum takes at most ein::max_operands (16) operands.
// expect: einsum: too many input terms (ein::max_operands)
// expect-gcc: too_many_operands<ein::fixed_string<37>{"a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a->a"}, 31>
#include "ein/ein.hpp"

int main() {
  ein::Tensor<float, 1> x(3);
#if EIN_EXPECT_FAIL
  ein::Tensor<float, 1> y = ein::einsum<"a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a->a">(x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x);
#else
  ein::Tensor<float, 1> y = ein::einsum<"a,a,a,a,a,a,a,a,a,a,a,a,a,a,a,a->a">(x, x, x, x, x, x, x, x, x, x, x, x, x, x, x, x);
#endif
  return y.size() > 0 ? 0 : 1;
}
