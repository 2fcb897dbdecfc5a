// The device autodiff's gradient step: ein::detail::accumulate_gradient_on
// (autodiff/gradient_step.hpp, shared with the CPU), which reads no element on
// the host and so runs on DeviceBackend, and labelled_dense (labelled.hpp). No CUDA here.
// Layer: backend (cuda), autodiff.
#pragma once

#include <array>
#include <string>
#include <string_view>

#include "ein/autodiff/gradient_step.hpp"
#include "ein/backend/cuda/labelled.hpp"
#include "ein/expr/execute.hpp"

namespace ein::cuda::detail {

/// The gradient step on any Backend (DeviceBackend here): the CPU's own.
using ein::detail::accumulate_gradient_on;


}  // namespace ein::cuda::detail
