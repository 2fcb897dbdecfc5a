// Parameter: what an optimizer holds for each Var it updates, whatever its rank,
// element type (float or double) and device, so one optimizer takes {W1, b1, W2, b2}.
// Also what an optimizer asks of a device (UpdateDevice, one table per device: the
// host's here, CUDA's in its leaf) and the per-parameter state buffer. Layer: optim.
#pragma once

#include <concepts>
#include <memory>
#include <stdexcept>
#include <string>
#include <unordered_map>
#include <vector>

#include "ein/autodiff/var.hpp"
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
  const T* grad;
  index_t size;
  const UpdateDevice<T>* device;
  void* context;
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
/// each vectorises with no per-element test of the optional buffers.
template <class T>
std::shared_ptr<T> host_zeros(void*, index_t n) {
  return std::shared_ptr<T>(new T[static_cast<std::size_t>(n)](), std::default_delete<T[]>());
}
template <class T>
void host_sgd(void*, index_t n, T* __restrict p, const T* __restrict g, T* __restrict b,
              const math::SgdArgs<T>& args) {
  if (b != nullptr)
    for (index_t k = 0; k < n; ++k) math::sgd_update(p[k], g[k], b + k, args);
  else
    for (index_t k = 0; k < n; ++k) math::sgd_update(p[k], g[k], static_cast<T*>(nullptr), args);
}
template <class T>
void host_adam(void*, index_t n, T* __restrict p, const T* __restrict g, T* __restrict m, T* __restrict v,
               T* __restrict v_max, const math::AdamArgs<T>& args) {
  if (v_max != nullptr)
    for (index_t k = 0; k < n; ++k) math::adam_update(p[k], g[k], m[k], v[k], v_max + k, args);
  else
    for (index_t k = 0; k < n; ++k) math::adam_update(p[k], g[k], m[k], v[k], static_cast<T*>(nullptr), args);
}
template <class T>
inline constexpr optim::UpdateDevice<T> host_update_device{&host_zeros<T>, &host_sgd<T>, &host_adam<T>};

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
            &detail::host_update_device<T>, nullptr};
  }
};

}  // namespace ein::optim
