// ein: compile-time einsum over Eigen. This umbrella brings everything but CUDA.
#pragma once

#include "ein/spec/bind.hpp"
#include "ein/spec/diagnose.hpp"
#include "ein/spec/error.hpp"
#include "ein/spec/fixed_string.hpp"
#include "ein/spec/parse.hpp"
#include "ein/tensor/tensor.hpp"
#include "ein/tensor/view.hpp"
#include "ein/backend/eigen/interop.hpp"
#include "ein/expr/einsum.hpp"
#include "ein/expr/elementwise.hpp"
// Last: with EIN_EXTERN_ENGINE, the engine's float and double instances are extern.
#include "ein/engine.hpp"
