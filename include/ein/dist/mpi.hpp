// ein across processes and machines, over MPI: the one header to include for
// data-parallel training (link the ein::mpi CMake target). Layer: dist.
//   Communicator            MPI's processes: rank, size, reporting means, ending the job on an exception
//   broadcast_parameters    rank 0's parameters to every process, after checking that all list the same
//   GradientAverager        gradients replaced by their (weighted) mean, in few large allreduces
//   DataParallel            an optimizer whose step averages first
//   ShardedSampler          each global mini-batch split across the processes, from the seed
#pragma once

#include "ein/dist/communicator.hpp"
#include "ein/dist/data_parallel.hpp"
#include "ein/dist/shard.hpp"
