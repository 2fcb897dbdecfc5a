// The README's example, verbatim.
#include <ein/ein.hpp>
#include <iostream>

int main() {
  ein::Tensor<float, 2> W1(256, 784), X(128, 784);  // zero-filled; fill them as you like
  W1.fill(0.01f);
  X.fill(1.0f);

  // The lecture's layer, examples in rows: a[l, i] = sum_j W1[i, j] * X[l, j].
  ein::Tensor<float, 2> a = ein::einsum<"ij,lj->li">(W1, X);  // one GEMM, transposes as flags

  // Lazy: scale and accumulate fold into the GEMM (alpha, beta), no temporary.
  a += 0.5f * ein::einsum<"ij,lj->li">(W1, X);

  // Traces, diagonals, broadcasting, many operands; the spec is checked at compile time.
  ein::Tensor<float, 3> batch(8, 16, 16);
  ein::Tensor<float, 1> traces = ein::einsum<"bii->b">(batch);
  ein::Tensor<float, 2> chain = ein::einsum<"ab,bc,cd->ad">(a, W1, ein::einsum<"ij->ji">(W1));

  // Specs known only at run time: same grammar, errors thrown as ein::spec_error.
  ein::Tensor<float, 1> row_sums = ein::einsum("li->l", a);

  std::cout << "a(0,0) = " << a(0, 0) << ", row_sums(0) = " << row_sums(0) << ", traces(0) = " << traces(0)
            << ", chain extents " << ein::to_string(chain.extents()) << '\n'
            << ein::einsum_path<"ab,bc,cd->ad">(a, W1, ein::einsum<"ij->ji">(W1).eval());
}
