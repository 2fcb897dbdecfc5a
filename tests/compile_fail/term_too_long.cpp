// Compile-fail test: A term holds at most ein::max_rank (16) labels.
// expect: einsum: a term has too many labels (ein::max_rank)
// expect-gcc: term_too_long<ein::fixed_string<22>{"abcdefghijklmnopq->ab"}, 16>
#include "ein/ein.hpp"

int main() {
  ein::Tensor<float, 2> a(2, 3);
#if EIN_EXPECT_FAIL
  ein::Tensor<float, 2> c = ein::einsum<"abcdefghijklmnopq->ab">(a);
#else
  ein::Tensor<float, 2> c = ein::einsum<"ab->ab">(a);
#endif
  return c.size() > 0 ? 0 : 1;
}
