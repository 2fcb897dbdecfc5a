// Run by ctest under `mpirun -np 2` (tests/dist/CMakeLists.txt): rank 1 throws at
// step 10 of a data-parallel loop while rank 0 goes on to its next gradient
// average, where it would wait for rank 1 forever. The exception leaves main: the
// job must end with a non-zero status within seconds (ctest's timeout: 10 s).
#include <cstdio>
#include <stdexcept>

#include "ein/autodiff.hpp"
#include "ein/dist/mpi.hpp"

namespace {

void train(const ein::dist::Communicator& comm) {
  auto w = ein::param(ein::Tensor<float, 1>({3}, {1, 2, 3}));
  ein::dist::DataParallel opt(comm, ein::optim::SGD({w}, {.lr = 0.1}));
  for (int step = 0; step < 1000000; ++step) {
    if (comm.rank() == 1 && step == 10) throw std::runtime_error("rank 1 fails at step 10 (on purpose)");
    opt.zero_grad();
    ein::sum(w * w).backward();
    opt.step();
  }
}

}  // namespace

int main(int argc, char** argv) {
  const ein::dist::Communicator comm(&argc, &argv);
  train(comm);  // (rank 1's exception leaves main: the job must end)
  std::printf("rank %d: finished, which it must not\n", comm.rank());
  return 0;
}
