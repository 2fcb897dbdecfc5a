// ein::Host: the CPU as a device of the training stack. One table of the
// primitives the tape, the element-wise ops, softmax and the losses run on a
// device's tensors (autodiff/ and nn/ are written once against it; ein::cuda::Device
// is the other implementation). Every primitive takes and returns the device's
// own tensors: values, gradients and saved state never leave the device. The
// einsum kernels are the lowering's (backend/host.hpp). Layer: backend.
#pragma once

#include <algorithm>
#include <cstddef>
#include <span>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "ein/lower/thread_chunks.hpp"
#include "ein/math/element.hpp"
#include "ein/math/softmax.hpp"
#include "ein/tensor/axis_split.hpp"
#include "ein/tensor/lineup.hpp"
#include "ein/tensor/tensor.hpp"

namespace ein {

namespace detail {
template <class T>
class HostBackend;  // (backend/host.hpp: the lowering's kernels, complete where einsum is)

/// The device a tensor type lives on: D for ein's Tensor<T, R, D> (below); a device
/// with a tensor type of its own (a test's) specialises it.
template <class Value>
struct device_of;
template <class Value>
using device_of_t = typename device_of<std::remove_cvref_t<Value>>::type;

/// pass(begin, end) over n elements of element function F: split across the threads
/// (over_thread_chunks) where F is one of the table's rows (math::is_table_row), else
/// one call: a user's function is never called from two threads at once.
template <class F, class Pass>
void over_elements(index_t n, Pass&& pass) {
  if constexpr (math::is_table_row<F>) over_thread_chunks(n, pass);
  else pass(index_t(0), n);
}

/// Passes over tensors of at least `from` elements made on this thread (from = 0:
/// not counted): how a test counts the passes a training step makes over its
/// layer-sized tensors. Every pass of Host below counts itself, as does a fused layer.
struct PassCounter {
  index_t from = 0;
  long passes = 0;
};
inline PassCounter& pass_counter() {
  thread_local PassCounter counter;
  return counter;
}
inline void count_pass(index_t n) {
  PassCounter& c = pass_counter();
  if (c.from > 0 && n >= c.from) ++c.passes;
}

/// float sums accumulate in double; wider types in themselves.
template <class T>
using accumulator_t = std::conditional_t<std::is_same_v<T, float>, double, T>;
}  // namespace detail

struct Host {
  // (Its tensors are Tensor<T, R, Host>, the default.)
  /// Class labels of cross_entropy, checked and held on the device.
  using labels = detail::pooled_vector<index_t>;  // (from the memory pool: a step allocates nothing)

  // --- moving to and from the host ---

  /// A copy of a host tensor on this device (here: a copy).
  template <class T, std::size_t R>
  static Tensor<T, R> from_host(const Tensor<T, R>& host) {
    return host;
  }
  template <class T, std::size_t R>
  static Tensor<T, R> to_host(const Tensor<T, R>& t) {
    return t;
  }

  // --- the tape ---

  // (The element-wise passes below split across the OpenMP threads where they are
  // long: lower/thread_chunks.hpp. Each element's result is the same either way.)

  /// Zeros of v's extents (a gradient buffer).
  template <class T, std::size_t R>
  static Tensor<T, R> zeros_like(const Tensor<T, R>& v) {
    Tensor<T, R> z(v.extents(), detail::for_writing);
    set_zero(z);
    return z;
  }
  /// t = 0 everywhere (zero_grad): after a step on two threads, a gradient's lines
  /// sit in both cores' caches, and one thread zeroing all of it waits on the other core.
  template <class T, std::size_t R>
  static void set_zero(Tensor<T, R>& t) {
    T* ts = t.data();
    detail::count_pass(t.size());
    detail::over_thread_chunks(t.size(), [&](index_t b, index_t e) { std::fill(ts + b, ts + e, T{}); });
  }
  /// dst += src, element by element (equal extents).
  template <class T, std::size_t R>
  static void add_into(Tensor<T, R>& dst, const Tensor<T, R>& src) {
    T* d = dst.data();
    const T* s = src.data();
    detail::count_pass(src.size());
    detail::over_thread_chunks(src.size(), [&](index_t b, index_t e) {
      for (index_t k = b; k < e; ++k) d[k] += s[k];
    });
  }
  /// dst's first element += value (the seed 1 of a scalar's backward).
  template <class T, std::size_t R>
  static void add_scalar(Tensor<T, R>& dst, T value) {
    dst.data()[0] += value;
  }

  // --- element-wise functions: rows of math/element.hpp, or a user's of the same shape ---

  /// z = f(x) element by element.
  template <class F, class T, std::size_t R>
  static Tensor<T, R> map(const F& f, const Tensor<T, R>& x) {
    Tensor<T, R> z(x.extents(), detail::for_writing);
    const T* xs = x.data();
    T* zs = z.data();
    detail::count_pass(z.size());
    detail::over_elements<F>(z.size(), [&](index_t b, index_t e) {
      for (index_t k = b; k < e; ++k) zs[k] = static_cast<T>(f(xs[k]));
    });
    return z;
  }
  /// gx += g * f.derivative(x, z) element by element.
  template <class F, class T, std::size_t R>
  static void map_backward(const F& f, const Tensor<T, R>& g, const Tensor<T, R>& x, const Tensor<T, R>& z,
                           Tensor<T, R>& gx) {
    const T* gs = g.data();
    const T* xs = x.data();
    const T* zs = z.data();
    T* out = gx.data();
    detail::count_pass(z.size());
    detail::over_elements<F>(z.size(), [&](index_t b, index_t e) {
      for (index_t k = b; k < e; ++k) out[k] += gs[k] * static_cast<T>(f.derivative(xs[k], zs[k]));
    });
  }
  /// z = f(x, y), the operands lined up by l (tensor/lineup.hpp), z of `extents`.
  template <class F, class T, std::size_t RA, std::size_t RB, std::size_t R>
  static Tensor<T, R> zip(const F& f, const detail::Lineup& l, const Tensor<T, RA>& x, const Tensor<T, RB>& y,
                          const Extents<R>& extents) {
    Tensor<T, R> z(extents, detail::for_writing);
    const T* xs = x.data();
    const T* ys = y.data();
    T* zs = z.data();
    detail::count_pass(l.size());
    detail::over_elements<F>(l.size(), [&](index_t b, index_t e) {
      l.for_each_in(b, e, [&](index_t k, index_t i, index_t j) { zs[k] = static_cast<T>(f(xs[i], ys[j])); });
    });
    return z;
  }
  /// gx += g * f.dx(x, y, z) and gy += g * f.dy(x, y, z), summed where an operand
  /// repeats; a null gx or gy is skipped.
  template <class F, class T, std::size_t RA, std::size_t RB, std::size_t R>
  static void zip_backward(const F& f, const detail::Lineup& l, const Tensor<T, R>& g, const Tensor<T, RA>& x,
                           const Tensor<T, RB>& y, const Tensor<T, R>& z, Tensor<T, RA>* gx, Tensor<T, RB>* gy) {
    const T* gs = g.data();
    const T* xs = x.data();
    const T* ys = y.data();
    const T* zs = z.data();
    // add(k, i, j) at every element; split across threads where the operand it adds
    // to has the result's rank (it meets each element once), else on one thread (a
    // repeated operand, a bias, sums over rows).
    const auto accumulate = [&](auto once, const auto& add) {
      detail::count_pass(l.size());
      const auto pass = [&](index_t b, index_t e) { l.for_each_in(b, e, add); };
      if constexpr (decltype(once)::value) detail::over_elements<F>(l.size(), pass);
      else pass(0, l.size());
    };
    if (gx != nullptr) {
      T* out = gx->data();
      accumulate(std::bool_constant<RA == R>{}, [&](index_t k, index_t i, index_t j) {
        out[i] += gs[k] * static_cast<T>(f.dx(xs[i], ys[j], zs[k]));
      });
    }
    if (gy != nullptr) {
      T* out = gy->data();
      accumulate(std::bool_constant<RB == R>{}, [&](index_t k, index_t i, index_t j) {
        out[j] += gs[k] * static_cast<T>(f.dy(xs[i], ys[j], zs[k]));
      });
    }
  }

  // --- whole-tensor sums ---

  /// scale * the sum of x's elements (in double for float), as a rank-0 tensor.
  template <class T, std::size_t R>
  static Tensor<T, 0> scaled_sum(const Tensor<T, R>& x, T scale) {
    detail::accumulator_t<T> s{};
    const T* xs = x.data();
    detail::count_pass(x.size());
    for (index_t k = 0, n = x.size(); k < n; ++k) s += xs[k];
    Tensor<T, 0> z;
    z() = static_cast<T>(s) * scale;
    return z;
  }
  /// gx += scale * g everywhere.
  template <class T, std::size_t R>
  static void scaled_sum_backward(const Tensor<T, 0>& g, T scale, Tensor<T, R>& gx) {
    const T d = g() * scale;
    T* out = gx.data();
    detail::count_pass(gx.size());
    detail::over_thread_chunks(gx.size(), [&](index_t b, index_t e) {
      for (index_t k = b; k < e; ++k) out[k] += d;
    });
  }

  // --- softmax and log_softmax along the middle axis of a split (math/softmax.hpp) ---

  template <class T, std::size_t R>
  static Tensor<T, R> softmax(bool log, const detail::AxisSplit& s, const Tensor<T, R>& x) {
    Tensor<T, R> y(x.extents(), detail::for_writing);
    const T* xs = x.data();
    T* ys = y.data();
    detail::count_pass(x.size());
    s.for_each_line([&](index_t first, index_t stride) {
      const auto st = math::line_stats(xs + first, s.n, stride);
      for (index_t k = 0; k < s.n; ++k) {
        const index_t at = first + k * stride;
        ys[at] = log ? xs[at] - st.max - st.log_sum : math::exp_of(xs[at] - st.max - st.log_sum);
      }
    });
    return y;
  }
  /// gx += the softmax (log_softmax) rule of gradient g through result y.
  template <class T, std::size_t R>
  static void softmax_backward(bool log, const detail::AxisSplit& s, const Tensor<T, R>& g, const Tensor<T, R>& y,
                               Tensor<T, R>& gx) {
    const T* gs = g.data();
    const T* ys = y.data();
    T* out = gx.data();
    detail::count_pass(y.size());
    s.for_each_line([&](index_t first, index_t stride) {
      T total = 0;  // log_softmax: sum(dy); softmax: sum(dy * y)
      for (index_t k = 0; k < s.n; ++k) {
        const index_t at = first + k * stride;
        total += log ? gs[at] : gs[at] * ys[at];
      }
      for (index_t k = 0; k < s.n; ++k) {
        const index_t at = first + k * stride;
        out[at] += log ? math::log_softmax_partial(gs[at], ys[at], total)
                       : math::softmax_partial(gs[at], ys[at], total);
      }
    });
  }

  // --- cross-entropy of logits [N, C] against checked labels ---

  /// Checked labels (each in [0, C)) as this device holds them: here, as they are.
  template <class T>
  static labels labels_from_host(labels classes, const Tensor<T, 2>&) {
    return classes;
  }
  /// The mean over rows of log-sum-exp minus the label's logit (summed in double
  /// for float); lse gets each row's log-sum-exp for the backward.
  template <class T>
  static Tensor<T, 0> cross_entropy(const Tensor<T, 2>& x, const labels& classes, Tensor<T, 1>& lse) {
    const index_t n = x.extent(0), c = x.extent(1);
    lse = Tensor<T, 1>(Extents<1>{n}, detail::for_writing);
    const T* xs = x.data();
    detail::count_pass(x.size());
    detail::accumulator_t<T> total = 0;
    for (index_t r = 0; r < n; ++r) {
      const auto st = math::line_stats(xs + r * c, c, 1);
      lse.data()[r] = st.max + st.log_sum;
      total += lse.data()[r] - xs[r * c + classes[static_cast<std::size_t>(r)]];
    }
    Tensor<T, 0> z;
    z() = static_cast<T>(total / static_cast<detail::accumulator_t<T>>(n));
    return z;
  }
  /// gx[r, k] += g / N * (softmax(x)[r, k] - [k == label r]).
  template <class T>
  static void cross_entropy_backward(const Tensor<T, 2>& x, const labels& classes, const Tensor<T, 1>& lse,
                                     const Tensor<T, 0>& g, Tensor<T, 2>& gx) {
    const index_t n = x.extent(0), c = x.extent(1);
    const T g_mean = g() / static_cast<T>(n);
    const T* xs = x.data();
    T* out = gx.data();
    detail::count_pass(x.size());
    for (index_t r = 0; r < n; ++r) {
      const index_t label = classes[static_cast<std::size_t>(r)];
      for (index_t k = 0; k < c; ++k) {
        T& o = out[r * c + k];
        o = math::cross_entropy_accumulate(o, xs[r * c + k], lse.data()[r], g_mean, k == label);
      }
    }
  }

  // --- mini-batches of a data set (data/batches.hpp) and their score (nn/score.hpp) ---

  /// Row numbers of a data set, in the order its batches draw them.
  using rows = std::vector<index_t>;
  static void copy_rows(std::span<const index_t> from, rows& to) { to.assign(from.begin(), from.end()); }
  /// x [n, d] = source's rows order[first, first + n), and their labels.
  template <class T>
  static std::pair<Tensor<T, 2>, labels> gather_rows(const Tensor<T, 2>& source, const labels& source_labels,
                                                     const rows& order, index_t first, index_t n) {
    const index_t d = source.extent(1);
    std::pair<Tensor<T, 2>, labels> out{Tensor<T, 2>(Extents<2>{n, d}, detail::for_writing),
                                        labels(static_cast<std::size_t>(n))};
    for (index_t r = 0; r < n; ++r) {
      const index_t row = order[static_cast<std::size_t>(first + r)];
      std::copy_n(source.data() + row * d, d, out.first.data() + r * d);
      out.second[static_cast<std::size_t>(r)] = source_labels[static_cast<std::size_t>(row)];
    }
    return out;
  }
  /// A stretch of steps' loss summed over rows, and its rows whose first largest logit
  /// is at the label (std::max_element's choice: a NaN logit after the first is passed over).
  struct score_sums {
    double loss = 0;
    index_t correct = 0;
  };
  template <class T>
  static void add_score(const Tensor<T, 2>& logits, const labels& y, const Tensor<T, 0>& loss, score_sums& sums) {
    const index_t n = logits.extent(0), c = logits.extent(1);
    sums.loss += static_cast<double>(loss()) * static_cast<double>(n);
    for (index_t r = 0; r < n; ++r) {
      const T* row = logits.data() + r * c;
      sums.correct += std::max_element(row, row + c) - row == y[static_cast<std::size_t>(r)];
    }
  }
  static std::pair<double, index_t> read_score(const score_sums& sums) { return {sums.loss, sums.correct}; }

  // --- einsum on the device's tensors (expr/device_einsum.hpp, autodiff/einsum.hpp) ---

  /// A tensor of these extents where `like` lives, for a result: zero-filled when
  /// `zero`, else unset until written.
  template <class T, std::size_t R, std::size_t RL>
  static Tensor<T, R> allocate(const Extents<R>& extents, const Tensor<T, RL>&, bool zero) {
    return zero ? Tensor<T, R>(extents) : Tensor<T, R>(extents, detail::for_writing);
  }
  /// f(backend): the lowering's Backend (execute_on's) where the tensors `on` live;
  /// `text` (the spec) names a failure to bring them together (none here).
  template <class T, class F, class... On>
  static void lowered(std::string_view /*text*/, F&& f, const On&... /*on*/) {
    detail::HostBackend<T> be;
    f(be);
  }
};

namespace detail {
template <class T, std::size_t R, class D>
struct device_of<Tensor<T, R, D>> {
  using type = D;
};
}  // namespace detail

/// A copy of a host tensor on device D: `ein::to<ein::cuda::Device>(W)` (a plain
/// copy for ein::Host), as PyTorch's `.to(device)`.
template <class D, class T, std::size_t R>
Tensor<T, R, D> to(const Tensor<T, R>& host) {
  return D::from_host(host);
}
/// (A temporary host tensor moved to the host is moved, not copied.)
template <class D, class T, std::size_t R>
Tensor<T, R, D> to(Tensor<T, R>&& host) {
  if constexpr (std::is_same_v<D, Host>) return std::move(host);
  else return D::from_host(host);
}
/// A host copy of a tensor of any device.
template <class X>
auto to_host(const X& t) -> decltype(detail::device_of_t<X>::to_host(t)) {
  return detail::device_of_t<X>::to_host(t);
}

}  // namespace ein
