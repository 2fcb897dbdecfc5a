// DeviceNode: a tape node whose value and gradient are ein::cuda::Tensors. It
// derives from the storage-agnostic ein::detail::Node, so ein::detail::run_backward
// walks device graphs as it walks host ones; rules queue kernels on the value's
// stream and never copy to the host. Layer: backend (cuda), autodiff.
#pragma once

#include <memory>
#include <optional>
#include <tuple>
#include <utility>
#include <vector>

#include "ein/autodiff/node.hpp"
#include "ein/backend/cuda/autodiff/kernels.hpp"
#include "ein/backend/cuda/tensor.hpp"

namespace ein::cuda {

/// A zero device tensor with v's extents, on v's context (ein::detail::ValueNode's gradient buffer).
template <class T, std::size_t R>
Tensor<T, R> zeros_like(const Tensor<T, R>& v) {
  return Tensor<T, R>(v.extents(), v.context());
}
/// dst += src on dst's stream (ein::detail::ValueNode's retained gradient adding up).
template <class T, std::size_t R>
void add_into(Tensor<T, R>& dst, const Tensor<T, R>& src) {
  kernels::add_into(dst.context().stream(), src.size(), src.data(), dst.data());
}

}  // namespace ein::cuda

namespace ein::cuda::detail {

template <class T, std::size_t R>
class DeviceNode : public ein::detail::ValueNode<Tensor<T, R>> {
 public:
  using ein::detail::ValueNode<Tensor<T, R>>::ValueNode;

  [[nodiscard]] Context& context() const { return this->value().context(); }
  [[nodiscard]] cudaStream_t stream() const { return this->value().context().stream(); }
};

/// An op node of a device tape: ein::detail::RuleNode over a DeviceNode.
template <class T, std::size_t R, class Rule, class... Inputs>
using DeviceOpNode = ein::detail::RuleNode<DeviceNode<T, R>, Rule, Inputs...>;

}  // namespace ein::cuda::detail
