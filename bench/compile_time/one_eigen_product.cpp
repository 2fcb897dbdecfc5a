// Compile-time baseline: one Eigen matrix product, compiled (not dead), with the
// same flags as one_einsum.cpp. one_einsum.cpp's time over this TU's is the first
// einsum's cost against Eigen's own `c = a * b` (target: at most 1.1x). Layer: bench.
#include <Eigen/Core>

void one_eigen_product(const Eigen::MatrixXf& a, const Eigen::MatrixXf& b, Eigen::MatrixXf& c) { c.noalias() = a * b; }
