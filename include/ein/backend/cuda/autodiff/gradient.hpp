// The device autodiff's gradient step: ein::detail::accumulate_gradient_on
// (autodiff/gradient_step.hpp, shared with the CPU), which reads no element on
// the host and so runs on DeviceBackend, and labelled_dense. No CUDA here.
// Layer: backend (cuda), autodiff.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "ein/autodiff/gradient_step.hpp"
#include "ein/expr/execute.hpp"

namespace ein::cuda::detail {

/// The gradient step on any Backend (DeviceBackend here): the CPU's own.
using ein::detail::accumulate_gradient_on;

/// A dense row-major array (device or host memory) labelled with a term.
template <class T, std::size_t R>
ein::detail::Strided<T> labelled_dense(T* data, const Extents<R>& extents, const BoundTerm& term) {
  ein::detail::Strided<T> s;
  s.data = data;
  s.rank = static_cast<int>(R);
  const auto strides = row_major_strides(extents);
  for (std::size_t d = 0; d < R; ++d) {
    s.labels[d] = term.labels[d];
    s.extents[d] = extents[d];
    s.strides[d] = strides[d];
  }
  return s;
}

}  // namespace ein::cuda::detail
