// ein_bench_dist: the data-parallel MLP step's time under `mpirun -np K` (bench/dist/run
// runs K = 1 and 2 and prints the scaling table). Each process trains the MLP
// 784-H-...-H-10 (`--layers` hidden layers of H, 1 by default; SGD with momentum, as
// bench/mlp) on its slice of a global mini-batch of N synthetic examples, 1 thread
// each; rank 0 prints one line:
//   processes N H layers overlap step_ms comm_ms wait_ms backward_ms
// the medians over the timed steps of the whole step, of the part spent averaging,
// of the wait for the slowest process's backward before it, and of backward (with
// whatever averaging it overlaps). Averaged after
// backward (--overlap 0): comm is ein::dist::GradientAverager::average (packing, the
// allreduces, unpacking) and the wait a barrier timed apart, so that the
// averaging's own cost shows (without it the allreduce would wait as long).
// Averaged during backward (--overlap 1, DataParallel::backward): comm is what is
// left after backward (GradientAverager::finish: the buckets still running, and
// unpacking); the wait is inside it (no barrier, which would let MPI finish the
// buckets meanwhile).
//   mpirun -np 2 ein_bench_dist --n 1024 --h 1024 --steps 30 --layers 1 --overlap 1 --bucket-kib 4096
// Layer: bench.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <random>
#include <string>
#include <vector>

#include <ein/autodiff.hpp>
#include <ein/dist/mpi.hpp>

namespace {

using ein::index_t;
using Clock = std::chrono::steady_clock;
constexpr index_t inputs = 784, classes = 10;

double median(std::vector<double> v) {
  std::sort(v.begin(), v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const ein::dist::Communicator comm(&argc, &argv);
  index_t n = 1024, h = 1024;
  int steps = 30, warmup = 3, layers = 1;
  bool overlap = false;
  std::size_t bucket_bytes = ein::dist::default_bucket_bytes;
  for (int i = 1; i + 1 < argc; i += 2) {
    const std::string arg = argv[i];
    const long value = std::strtol(argv[i + 1], nullptr, 10);
    if (arg == "--n") n = value;
    else if (arg == "--h") h = value;
    else if (arg == "--steps") steps = int(value);
    else if (arg == "--warmup") warmup = int(value);
    else if (arg == "--layers") layers = std::max(1, int(value));
    else if (arg == "--overlap") overlap = value != 0;
    else if (arg == "--bucket-kib") bucket_bytes = std::size_t(std::max(1L, value)) << 10;
  }
  // The same synthetic data and initial weights on every process (bench/mlp's sizes).
  std::mt19937 gen(7);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f);
  const ein::dist::Slice mine = ein::dist::slice_of(n, comm.rank(), comm.size());
  ein::Tensor<float, 2> x_all(n, inputs);
  for (index_t i = 0; i < n * inputs; ++i) x_all.data()[i] = unit(gen);
  std::vector<int> y_all(static_cast<std::size_t>(n));
  for (int& label : y_all) label = int(gen() % unsigned(classes));
  ein::Tensor<float, 2> x_mine(mine.size, inputs);
  std::copy_n(x_all.data() + mine.first * inputs, mine.size * inputs, x_mine.data());
  const auto x = ein::constant(std::move(x_mine));
  const std::vector<int> y(y_all.begin() + mine.first, y_all.begin() + mine.first + mine.size);
  const auto uniform = [&](ein::Tensor<float, 2> t, float bound) {
    for (index_t i = 0; i < t.size(); ++i) t.data()[i] = (2 * unit(gen) - 1) * bound;
    return t;
  };
  // Hidden layer k: W[k] (H x 784, then H x H), b[k]; the output layer last.
  std::vector<ein::Var<float, 2>> w;
  std::vector<ein::Var<float, 1>> b;
  std::vector<ein::optim::Parameter> params;
  for (int k = 0; k <= layers; ++k) {
    const index_t rows = k == layers ? classes : h, columns = k == 0 ? inputs : h;
    w.push_back(ein::param(uniform(ein::Tensor<float, 2>(rows, columns), 1 / std::sqrt(float(columns)))));
    b.push_back(ein::param(ein::Tensor<float, 1>(rows)));
    params.insert(params.end(), {w.back(), b.back()});
  }
  ein::dist::DataParallel opt(comm, ein::optim::SGD(params, {.lr = 0.01, .momentum = 0.9}), bucket_bytes);

  std::vector<double> step_ms, comm_ms, wait_ms, backward_ms;
  for (int s = 0; s < warmup + steps; ++s) {
    comm.barrier();  // (every process starts the step together: the step is as slow as the slowest)
    const auto start = Clock::now();
    auto a = ein::einsum<"ij,lj->li">(w[0], x) + b[0];
    for (int k = 1; k < layers; ++k) a = ein::einsum<"ij,lj->li">(w[std::size_t(k)], ein::relu(a)) + b[std::size_t(k)];
    const auto o = ein::einsum<"ij,lj->li">(w.back(), ein::relu(a)) + b.back();
    const auto loss = ein::cross_entropy(o, y);
    opt.zero_grad();
    const auto forward_done = Clock::now();
    Clock::time_point backward_done, all_done;
    if (overlap) {
      opt.backward(loss, double(mine.size));
      backward_done = all_done = Clock::now();
      opt.averager().finish();
    } else {
      loss.backward();
      backward_done = Clock::now();
      comm.barrier();
      all_done = Clock::now();
      opt.averager().average(double(mine.size));
    }
    const auto averaged = Clock::now();
    if (overlap) opt.step();  // (finish() again does nothing: the optimizer's step)
    else opt.optimizer().step();
    const auto end = Clock::now();
    if (s < warmup) continue;
    step_ms.push_back(1e3 * std::chrono::duration<double>(end - start).count());
    comm_ms.push_back(1e3 * std::chrono::duration<double>(averaged - all_done).count());
    wait_ms.push_back(1e3 * std::chrono::duration<double>(all_done - backward_done).count());
    backward_ms.push_back(1e3 * std::chrono::duration<double>(backward_done - forward_done).count());
  }
  // Each process's medians; the job's: the largest over the processes.
  const double mine_ms[4] = {median(step_ms), median(comm_ms), median(wait_ms), median(backward_ms)};
  double most[4] = {};
  MPI_Allreduce(mine_ms, most, 4, MPI_DOUBLE, MPI_MAX, comm.handle());
  if (comm.is_root())
    std::printf("%d %ld %ld %d %d %.3f %.3f %.3f %.3f\n", comm.size(), static_cast<long>(n), static_cast<long>(h),
                layers, overlap ? 1 : 0, most[0], most[1], most[2], most[3]);
  return 0;
}
