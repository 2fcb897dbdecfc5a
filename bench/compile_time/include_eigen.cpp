// Compile-time baseline: Eigen's core alone. measure subtracts this TU's time
// from include_ein.cpp's to get the cost of including ein. Layer: bench.
#include <Eigen/Core>

int compile_time_eigen_only() { return static_cast<int>(Eigen::MatrixXf::Zero(2, 2).size()); }
