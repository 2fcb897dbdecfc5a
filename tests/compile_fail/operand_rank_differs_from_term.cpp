// Compile-fail test: An operand's rank is its term's label count: "jk" needs rank 2, b has rank 1.
// expect: einsum: an operand's rank differs from its term's label count
// expect-gcc: operand_rank_differs_from_term<ein::fixed_string<10>{"ij,jk->ik"}, 1, 1, 2>
#include "ein/ein.hpp"

int main() {
  ein::Tensor<float, 2> a(2, 3);
  ein::Tensor<float, 1> b(3);
#if EIN_EXPECT_FAIL
  ein::Tensor<float, 2> c = ein::einsum<"ij,jk->ik">(a, b);
#else
  ein::Tensor<float, 1> c = ein::einsum<"ij,j->i">(a, b);
#endif
  return c.size() > 0 ? 0 : 1;
}
