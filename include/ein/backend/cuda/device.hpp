// ein::cuda::Device: the GPU as a device of the training stack, the second
// implementation of the table ein::Host defines (backend/host_device.hpp): the
// same primitives on ein::cuda::Tensors, each one kernel (src/cuda/autodiff_kernels.cu)
// queued on the tensor's stream, never a copy to the host. The kernels are built
// once by nvcc, so an element-wise function must be a row of the element-math
// table they know (math/element.hpp); another is a compile error here, not a
// silent host fallback. Layer: backend (cuda).
#pragma once

#include <cstdint>
#include <limits>
#include <span>
#include <stdexcept>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include "ein/backend/cuda/autodiff/buffer.hpp"
#include "ein/backend/cuda/autodiff/kernels.hpp"
#include "ein/backend/cuda/blas.hpp"
#include "ein/backend/cuda/tensor.hpp"
#include "ein/backend/host_device.hpp"

namespace ein::cuda {

namespace detail {
template <class F>
inline constexpr bool has_kernel = false;

/// The kernels' code for a row of the element-math table, and its scalar (x + s,
/// x^s, the slope of leaky_relu): the list EIN_CUDA_UNARY_ROWS read the other way.
template <class T, class F>
element::UnaryOp unary_code(const F& f, T& s) {
  using namespace element;  // (the list names the rows as element.hpp sees them)
#define EIN_DETAIL_ROW_CODE(code, Row, make, scalar) \
  if constexpr (std::is_same_v<F, Row>) {            \
    s = scalar;                                      \
    return UnaryOp::code;                            \
  } else
  EIN_CUDA_UNARY_ROWS(EIN_DETAIL_ROW_CODE) {
    static_assert(has_kernel<F>,
                  "ein::apply on a CUDA Var: ein's device kernels know the element-math table's rows only "
                  "(math/element.hpp); compose them, or run this function on host Vars");
  }
#undef EIN_DETAIL_ROW_CODE
}
template <class F>
element::BinaryOp binary_code() {
  using namespace element;
#define EIN_DETAIL_ROW_CODE(code, Row) \
  if constexpr (std::is_same_v<F, Row>) return BinaryOp::code; \
  else
  EIN_CUDA_BINARY_ROWS(EIN_DETAIL_ROW_CODE)
    static_assert(has_kernel<F>,
                  "ein::apply on CUDA Vars: ein's device kernels know +, -, * and / of two Vars only; "
                  "compose them, or run this function on host Vars");
#undef EIN_DETAIL_ROW_CODE
}
inline element::Lineup device_lineup(const ein::detail::Lineup& l) {
  return {l.outer, l.inner, l.a_outer, l.a_inner, l.b_outer, l.b_inner};
}

[[noreturn]] inline void fail(std::string_view text, const std::string& what) {
  throw std::invalid_argument("ein::cuda::" + error_prefix(text) + what);
}

/// The context the tensors of one call are used on: the first one's. A tensor on
/// another context of the same device is waited for; another device is an error.
template <class T, std::size_t R>
void join_context(Context*& ctx, const Tensor<T, R>& t, int k, std::string_view text) {
  if (t.data() == nullptr && element_count(t.extents()) > 0)
    fail(text, "tensor " + std::to_string(k) + " (the operands, then the result) holds no memory (moved-from)");
  if (t.data() == nullptr) return;
  Context& c = t.context();
  if (!ctx) {
    ctx = &c;
  } else if (&c != ctx) {
    if (c.device() != ctx->device())
      fail(text, "tensor " + std::to_string(k) + " (the operands, then the result) is on device " +
                     std::to_string(c.device()) + ", not " + std::to_string(ctx->device()));
    c.synchronize();
  }
}
}  // namespace detail

struct Device {
  // (Its tensors are Tensor<T, R> here: ein::Tensor<T, R, Device>, backend/cuda/tensor.hpp.)
  /// Class labels of cross_entropy on the device.
  using labels = Labels;

  // --- moving to and from the host (synchronous) ---

  template <class T, std::size_t R>
  static Tensor<T, R> from_host(const ein::Tensor<T, R>& host) {
    return Tensor<T, R>::from_host(host);
  }
  template <class T, std::size_t R>
  static ein::Tensor<T, R> to_host(const Tensor<T, R>& t) {
    return t.to_host();
  }

  // --- the tape ---

  template <class T, std::size_t R>
  static Tensor<T, R> zeros_like(const Tensor<T, R>& v) {
    return Tensor<T, R>(v.extents(), v.context());
  }
  template <class T, std::size_t R>
  static void add_into(Tensor<T, R>& dst, const Tensor<T, R>& src) {
    kernels::add_into(dst.context().stream(), src.size(), src.data(), dst.data());
  }
  template <class T, std::size_t R>
  static void add_scalar(Tensor<T, R>& dst, T value) {
    kernels::add_scalar(dst.context().stream(), dst.data(), value);
  }

  // --- element-wise functions ---

  template <class F, class T, std::size_t R>
  static Tensor<T, R> map(const F& f, const Tensor<T, R>& x) {
    T s;
    const element::UnaryOp op = detail::unary_code<T>(f, s);
    Tensor<T, R> z(uninitialized, x.extents(), x.context());  // (every forward kernel writes every element)
    kernels::unary_forward(x.context().stream(), op, z.size(), x.data(), z.data(), s);
    return z;
  }
  template <class F, class T, std::size_t R>
  static void map_backward(const F& f, const Tensor<T, R>& g, const Tensor<T, R>& x, const Tensor<T, R>& z,
                           Tensor<T, R>& gx) {
    T s;
    const element::UnaryOp op = detail::unary_code<T>(f, s);
    kernels::unary_backward(g.context().stream(), op, z.size(), g.data(), x.data(), z.data(), gx.data(), s);
  }
  template <class F, class T, std::size_t RA, std::size_t RB, std::size_t R>
  static Tensor<T, R> zip(const F&, const ein::detail::Lineup& l, const Tensor<T, RA>& x, const Tensor<T, RB>& y,
                          const Extents<R>& extents) {
    Tensor<T, R> z(uninitialized, extents, x.context());
    kernels::binary_forward(x.context().stream(), detail::binary_code<F>(), detail::device_lineup(l), x.data(),
                            y.data(), z.data());
    return z;
  }
  template <class F, class T, std::size_t RA, std::size_t RB, std::size_t R>
  static void zip_backward(const F&, const ein::detail::Lineup& l, const Tensor<T, R>& g, const Tensor<T, RA>& x,
                           const Tensor<T, RB>& y, const Tensor<T, R>& z, Tensor<T, RA>* gx, Tensor<T, RB>* gy) {
    kernels::binary_backward(g.context().stream(), detail::binary_code<F>(), detail::device_lineup(l), g.data(),
                             x.data(), y.data(), z.data(), gx ? gx->data() : nullptr, gy ? gy->data() : nullptr);
  }

  // --- whole-tensor sums ---

  template <class T, std::size_t R>
  static Tensor<T, 0> scaled_sum(const Tensor<T, R>& x, T scale) {
    Tensor<T, 0> z(uninitialized, Extents<0>{}, x.context());
    kernels::scaled_sum_forward(x.context().stream(), x.size(), x.data(), scale, z.data());
    return z;
  }
  template <class T, std::size_t R>
  static void scaled_sum_backward(const Tensor<T, 0>& g, T scale, Tensor<T, R>& gx) {
    kernels::scaled_sum_backward(g.context().stream(), gx.size(), g.data(), scale, gx.data());
  }

  // --- softmax and log_softmax ---

  template <class T, std::size_t R>
  static Tensor<T, R> softmax(bool log, const ein::detail::AxisSplit& s, const Tensor<T, R>& x) {
    Tensor<T, R> y(uninitialized, x.extents(), x.context());
    kernels::softmax_forward(x.context().stream(), log, s.outer, s.n, s.inner, x.data(), y.data());
    return y;
  }
  template <class T, std::size_t R>
  static void softmax_backward(bool log, const ein::detail::AxisSplit& s, const Tensor<T, R>& g,
                               const Tensor<T, R>& y, Tensor<T, R>& gx) {
    kernels::softmax_backward(g.context().stream(), log, s.outer, s.n, s.inner, g.data(), y.data(), gx.data());
  }

  // --- cross-entropy ---

  /// Checked host labels (each in [0, C)) copied to the logits' device as int.
  template <class T>
  static Labels labels_from_host(const ein::detail::pooled_vector<index_t>& classes, const Tensor<T, 2>& like) {
    if (like.extent(1) > std::numeric_limits<int>::max())
      throw shape_error("cross_entropy: " + std::to_string(like.extent(1)) +
                        " classes do not fit the device's int labels");
    const std::vector<int> narrow(classes.begin(), classes.end());
    return Labels::from_host(std::span<const int>(narrow), like.context());
  }
  /// A label outside [0, C) makes its row, and so the loss, NaN.
  template <class T>
  static Tensor<T, 0> cross_entropy(const Tensor<T, 2>& x, const Labels& classes, Tensor<T, 1>& lse) {
    const index_t n = x.extent(0), c = x.extent(1);
    Context& ctx = x.context();
    lse = Tensor<T, 1>(uninitialized, Extents<1>{n}, ctx);
    Tensor<T, 1> rows(uninitialized, Extents<1>{n}, ctx);
    Tensor<T, 0> value(uninitialized, Extents<0>{}, ctx);
    kernels::cross_entropy_forward(ctx.stream(), n, c, x.data(), classes.data(), lse.data(), rows.data(),
                                   value.data());
    return value;
  }
  template <class T>
  static void cross_entropy_backward(const Tensor<T, 2>& x, const Labels& classes, const Tensor<T, 1>& lse,
                                     const Tensor<T, 0>& g, Tensor<T, 2>& gx) {
    kernels::cross_entropy_backward(g.context().stream(), x.extent(0), x.extent(1), x.data(), classes.data(),
                                    lse.data(), g.data(), gx.data());
  }

  // --- mini-batches of a data set and their score: one kernel each (float) ---

  using rows = Buffer<std::int64_t>;
  static void copy_rows(std::span<const index_t> from, rows& to) {
    const std::vector<std::int64_t> wide(from.begin(), from.end());
    if (to.size() != static_cast<index_t>(wide.size())) to = rows(static_cast<index_t>(wide.size()));
    to.upload(wide);
  }
  template <class T>
  static std::pair<Tensor<T, 2>, Labels> gather_rows(const Tensor<T, 2>& source, const Labels& source_labels,
                                                     const rows& order, index_t first, index_t n) {
    static_assert(std::is_same_v<T, float>, "ein::cuda: mini-batches are gathered from float data");
    Context& ctx = source.context();
    std::pair<Tensor<T, 2>, Labels> out{Tensor<T, 2>(uninitialized, Extents<2>{n, source.extent(1)}, ctx),
                                        Labels(n, ctx)};
    kernels::gather_rows(ctx.stream(), n, source.extent(1), source.data(), source_labels.data(), order.data(), first,
                         out.first.data(), out.second.data());
    return out;
  }
  struct score_sums {
    Buffer<double> loss{1};
    Buffer<unsigned long long> correct{1};
  };
  template <class T>
  static void add_score(const Tensor<T, 2>& logits, const Labels& y, const Tensor<T, 0>& loss, score_sums& sums) {
    static_assert(std::is_same_v<T, float>, "ein::cuda: the running score is kept for float logits");
    kernels::step_statistics(logits.context().stream(), logits.extent(0), logits.extent(1), logits.data(), y.data(),
                             loss.data(), sums.loss.data(), sums.correct.data());
  }
  static std::pair<double, index_t> read_score(const score_sums& sums) {
    return {sums.loss.to_host()[0], static_cast<index_t>(sums.correct.to_host()[0])};
  }

  // --- einsum on device tensors (expr/device_einsum.hpp, autodiff/einsum.hpp) ---

  template <class T, std::size_t R, std::size_t RL>
  static Tensor<T, R> allocate(const Extents<R>& extents, const Tensor<T, RL>& like, bool zero) {
    return zero ? Tensor<T, R>(extents, like.context()) : Tensor<T, R>(uninitialized, extents, like.context());
  }
  /// f(backend): DeviceBackend on cuBLAS (FP32 GEMMs, or a PrecisionScope's) and ein's kernels, on the first
  /// tensor's context; tensors on another context of the same device are waited for,
  /// another device is an error (std::invalid_argument).
  template <class T, class F, class... On>
  static void lowered(std::string_view text, F&& f, const On&... on) {
    Context* ctx = nullptr;
    int k = 0;
    (detail::join_context(ctx, on, k++, text), ...);
    if (!ctx) ctx = &Context::current();
    ctx->activate();
    detail::CublasDevice<T> device(*ctx, detail::thread_precision());
    detail::DeviceBackend<T, detail::CublasDevice<T>> be(device);
    f(be);
  }
};

}  // namespace ein::cuda
