// The processes of a data-parallel job, over MPI: ein::dist::Communicator initialises
// MPI (or adopts it where the program or a library already did), says this
// process's rank and the number of processes, averages a figure across them for
// reporting, and ends the whole job when an exception leaves a process, so that
// the others never wait forever in a collective call. Opt-in: only this folder
// includes <mpi.h> (the ein::mpi CMake target links it); ein/ein.hpp stays MPI-free.
// Layer: dist.
#pragma once

// (MPI's deprecated C++ bindings, which Open MPI's and MPICH's mpi.h pull in
// otherwise, are not used: their headers warn under -Wextra.)
#ifndef OMPI_SKIP_MPICXX
#define OMPI_SKIP_MPICXX 1
#endif
#ifndef MPICH_SKIP_MPICXX
#define MPICH_SKIP_MPICXX 1
#endif
#include <mpi.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>

namespace ein::dist {

/// MPI's datatype for T.
template <class T>
MPI_Datatype mpi_type() {
  if constexpr (std::is_same_v<T, float>) return MPI_FLOAT;
  else if constexpr (std::is_same_v<T, double>) return MPI_DOUBLE;
  else if constexpr (std::is_same_v<T, std::int64_t>) return MPI_INT64_T;
  else static_assert(sizeof(T) == 0, "ein::dist::mpi_type: float, double or std::int64_t");
}

/// Whether this process was started by an MPI launcher (mpirun, mpiexec, srun):
/// the environment variables Open MPI, MPICH and PMIx set for each process. A
/// program that also runs alone can then skip MPI altogether (singleton MPI_Init
/// costs ~0.7 s here: Open MPI starts a helper daemon).
inline bool launched_by_mpi() {
  for (const char* name : {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", "PMIX_RANK", "MPI_LOCALNRANKS"})
    if (std::getenv(name) != nullptr) return true;
  return false;
}

/// `ein::dist::Communicator comm(&argc, &argv);` at the top of main: every process
/// of `mpirun -np K` holds one. Not copyable (it may own MPI's lifetime).
class Communicator {
 public:
  /// Adopts MPI_COMM_WORLD. Initialises MPI where nobody has (MPI_THREAD_FUNNELED:
  /// only the thread that made it calls MPI; ein's OpenMP threads never do) and then
  /// finalizes it when destroyed; where MPI was initialised already, leaves it be.
  explicit Communicator(int* argc = nullptr, char*** argv = nullptr) : comm_(MPI_COMM_WORLD) {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) {
      int provided = 0;
      MPI_Init_thread(argc, argv, MPI_THREAD_FUNNELED, &provided);
      owns_mpi_ = true;
    }
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  /// Adopts `comm` (a sub-communicator the program made), with MPI already initialised.
  explicit Communicator(MPI_Comm comm) : comm_(comm) {
    int initialised = 0;
    MPI_Initialized(&initialised);
    if (!initialised) throw std::logic_error("ein::dist::Communicator(MPI_Comm): MPI is not initialised");
    MPI_Comm_rank(comm_, &rank_);
    MPI_Comm_size(comm_, &size_);
  }
  Communicator(const Communicator&) = delete;
  Communicator& operator=(const Communicator&) = delete;

  /// Destroyed while an exception propagates (it left this process's work): ends
  /// the whole job with MPI_Abort, so that the other processes, which may be
  /// waiting for this one in a collective call, do not hang; mpirun then exits
  /// non-zero. Otherwise finalizes MPI where this Communicator initialised it.
  ~Communicator() {
    if (std::uncaught_exceptions() > uncaught_at_start_) {
      std::fprintf(stderr, "ein::dist: an exception left rank %d of %d: ending the job\n", rank_, size_);
      std::fflush(stderr);
      MPI_Abort(comm_, 1);
    }
    if (owns_mpi_) {
      int finalized = 0;
      MPI_Finalized(&finalized);
      if (!finalized) MPI_Finalize();
    }
  }

  [[nodiscard]] int rank() const { return rank_; }
  [[nodiscard]] int size() const { return size_; }
  /// Whether this is rank 0 (the one that prints, by convention).
  [[nodiscard]] bool is_root() const { return rank_ == 0; }
  [[nodiscard]] MPI_Comm handle() const { return comm_; }

  /// The sum and the mean of `value` over the processes (reporting a loss or an accuracy).
  [[nodiscard]] double sum(double value) const {
    double total = 0;
    MPI_Allreduce(&value, &total, 1, MPI_DOUBLE, MPI_SUM, comm_);
    return total;
  }
  [[nodiscard]] double mean(double value) const { return sum(value) / size_; }
  void barrier() const { MPI_Barrier(comm_); }
  /// Ends every process of the job now, with exit status `code`.
  [[noreturn]] void abort(int code = 1) const {
    MPI_Abort(comm_, code);
    std::abort();  // (MPI_Abort does not return; this says so to the compiler)
  }

 private:
  MPI_Comm comm_;
  int rank_ = 0, size_ = 1;
  bool owns_mpi_ = false;
  int uncaught_at_start_ = std::uncaught_exceptions();
};

}  // namespace ein::dist
