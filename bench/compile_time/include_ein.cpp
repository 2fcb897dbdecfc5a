// Compile-time probe: Eigen's core plus ein's umbrella header, nothing instantiated.
// Its time minus include_eigen.cpp's is what including ein costs (target: under 1 s). Layer: bench.
#include <Eigen/Core>

#include "ein/ein.hpp"

int compile_time_with_ein() { return static_cast<int>(Eigen::MatrixXf::Zero(2, 2).size()); }
