// Compile-fail test: An operand has at most ein::max_rank (16) axes, ellipsis included.
// expect: einsum: an operand's rank exceeds ein::max_rank
// expect-gcc: operand_rank_too_large<ein::fixed_string<9>{"...->..."}, 0, 17>
#include "ein/ein.hpp"

int main() {
#if EIN_EXPECT_FAIL
  constexpr std::size_t rank = 17;
#else
  constexpr std::size_t rank = 16;
#endif
  ein::Tensor<float, rank> a;  // (all extents zero: no elements)
  ein::Tensor<float, rank> c = ein::einsum<"...->...">(a);
  return c.size() == 0 ? 0 : 1;
}
