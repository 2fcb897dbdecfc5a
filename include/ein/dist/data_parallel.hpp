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
// Gradients travel in few large allreduces: packed, parameter after parameter
// (last to first), into buckets of bucket_bytes (1 MiB by default; a larger
// parameter spans several), each summed in place; DataParallel::backward starts
// each bucket while backward still computes the gradients of the earlier layers.
// Parameters on a device are staged through host memory (the device table's
// to_host and from_host: ein::cuda's copies on the Var's stream), not CUDA-aware MPI.
// Layer: dist.
#pragma once

#include <algorithm>
#include <climits>
#include <cstdint>
#include <functional>
#include <optional>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "ein/dist/communicator.hpp"
#include "ein/optim/parameter.hpp"

namespace ein::dist {

/// The default size of one allreduce's buffer: large enough that the per-call
/// latency is small against the transfer, small enough that a bucket packed,
/// summed and unpacked in turn stays in a core's L2 (1 MiB here). The 784-1024-10
/// MLP, global batch 1024, 2 processes (bench/dist --bucket-kib, 5 alternated runs):
/// averaging 0.95-1.38 ms with 1 MiB buckets, 1.45-1.91 ms with 4 MiB; with four
/// hidden layers, or 784-256-10 at batch 128: alike within the noise.
inline constexpr std::size_t default_bucket_bytes = std::size_t(1) << 20;

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
/// losses the global mean loss exactly, whatever the slices' sizes).
///
/// The gradients travel in buckets of about bucket_bytes, the parameters taken
/// last to first (the order backward completes them in: the last layer's first),
/// one allreduce a bucket, after a small one of the header (each process's weight
/// and which parameters have a gradient there). A round runs either after backward
/// (average(): the header first, then each bucket packed, summed with MPI_Allreduce
/// and unpacked in turn, in one bucket's memory) or during it: begin(weight) before
/// backward, gradient_complete(i) as backward completes parameter i
/// (DataParallel::backward has the tape say so), finish() after it. Then a bucket
/// is started (MPI_Iallreduce) as soon as its parameters are complete and every
/// bucket before it has started (every process starts them in one order, as MPI
/// requires), moved along between backward's rules (progress(): MPI advances a
/// nonblocking reduction only inside MPI calls), and the buckets together hold a
/// copy of every gradient (as DDP's do). Buffers are made at the first round and
/// reused: later rounds allocate nothing themselves (MPI may).
class GradientAverager {
 public:
  GradientAverager(const Communicator& comm, std::vector<optim::Parameter> params,
                   std::size_t bucket_bytes = default_bucket_bytes)
      : comm_(&comm), params_(std::move(params)), bucket_bytes_(bucket_bytes) {}

  /// Every process calls it after its backward, with its weight (alone, it returns
  /// at once: the mean over one process is its gradient). A parameter that
  /// backward reached on some processes only makes every process throw
  /// std::logic_error naming it (unused parameters are not supported: the
  /// gradients would be averaged over different sets of processes).
  void average(double weight = 1) {
    if (!start_round(weight)) return;
    in_round_ = false;
    // The total weight first: each process then sends its gradient times its share,
    // w / total, so the sum is the mean and unpacking only copies it back.
    const double share = weight / sum_header();
    // (Summing a bucket that is one run of a host gradient in place, with no copy,
    // was slower: averaging 1.38-1.83 ms against 1.40-1.59 packed, 784-1024-10,
    // batch 1024, 2 processes, 6 alternated runs; the bucket's memory stays cached.)
    for (const Bucket& bucket : buckets_) {
      for (std::size_t k = bucket.first_segment; k < bucket.end_segment; ++k) pack(segments_[k], bucket.at, share);
      with_type(bucket, [&]<class T>(T* data) { allreduce(data, bucket.size); }, bucket.at);
      for (std::size_t k = bucket.first_segment; k < bucket.end_segment; ++k) unpack(segments_[k], bucket.at, 1.0);
    }
  }

  /// Starts a round that overlaps backward (see the class comment) with this
  /// process's weight; finish() ends it.
  void begin(double weight) {
    if (!start_round(weight)) return;
    const std::size_t total_size[2] = {float_total_, double_total_};
    if (floats_.size() < total_size[0]) floats_.assign(total_size[0], 0.0f);
    if (doubles_.size() < total_size[1]) doubles_.assign(total_size[1], 0.0);
    packed_.assign(params_.size(), false);
    for (Bucket& b : buckets_) b.waiting = b.parameters;
    requests_.assign(buckets_.size(), MPI_REQUEST_NULL);
    next_start_ = next_done_ = 0;
  }
  /// Parameter i's gradient is complete for this round: packs it, and starts the
  /// buckets that are now complete (in order).
  void gradient_complete(std::size_t i) {
    if (!in_round_ || packed_[i]) return;
    pack_parameter(i);
    start_complete_buckets();
    started_early_ = calls_;
  }
  /// Moves the started reductions along (MPI_Testall).
  void progress() {
    if (!in_round_ || next_done_ == next_start_) return;
    int done = 0;
    MPI_Testall(static_cast<int>(next_start_ - next_done_), requests_.data() + next_done_, &done, MPI_STATUSES_IGNORE);
    if (done != 0) next_done_ = next_start_;
  }
  /// Packs what backward did not complete, starts every bucket left, sums the
  /// header, waits for the buckets and replaces the gradients by the mean (see
  /// average()). Does nothing outside a round begun by begin().
  void finish() {
    if (!in_round_) return;
    in_round_ = false;
    for (std::size_t i = params_.size(); i-- > 0;)
      if (!packed_[i]) pack_parameter(i);
    start_complete_buckets();
    double total = 0;
    try {
      total = sum_header();  // (while the buckets run)
    } catch (...) {
      MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
      throw;
    }
    MPI_Waitall(static_cast<int>(requests_.size()), requests_.data(), MPI_STATUSES_IGNORE);
    for (const Segment& s : segments_) unpack(s, 0, 1.0 / total);
  }

  [[nodiscard]] const std::vector<optim::Parameter>& parameters() const { return params_; }
  /// Allreduce calls for the gradients in the last round (a few per step: the buckets).
  [[nodiscard]] int allreduce_calls() const { return calls_; }
  /// Of those, how many were started before finish() (while backward ran).
  [[nodiscard]] int started_during_backward() const { return started_early_; }

 private:
  // A run of one parameter's gradient in a bucket: elements [from, from + n) of
  // parameter `param`, at `at` in its element type's buffers (all buckets' laid end to end).
  struct Segment {
    std::size_t param, bucket;
    index_t from, n, at;
  };
  struct Bucket {
    bool is_double;
    index_t at = 0, size = 0;                        // (in its element type's buffers)
    std::size_t first_segment = 0, end_segment = 0;  // its segments_
    int parameters = 0;                              // the parameters with a segment here
    int waiting = 0;                                 // of those, not yet packed this round
  };

  template <class T>
  std::vector<T>& buffer() {
    if constexpr (std::is_same_v<T, float>) return floats_;
    else return doubles_;
  }
  // f(T* data) for the bucket's memory: at `base` less than its own place in the buffers.
  template <class F>
  void with_type(const Bucket& b, F&& f, index_t base) {
    if (b.is_double) f(doubles_.data() + (b.at - base));
    else f(floats_.data() + (b.at - base));
  }

  // Begins any round: false alone (nothing to do); else lays out the buckets.
  bool start_round(double weight) {
    if (!(weight >= 0)) throw std::invalid_argument("ein::dist: negative gradient weight " + std::to_string(weight));
    if (in_round_) throw std::logic_error("ein::dist::GradientAverager: the last round was not finished");
    calls_ = started_early_ = 0;
    if (comm_->size() == 1) return false;  // (the mean over one process: the gradients as they are)
    lay_out();
    weight_ = weight;
    in_round_ = true;
    return true;
  }

  // The buckets, made at the first round and again only if a parameter's size
  // changed: every process makes the same from the same sizes. One bucket's room
  // for average(); begin() makes room for all.
  void lay_out() {
    bool same = laid_out_;  // (compared in place: a round with the same sizes allocates nothing)
    for (std::size_t i = 0; i < params_.size() && same; ++i)
      params_[i].visit([&]<class T>(const optim::Access<T>& at) { same = at.size == laid_out_sizes_[i]; });
    if (same) return;
    std::vector<index_t> sizes;
    std::vector<bool> doubles;
    for (const optim::Parameter& p : params_)
      p.visit([&]<class T>(const optim::Access<T>& at) {
        sizes.push_back(at.size);
        doubles.push_back(std::is_same_v<T, double>);
      });
    buckets_.clear();
    segments_.clear();
    index_t used[2] = {0, 0}, largest[2] = {0, 0};  // elements of the float and the double buffers
    const auto capacity = [&](bool is_double) {
      const std::size_t bytes = is_double ? sizeof(double) : sizeof(float);
      return std::clamp(static_cast<index_t>(bucket_bytes_ / bytes), index_t(1), detail::mpi_chunk);
    };
    for (std::size_t i = params_.size(); i-- > 0;) {
      const bool d = doubles[i];
      for (index_t from = 0; from < sizes[i];) {
        if (buckets_.empty() || buckets_.back().is_double != d || buckets_.back().size == capacity(d)) {
          buckets_.push_back({d, used[d], 0, segments_.size(), segments_.size(), 0, 0});
        }
        Bucket& b = buckets_.back();
        const index_t n = std::min(sizes[i] - from, capacity(d) - b.size);
        segments_.push_back({i, buckets_.size() - 1, from, n, b.at + b.size});
        ++b.parameters;  // (a parameter has one segment a bucket)
        b.size += n;
        b.end_segment = segments_.size();
        largest[d] = std::max(largest[d], b.size);
        used[d] += n;
        from += n;
      }
    }
    float_total_ = static_cast<std::size_t>(used[0]);
    double_total_ = static_cast<std::size_t>(used[1]);
    floats_.assign(static_cast<std::size_t>(largest[0]), 0.0f);
    doubles_.assign(static_cast<std::size_t>(largest[1]), 0.0);
    // Each parameter's segments, for packing one parameter: by_parameter_[first_of_[i] .. first_of_[i + 1]).
    first_of_.assign(params_.size() + 1, 0);
    for (const Segment& s : segments_) ++first_of_[s.param + 1];
    for (std::size_t i = 0; i < params_.size(); ++i) first_of_[i + 1] += first_of_[i];
    by_parameter_.assign(segments_.size(), 0);
    std::vector<std::size_t> next(first_of_.begin(), first_of_.end() - 1);
    for (std::size_t k = 0; k < segments_.size(); ++k) by_parameter_[next[segments_[k].param]++] = k;
    header_.assign(params_.size() + 1, 0.0);
    laid_out_sizes_ = std::move(sizes);
    laid_out_ = true;
  }

  // Sums the header over the processes (each one's weight, and for each parameter
  // whether it has a gradient here: summed, how many processes have one), checks
  // it, and returns the total weight.
  double sum_header() {
    header_[0] = weight_;
    for (std::size_t i = 0; i < params_.size(); ++i)
      params_[i].visit([&]<class T>(const optim::Access<T>& at) { header_[1 + i] = at.grad != nullptr ? 1.0 : 0.0; });
    MPI_Allreduce(MPI_IN_PLACE, header_.data(), static_cast<int>(header_.size()), MPI_DOUBLE, MPI_SUM, comm_->handle());
    for (std::size_t i = 0; i < params_.size(); ++i) {
      const auto having = static_cast<int>(header_[1 + i]);
      if (having != 0 && having != comm_->size())
        throw std::logic_error("ein::dist::GradientAverager: parameter " + std::to_string(i) + " has a gradient on " +
                               std::to_string(having) + " of " + std::to_string(comm_->size()) +
                               " processes (backward reached it on some only; every process must use every parameter)");
    }
    if (!(header_[0] > 0)) throw std::invalid_argument("ein::dist::GradientAverager: the weights sum to 0");
    return header_[0];
  }

  template <class T>
  void allreduce(T* data, index_t n) {
    MPI_Allreduce(MPI_IN_PLACE, data, static_cast<int>(n), mpi_type<T>(), MPI_SUM, comm_->handle());
    ++calls_;
  }
  // One segment's gradient (times `factor`; zeros where it has none) into its bucket's
  // memory (`base` as for with_type).
  void pack(const Segment& s, index_t base, double factor) {
    params_[s.param].visit([&]<class T>(const optim::Access<T>& at) {
      const optim::UpdateDevice<T>& device = detail::staging_of(at, "ein::dist::GradientAverager", s.param);
      const auto w = static_cast<T>(factor);
      T* to = buffer<T>().data() + (s.at - base);
      if (at.grad == nullptr) {
        std::fill(to, to + s.n, T(0));
      } else if (detail::on_host(at)) {  // (one pass: copied and weighted together)
        const T* g = at.grad + s.from;
        if (w == T(1)) std::copy_n(g, s.n, to);
        else
          for (index_t e = 0; e < s.n; ++e) to[e] = w * g[e];
      } else {
        device.to_host(at.context, s.n, at.grad + s.from, to);
        if (w != T(1))
          for (index_t e = 0; e < s.n; ++e) to[e] *= w;
      }
    });
  }
  // The summed segment back into the gradient, divided by the total weight.
  void unpack(const Segment& s, index_t base, double factor) {
    params_[s.param].visit([&]<class T>(const optim::Access<T>& at) {
      if (at.grad == nullptr) return;  // (no process has one: sum_header checked)
      const auto scale = static_cast<T>(factor);
      T* from = buffer<T>().data() + (s.at - base);
      if (detail::on_host(at)) {  // (one pass: scaled and copied back together)
        T* g = at.grad + s.from;
        if (scale == T(1)) std::copy_n(from, s.n, g);
        else
          for (index_t k = 0; k < s.n; ++k) g[k] = from[k] * scale;
        return;
      }
      if (scale != T(1))
        for (index_t k = 0; k < s.n; ++k) from[k] *= scale;
      at.device->from_host(at.context, s.n, from, at.grad + s.from);
    });
  }

  // An overlapped round: parameter i's segments packed, each in its own bucket's place.
  void pack_parameter(std::size_t i) {
    packed_[i] = true;
    for (std::size_t k = first_of_[i]; k < first_of_[i + 1]; ++k) {
      const Segment& s = segments_[by_parameter_[k]];
      pack(s, 0, weight_);  // (the total weight is not known yet: unpacking divides by it)
      --buckets_[s.bucket].waiting;
    }
  }

  // An overlapped round: starts the buckets from next_start_ on while each is complete.
  void start_complete_buckets() {
    for (; next_start_ < buckets_.size() && buckets_[next_start_].waiting == 0; ++next_start_) {
      const Bucket& b = buckets_[next_start_];
      with_type(b, [&]<class T>(T* data) {
        MPI_Iallreduce(MPI_IN_PLACE, data, static_cast<int>(b.size), mpi_type<T>(), MPI_SUM, comm_->handle(),
                       &requests_[next_start_]);
      }, 0);
      ++calls_;
    }
  }

  const Communicator* comm_;
  std::vector<optim::Parameter> params_;
  std::size_t bucket_bytes_;
  std::vector<Bucket> buckets_;
  std::vector<Segment> segments_;          // bucket by bucket
  std::vector<std::size_t> by_parameter_;  // segments_' indices, parameter by parameter
  std::vector<std::size_t> first_of_;      // parameter i's: by_parameter_[first_of_[i] .. first_of_[i + 1])
  std::vector<index_t> laid_out_sizes_;
  bool laid_out_ = false;
  std::size_t float_total_ = 0, double_total_ = 0;  // every bucket's elements
  std::vector<float> floats_;    // one bucket's room (average), or every bucket's (an overlapped round)
  std::vector<double> doubles_;
  std::vector<double> header_;
  std::vector<MPI_Request> requests_;  // an overlapped round's, one a bucket
  std::vector<bool> packed_;           // an overlapped round's, by parameter
  std::size_t next_start_ = 0, next_done_ = 0;  // the next bucket to start; the first that may be in flight
  double weight_ = 1;
  bool in_round_ = false;
  int calls_ = 0, started_early_ = 0;
};

/// An ein::optim optimizer (SGD, Adam, or any with parameters(), zero_grad() and
/// step()) whose step first averages the gradients over the processes. Building it
/// broadcasts rank 0's parameters, so every process starts from the same model.
///   opt.zero_grad(); loss.backward(); opt.step(weight);   // averaged after backward
///   opt.zero_grad(); opt.backward(loss, weight); opt.step();  // averaged during backward
template <class Optimizer>
class DataParallel {
 public:
  DataParallel(const Communicator& comm, Optimizer optimizer, std::size_t bucket_bytes = default_bucket_bytes)
      : optimizer_(std::move(optimizer)), averager_(comm, optimizer_.parameters(), bucket_bytes) {
    broadcast_parameters(comm, optimizer_.parameters());
  }

  void zero_grad() { optimizer_.zero_grad(); }

  /// loss.backward(), averaging the gradients while it runs: each bucket's
  /// allreduce starts once backward has completed its parameters' gradients (the
  /// last layer's first); step() then waits for the rest. `weight` as for step().
  /// One backward a step (gradients accumulated over several backward calls: call
  /// loss.backward() for each, then step(weight)). On the thread that made the
  /// Communicator (MPI calls are made from within backward).
  template <class Loss>
  void backward(const Loss& loss, double weight = 1) {
    averager_.begin(weight);
    averager_weight_ = weight;
    overlapped_ = true;
    observed_.averager = &averager_;
    const ein::detail::ObserveBackward scope(observed_);
    loss.backward();
  }

  /// Averages the gradients (weighted by `weight`: this process's examples in the
  /// step, or 1 for slices of equal size), then steps the optimizer. After
  /// backward(loss, weight), finishes that averaging (its weight counts: a
  /// different one here throws std::logic_error).
  void step(std::optional<double> weight = std::nullopt) {
    if (overlapped_) {
      overlapped_ = false;
      if (weight && *weight != averager_weight_) {
        averager_.finish();
        throw std::logic_error("ein::dist::DataParallel::step: weight " + std::to_string(*weight) +
                               " after backward(loss, " + std::to_string(averager_weight_) + ")");
      }
      averager_.finish();
    } else {
      averager_.average(weight.value_or(1.0));
    }
    optimizer_.step();
  }

  [[nodiscard]] Optimizer& optimizer() { return optimizer_; }
  [[nodiscard]] const Optimizer& optimizer() const { return optimizer_; }
  [[nodiscard]] auto& options() { return optimizer_.options(); }
  [[nodiscard]] GradientAverager& averager() { return averager_; }

 private:
  // The tape's view of the averager: the parameters' nodes, sorted, each with its index.
  class ObservedParameters final : public ein::detail::BackwardObserver {
   public:
    explicit ObservedParameters(const std::vector<optim::Parameter>& params) {
      for (std::size_t i = 0; i < params.size(); ++i) by_node_.push_back({params[i].node(), i});
      std::sort(by_node_.begin(), by_node_.end(),
                [](const auto& a, const auto& b) { return std::less<>{}(a.first, b.first); });
      for (const auto& [node, i] : by_node_) nodes_.push_back(node);
    }
    [[nodiscard]] std::span<const ein::detail::Node* const> watched() const override { return nodes_; }
    void gradient_complete(std::size_t w) override { averager->gradient_complete(by_node_[w].second); }
    void after_rule() override { averager->progress(); }
    GradientAverager* averager = nullptr;  // (set by backward: DataParallel may have moved since)

   private:
    std::vector<std::pair<const ein::detail::Node*, std::size_t>> by_node_;
    std::vector<const ein::detail::Node*> nodes_;
  };

  Optimizer optimizer_;
  GradientAverager averager_;
  ObservedParameters observed_{averager_.parameters()};  // (after averager_: made from its list)
  bool overlapped_ = false;
  double averager_weight_ = 1;
};

}  // namespace ein::dist
