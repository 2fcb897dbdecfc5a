// Parameter: what an optimizer holds for each Var it updates, whatever its rank,
// element type (float or double) and device, so one optimizer takes {W1, b1, W2, b2}.
// Also what an optimizer asks of a device (UpdateDevice, one table per device: the
// host's here, CUDA's in its leaf) and the per-parameter state buffer. Layer: optim.
#pragma once

#include <concepts>
#include <cstring>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <unordered_map>
#include <vector>

#include "ein/autodiff/var.hpp"
#include "ein/lower/thread_chunks.hpp"
#include "ein/lower/row_kernels.hpp"
#include "ein/math/update.hpp"

namespace ein::optim {

/// What an optimizer's step asks of the device a parameter lives on, for elements
/// of T: zeroed state, and the two update loops over n elements (math/update.hpp's
/// rules). `context` is the device's own (null on the host; the Var's CUDA context).
template <class T>
struct UpdateDevice {
  std::shared_ptr<T> (*zeros)(void* context, index_t n);
  void (*sgd)(void* context, index_t n, T* p, const T* g, T* b, const math::SgdArgs<T>& args);
  void (*adam)(void* context, index_t n, T* p, const T* g, T* m, T* v, T* v_max, const math::AdamArgs<T>& args);
  /// n elements from the device to host memory and back, complete on return: the
  /// staging of ein::dist (parameters broadcast, gradients averaged through the host).
  /// Null on a device that has none (ein::dist then names it).
  void (*to_host)(void* context, index_t n, const T* from, T* host) = nullptr;
  void (*from_host)(void* context, index_t n, const T* host, T* to) = nullptr;
};

/// How a Parameter reaches a device's Var: specialised once per device (the host's
/// Var below, ein::cuda::Var in the CUDA leaf) with element_type, rank and
///   static Access access(detail::Node&): the Var's value and gradient (nullptr when
///   no backward has reached it), its element count, its device and context.
template <class V>
struct ParameterTraits;

/// A Var's elements as an optimizer sees them (the gradient nullptr before any backward).
template <class T>
struct Access {
  T* value;
  T* grad;  // (writable: ein::dist replaces it by the mean over processes)
  index_t size;
  const UpdateDevice<T>* device;
  void* context;
  std::span<const index_t> extents = {};  // the Var's shape (where its traits give it; ein::dist compares them)
};

/// A Var of any rank and device with float or double elements, type-erased.
/// Converts implicitly from the Var, so a braced list of Vars makes a parameter
/// list. It shares the Var's node: updates through it are seen through the Var.
class Parameter {
 public:
  template <class V, class Traits = ParameterTraits<V>>
    requires(std::same_as<typename Traits::element_type, float> || std::same_as<typename Traits::element_type, double>)
  Parameter(const V& v)  // NOLINT: implicit by design
      : node_(v.node()), is_double_(std::same_as<typename Traits::element_type, double>) {
    if constexpr (std::same_as<typename Traits::element_type, double>) access_double_ = &Traits::access;
    else access_float_ = &Traits::access;
  }

  /// Calls f(Access<T>) with the Var's elements, gradient, device and context.
  template <class F>
  void visit(F&& f) const {
    if (is_double_) f(access_double_(*node_));
    else f(access_float_(*node_));
  }
  /// Number of elements.
  [[nodiscard]] index_t size() const { return is_double_ ? access_double_(*node_).size : access_float_(*node_).size; }
  /// Zeroes the gradient (keeps its buffer).
  void zero_grad() const { node_->zero_grad(); }
  /// The Var's tape node: two Parameters of one Var share it.
  [[nodiscard]] const detail::Node* node() const { return node_.get(); }

 private:
  std::shared_ptr<detail::Node> node_;
  bool is_double_;
  Access<float> (*access_float_)(detail::Node&) = nullptr;
  Access<double> (*access_double_)(detail::Node&) = nullptr;
};

}  // namespace ein::optim

namespace ein::detail {

/// The host's update loops: math/update.hpp's rules, one loop per case, so that
/// each vectorises with no per-element test of the optional buffers; split across
/// the threads (lower/thread_chunks.hpp).
template <class T>
std::shared_ptr<T> host_zeros(void*, index_t n) {
  return std::shared_ptr<T>(new T[static_cast<std::size_t>(n)](), std::default_delete<T[]>());
}
template <class T>
void host_sgd(void*, index_t n, T* __restrict p, const T* __restrict g, T* __restrict b,
              const math::SgdArgs<T>& args) {
  over_thread_chunks(n, [&](index_t begin, index_t end) {
    if (b != nullptr)
      for (index_t k = begin; k < end; ++k) math::sgd_update(p[k], g[k], b + k, args);
    else
      for (index_t k = begin; k < end; ++k) math::sgd_update(p[k], g[k], static_cast<T*>(nullptr), args);
  });
}
/// The square root of each lane of x (a RowVector's vector or one T), correctly
/// rounded as sqrt_of: by the target's vector instruction, which g++ does not emit
/// for std::sqrt (its errno path keeps the loop scalar) without -fno-math-errno.
template <class V>
[[gnu::always_inline]] inline V lanes_sqrt(V x) {
  if constexpr (std::is_floating_point_v<V>) {
    return math::sqrt_of(x);
  } else {
    using T = std::remove_cvref_t<decltype(x[0])>;
    // x through the target's register type R and its square root instruction.
    [[maybe_unused]] const auto via = [&x]<class R>(R (*root)(R)) {
      R r;
      std::memcpy(&r, &x, sizeof r);
      r = root(r);
      std::memcpy(&x, &r, sizeof r);
      return x;
    };
    [[maybe_unused]] constexpr bool f = std::is_same_v<T, float>, d = std::is_same_v<T, double>;
#if defined(__AVX512F__)
    if constexpr (sizeof(V) == 64 && f) return via(+[](__m512 r) { return _mm512_sqrt_ps(r); });
    if constexpr (sizeof(V) == 64 && d) return via(+[](__m512d r) { return _mm512_sqrt_pd(r); });
#endif
#if defined(__AVX__)
    if constexpr (sizeof(V) == 32 && f) return via(+[](__m256 r) { return _mm256_sqrt_ps(r); });
    if constexpr (sizeof(V) == 32 && d) return via(+[](__m256d r) { return _mm256_sqrt_pd(r); });
#endif
#if defined(__SSE2__)
    if constexpr (sizeof(V) == 16 && f) return via(+[](__m128 r) { return _mm_sqrt_ps(r); });
    if constexpr (sizeof(V) == 16 && d) return via(+[](__m128d r) { return _mm_sqrt_pd(r); });
#endif
    for (std::size_t l = 0; l < sizeof(V) / sizeof(T); ++l) x[l] = math::sqrt_of(T(x[l]));
    return x;
  }
}

/// math::adam_update over n elements, a vector of lanes at a time (the same rule,
/// the square root by lanes_sqrt): one element at a time, the square root and the
/// division kept the loop scalar, ~3.5 ns an element (1M floats: 3.7 ms).
template <class T>
void host_adam(void*, index_t n, T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
               T* __restrict v_max, const math::AdamArgs<T>& a) {
  const auto root = [](auto x) { return lanes_sqrt(x); };
  const auto run = [&](auto amsgrad, index_t begin, index_t end) {
    over_row<T>(end - begin, [&, begin](index_t at, auto lanes) {
      const index_t i = begin + at;
      auto value = lanes.load(p + i), mean = lanes.load(m + i), square = lanes.load(v + i);
      auto most = decltype(amsgrad)::value ? lanes.load(v_max + i) : square;
      math::adam_update(value, lanes.load(g + i), mean, square, decltype(amsgrad)::value ? &most : nullptr, a, root);
      lanes.store(p + i, value);
      lanes.store(m + i, mean);
      lanes.store(v + i, square);
      if constexpr (decltype(amsgrad)::value) lanes.store(v_max + i, most);
    });
  };
  over_thread_chunks(n, [&](index_t begin, index_t end) {
    if (v_max != nullptr) run(std::true_type{}, begin, end);
    else run(std::false_type{}, begin, end);
  });
}
template <class T>
void host_copy(void*, index_t n, const T* from, T* to) {
  if (n > 0) std::memcpy(to, from, static_cast<std::size_t>(n) * sizeof(T));
}
template <class T>
inline constexpr optim::UpdateDevice<T> host_update_device{&host_zeros<T>, &host_sgd<T>, &host_adam<T>, &host_copy<T>,
                                                           &host_copy<T>};

/// Throws std::invalid_argument when a Var is listed twice: step() would update
/// it twice (PyTorch warns and will reject it).
inline void check_distinct_parameters(const char* who, const std::vector<optim::Parameter>& params) {
  std::unordered_map<const Node*, std::size_t> first;
  for (std::size_t i = 0; i < params.size(); ++i) {
    const auto [at, inserted] = first.emplace(params[i].node(), i);
    if (!inserted)
      throw std::invalid_argument(std::string(who) + ": parameter " + std::to_string(i) + " is parameter " +
                                  std::to_string(at->second) + " again (a Var listed twice would be stepped twice)");
  }
}

/// One optimizer buffer of a parameter (a momentum, a moment estimate), on the
/// parameter's device: allocated zero the first time a step needs it, reused by
/// every later step.
class StateBuffer {
 public:
  template <class T>
  T* get(const char* who, std::size_t param, const optim::Access<T>& at) {
    if (data_ == nullptr && at.size > 0) {
      data_ = at.device->zeros(at.context, at.size);
      size_ = at.size;
    }
    if (size_ != at.size)
      throw shape_error(std::string(who) + ": parameter " + std::to_string(param) + " has " + std::to_string(at.size) +
                        " elements, its state " + std::to_string(size_) + " (its value was resized)");
    return static_cast<T*>(data_.get());
  }

 private:
  std::shared_ptr<void> data_;
  index_t size_ = 0;
};

}  // namespace ein::detail

namespace ein::optim {

/// The host's Var.
template <class T, std::size_t R>
struct ParameterTraits<Var<T, R>> {
  using element_type = T;
  static Access<T> access(detail::Node& n) {
    auto& node = static_cast<detail::TensorNode<T, R>&>(n);
    return {node.mutable_value().data(), node.has_grad() ? node.grad().data() : nullptr, node.value().size(),
            &detail::host_update_device<T>, nullptr, node.value().extents()};
  }
};

}  // namespace ein::optim
