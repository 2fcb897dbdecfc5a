// Data-parallel training over MPI (the pattern of Horovod and PyTorch's
// DistributedDataParallel): every process holds the same parameters (broadcast from
// rank 0 at the start), computes the gradients of its own slice of each global
// mini-batch, and before each optimizer step the gradients are replaced by their
// mean over the processes: the same step on every process, the step a single
// process takes on the whole mini-batch.
//
//   ein::dist::Communicator comm(&argc, &argv);
//   ein::dist::DataParallel opt(comm, ein::optim::SGD({W1, b1, W2, b2}, {.lr = 0.1}));
//   per step: opt.zero_grad(); loss.backward(); opt.step(local_batch_size);
//
// Gradients travel in few large allreduces: each element type's gradients are
// packed, parameter after parameter, into one host buffer of bucket_bytes (4 MiB by
// default; a larger parameter spans several), and each full buffer is summed in
// place. Parameters on a device are staged through host memory (the device table's
// to_host and from_host: ein::cuda's copies on the Var's stream), not CUDA-aware MPI.
// Layer: dist.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ein/dist/communicator.hpp"
#include "ein/optim/parameter.hpp"

namespace ein::dist {

/// The default size of one allreduce's buffer: large enough that the per-call
/// latency is small against the transfer, small enough to stay in the caches.
inline constexpr std::size_t default_bucket_bytes = std::size_t(4) << 20;

namespace detail {

/// How many elements one MPI call moves at most (its count is an int).
inline constexpr index_t mpi_chunk = index_t(1) << 30;

/// A parameter's element type, shape and size as integers, for comparing ranks:
/// [is_double, size, rank, extents...].
inline void describe(const optim::Parameter& p, std::vector<std::int64_t>& out) {
  p.visit([&]<class T>(const optim::Access<T>& at) {
    out.push_back(std::is_same_v<T, double> ? 1 : 0);
    out.push_back(at.size);
    out.push_back(static_cast<std::int64_t>(at.extents.size()));
    for (const index_t e : at.extents) out.push_back(e);
  });
}

/// One description as text: "float[3, 4]".
inline std::string describe_text(const std::vector<std::int64_t>& d) {
  if (d.empty()) return "no such parameter";
  std::string s = d[0] != 0 ? "double[" : "float[";
  if (d[2] == 0 && d[1] != 1) s += std::to_string(d[1]) + " elements";  // (no shape given: the count)
  for (std::int64_t i = 0; i < d[2]; ++i) s += (i > 0 ? ", " : "") + std::to_string(d[static_cast<std::size_t>(3 + i)]);
  return s + "]";
}

/// The descriptions of every parameter, each prefixed by its length.
inline std::vector<std::int64_t> describe_all(const std::vector<optim::Parameter>& params) {
  std::vector<std::int64_t> all;
  for (const optim::Parameter& p : params) {
    std::vector<std::int64_t> one;
    describe(p, one);
    all.push_back(static_cast<std::int64_t>(one.size()));
    all.insert(all.end(), one.begin(), one.end());
  }
  return all;
}

/// Parameter i's description within describe_all's (empty past the last).
inline std::vector<std::int64_t> description_at(const std::vector<std::int64_t>& all, std::size_t i) {
  std::size_t at = 0;
  for (std::size_t k = 0; at < all.size(); ++k) {
    const auto n = static_cast<std::size_t>(all[at]);
    if (k == i) return {all.begin() + static_cast<std::ptrdiff_t>(at + 1), all.begin() + static_cast<std::ptrdiff_t>(at + 1 + n)};
    at += 1 + n;
  }
  return {};
}

/// Broadcasts n elements from root, in int-sized chunks.
template <class T>
void broadcast(T* data, index_t n, int root, MPI_Comm comm) {
  for (index_t done = 0; done < n; done += mpi_chunk)
    MPI_Bcast(data + done, static_cast<int>(std::min(mpi_chunk, n - done)), mpi_type<T>(), root, comm);
}

/// Whether a parameter's memory is the host's own (read and written in place, not staged).
template <class T>
bool on_host(const optim::Access<T>& at) {
  return at.context == nullptr && at.device == &ein::detail::host_update_device<T>;
}

template <class T>
const optim::UpdateDevice<T>& staging_of(const optim::Access<T>& at, const char* who, std::size_t i) {
  if (at.device == nullptr || at.device->to_host == nullptr || at.device->from_host == nullptr)
    throw std::invalid_argument(std::string(who) + ": parameter " + std::to_string(i) +
                                " lives on a device without host staging (its UpdateDevice has no to_host/from_host)");
  return *at.device;
}

}  // namespace detail

/// Makes every process's parameters equal to rank `root`'s (call it once, before
/// training: DataParallel does). First checks that every process lists the same
/// parameters: the same count, and each of the same element type and shape; where
/// they differ, every process throws std::invalid_argument naming the first
/// parameter that differs and its two descriptions, e.g.
///   "ein::dist::broadcast_parameters: parameter 2 is float[4, 3] on rank 1, float[3, 4] on rank 0"
inline void broadcast_parameters(const Communicator& comm, const std::vector<optim::Parameter>& params, int root = 0) {
  const char* who = "ein::dist::broadcast_parameters";
  MPI_Comm c = comm.handle();
  const std::vector<std::int64_t> mine = detail::describe_all(params);
  // Root's description to every process; each finds the first parameter where its own differs.
  std::int64_t root_length = static_cast<std::int64_t>(mine.size());
  MPI_Bcast(&root_length, 1, MPI_INT64_T, root, c);
  std::vector<std::int64_t> theirs = comm.rank() == root ? mine : std::vector<std::int64_t>(std::size_t(root_length));
  detail::broadcast(theirs.data(), root_length, root, c);
  int first_bad = INT_MAX;
  for (std::size_t i = 0; mine != theirs && first_bad == INT_MAX; ++i) {
    const auto a = detail::description_at(mine, i), b = detail::description_at(theirs, i);
    if (a != b) first_bad = static_cast<int>(i);
    if (a.empty() && b.empty()) break;
  }
  struct {
    int index, rank;
  } local{first_bad, comm.rank()}, worst{};
  MPI_Allreduce(&local, &worst, 1, MPI_2INT, MPI_MINLOC, c);
  if (worst.index != INT_MAX) {
    // The differing rank's description of that parameter, sent to all, so that each says the same.
    std::vector<std::int64_t> odd = detail::description_at(mine, static_cast<std::size_t>(worst.index));
    std::int64_t n = static_cast<std::int64_t>(odd.size());
    MPI_Bcast(&n, 1, MPI_INT64_T, worst.rank, c);
    odd.resize(static_cast<std::size_t>(n));
    detail::broadcast(odd.data(), n, worst.rank, c);
    const auto at_root = detail::description_at(theirs, static_cast<std::size_t>(worst.index));
    throw std::invalid_argument(std::string(who) + ": parameter " + std::to_string(worst.index) + " is " +
                                detail::describe_text(odd) + " on rank " + std::to_string(worst.rank) + ", " +
                                detail::describe_text(at_root) + " on rank " + std::to_string(root) +
                                " (every process must list the same parameters, in the same order)");
  }
  for (std::size_t i = 0; i < params.size(); ++i)
    params[i].visit([&]<class T>(const optim::Access<T>& at) {
      const optim::UpdateDevice<T>& device = detail::staging_of(at, who, i);
      if (detail::on_host(at)) {
        detail::broadcast(at.value, at.size, root, c);  // (host memory: in place)
        return;
      }
      std::vector<T> staged(static_cast<std::size_t>(at.size));
      if (comm.rank() == root) device.to_host(at.context, at.size, at.value, staged.data());
      detail::broadcast(staged.data(), at.size, root, c);
      if (comm.rank() != root) device.from_host(at.context, at.size, staged.data(), at.value);
    });
}

/// Replaces the parameters' gradients by their mean over the processes, weighted:
/// sum_r w_r g_r / sum_r w_r, with w_r the weight each process passes (its share of
/// the global mini-batch, its example count, makes the mean of per-process mean
/// losses the global mean loss exactly, whatever the slices' sizes). Its buffers
/// are made at the first call and reused: later calls allocate nothing.
class GradientAverager {
 public:
  GradientAverager(const Communicator& comm, std::vector<optim::Parameter> params,
                   std::size_t bucket_bytes = default_bucket_bytes)
      : comm_(&comm), params_(std::move(params)), bucket_bytes_(bucket_bytes) {
    for (const optim::Parameter& p : params_)
      p.visit([&]<class T>(const optim::Access<T>&) { (std::is_same_v<T, float> ? has_float_ : has_double_) = true; });
  }

  /// Every process calls it after its backward, with its weight (alone, it returns
  /// at once: the mean over one process is its gradient). A parameter that
  /// backward reached on some processes only makes every process throw
  /// std::logic_error naming it (unused parameters are not supported: the
  /// gradients would be averaged over different sets of processes).
  void average(double weight = 1) {
    if (!(weight >= 0)) throw std::invalid_argument("ein::dist: negative gradient weight " + std::to_string(weight));
    calls_ = 0;
    if (comm_->size() == 1) return;  // (the mean over one process: the gradients as they are)
    header_pending_ = true;
    total_weight_ = 0;
    if (has_float_) run<float>(weight);
    if (has_double_) run<double>(weight);
  }

  [[nodiscard]] const std::vector<optim::Parameter>& parameters() const { return params_; }
  /// Allreduce calls made by the last average() (a few per step: the buckets).
  [[nodiscard]] int allreduce_calls() const { return calls_; }

 private:
  // A run of one parameter's gradient in the bucket: elements [from, from + n) of
  // parameter `param`, at `at` in the bucket.
  struct Segment {
    std::size_t param;
    index_t from, n, at;
  };

  template <class T>
  std::vector<T>& bucket() {
    if constexpr (std::is_same_v<T, float>) return float_bucket_;
    else return double_bucket_;
  }

  // Packs every T parameter's gradient (weighted) into the bucket, sums each full
  // bucket over the processes, and unpacks it scaled by 1 / total weight. The first
  // bucket of a call starts with a header: the weight, then for each parameter
  // whether it has a gradient here (summed: how many processes have one).
  template <class T>
  void run(double weight) {
    std::vector<T>& buffer = bucket<T>();
    // (at least the header and one element; at most what one MPI call's int count holds)
    const auto capacity = std::min(static_cast<index_t>(std::max(bucket_bytes_ / sizeof(T), params_.size() + 2)),
                                   detail::mpi_chunk);
    if (buffer.size() != static_cast<std::size_t>(capacity)) buffer.assign(static_cast<std::size_t>(capacity), T(0));
    segments_.clear();
    index_t fill = 0;
    const auto w = static_cast<T>(weight);
    if (header_pending_) {
      buffer[0] = w;
      for (std::size_t i = 0; i < params_.size(); ++i)
        params_[i].visit([&]<class U>(const optim::Access<U>& at) { buffer[1 + i] = at.grad != nullptr ? T(1) : T(0); });
      fill = static_cast<index_t>(params_.size() + 1);
      header_pending_ = false;
      header_in_bucket_ = true;
    }
    for (std::size_t i = 0; i < params_.size(); ++i)
      params_[i].visit([&]<class U>(const optim::Access<U>& at) {
        if constexpr (std::is_same_v<U, T>) {
          const optim::UpdateDevice<T>& device = detail::staging_of(at, "ein::dist::GradientAverager", i);
          for (index_t from = 0; from < at.size;) {
            if (fill == capacity) fill = flush<T>(fill);
            const index_t n = std::min(at.size - from, capacity - fill);
            T* to = buffer.data() + fill;
            if (at.grad == nullptr) {
              std::fill(to, to + n, T(0));
            } else if (detail::on_host(at)) {  // (one pass: copied and weighted together)
              const T* g = at.grad + from;
              if (w == T(1)) std::copy_n(g, n, to);
              else
                for (index_t k = 0; k < n; ++k) to[k] = w * g[k];
            } else {
              device.to_host(at.context, n, at.grad + from, to);
              if (w != T(1))
                for (index_t k = 0; k < n; ++k) to[k] *= w;
            }
            segments_.push_back({i, from, n, fill});
            fill += n;
            from += n;
          }
        }
      });
    if (fill > 0) flush<T>(fill);
  }

  // Sums the bucket's first `fill` elements over the processes and unpacks its
  // segments; returns the new fill (0).
  template <class T>
  index_t flush(index_t fill) {
    std::vector<T>& buffer = bucket<T>();
    MPI_Allreduce(MPI_IN_PLACE, buffer.data(), static_cast<int>(fill), mpi_type<T>(), MPI_SUM, comm_->handle());
    ++calls_;
    if (header_in_bucket_) {
      header_in_bucket_ = false;
      total_weight_ = static_cast<double>(buffer[0]);
      for (std::size_t i = 0; i < params_.size(); ++i) {
        const auto having = static_cast<int>(buffer[1 + i]);
        if (having != 0 && having != comm_->size())
          throw std::logic_error("ein::dist::GradientAverager: parameter " + std::to_string(i) + " has a gradient on " +
                                 std::to_string(having) + " of " + std::to_string(comm_->size()) +
                                 " processes (backward reached it on some only; every process must use every parameter)");
      }
      if (!(total_weight_ > 0)) throw std::invalid_argument("ein::dist::GradientAverager: the weights sum to 0");
    }
    const auto scale = static_cast<T>(1.0 / total_weight_);
    for (const Segment& s : segments_)
      params_[s.param].visit([&]<class U>(const optim::Access<U>& at) {
        if constexpr (std::is_same_v<U, T>) {
          if (at.grad == nullptr) return;  // (no process has one: checked above)
          T* from = buffer.data() + s.at;
          if (detail::on_host(at)) {  // (one pass: scaled and copied back together)
            T* g = at.grad + s.from;
            for (index_t k = 0; k < s.n; ++k) g[k] = from[k] * scale;
            return;
          }
          for (index_t k = 0; k < s.n; ++k) from[k] *= scale;
          at.device->from_host(at.context, s.n, from, at.grad + s.from);
        }
      });
    segments_.clear();
    return 0;
  }

  const Communicator* comm_;
  std::vector<optim::Parameter> params_;
  std::size_t bucket_bytes_;
  std::vector<float> float_bucket_;
  std::vector<double> double_bucket_;
  std::vector<Segment> segments_;
  bool has_float_ = false, has_double_ = false;       // (element types among the parameters)
  bool header_pending_ = false, header_in_bucket_ = false;  // (the next, the current bucket: the header's)
  double total_weight_ = 0;
  int calls_ = 0;
};

/// An ein::optim optimizer (SGD, Adam, or any with parameters(), zero_grad() and
/// step()) whose step first averages the gradients over the processes. Building it
/// broadcasts rank 0's parameters, so every process starts from the same model.
template <class Optimizer>
class DataParallel {
 public:
  DataParallel(const Communicator& comm, Optimizer optimizer, std::size_t bucket_bytes = default_bucket_bytes)
      : optimizer_(std::move(optimizer)), averager_(comm, optimizer_.parameters(), bucket_bytes) {
    broadcast_parameters(comm, optimizer_.parameters());
  }

  void zero_grad() { optimizer_.zero_grad(); }
  /// Averages the gradients (weighted by `weight`: this process's examples in the
  /// step, or 1 for slices of equal size), then steps the optimizer.
  void step(double weight = 1) {
    averager_.average(weight);
    optimizer_.step();
  }

  [[nodiscard]] Optimizer& optimizer() { return optimizer_; }
  [[nodiscard]] const Optimizer& optimizer() const { return optimizer_; }
  [[nodiscard]] auto& options() { return optimizer_.options(); }
  [[nodiscard]] GradientAverager& averager() { return averager_; }

 private:
  Optimizer optimizer_;
  GradientAverager averager_;
};

}  // namespace ein::dist
