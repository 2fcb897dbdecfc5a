// Compile-time probe: one einsum, "ij,jk->ik" into a Tensor<float, 2>, compiled
// (not dead), with the same flags as one_eigen_product.cpp. Its time over that
// TU's is the first einsum's cost against Eigen's `c = a * b` (target: at most
// 1.1x). Layer: bench.
#include "ein/ein.hpp"

void one_einsum(const ein::Tensor<float, 2>& a, const ein::Tensor<float, 2>& b, ein::Tensor<float, 2>& c) {
  c = ein::einsum<"ij,jk->ik">(a, b);
}
