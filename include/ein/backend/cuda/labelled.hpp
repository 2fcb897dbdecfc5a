// labelled_dense: a dense row-major array (device or host memory) as the Strided
// operand execute_on takes, labelled with a term. No CUDA here: the device
// einsum and the device autodiff (and its host-run tests) share it.
// Layer: backend (cuda).
#pragma once

#include "ein/spec/bind.hpp"
#include "ein/tensor/shape.hpp"
#include "ein/tensor/strided.hpp"

namespace ein::cuda::detail {

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
