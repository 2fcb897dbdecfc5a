// Compile-fail test: A term has one ellipsis '...' at most.
// expect: einsum: a term has two ellipses '...'
// expect-gcc: two_ellipses_in_one_term<ein::fixed_string<13>{"...i...j->ij"}, 4>
#include "ein/ein.hpp"

int main() {
  ein::Tensor<float, 3> a(2, 3, 4);
#if EIN_EXPECT_FAIL
  ein::Tensor<float, 2> c = ein::einsum<"...i...j->ij">(a);
#else
  ein::Tensor<float, 2> c = ein::einsum<"...ij->ij">(a);
#endif
  return c.size() > 0 ? 0 : 1;
}
