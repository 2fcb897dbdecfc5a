// The one translation unit that compiles the host engine for float and double
// (see engine.hpp): include this from exactly one source file of a program whose
// other files are compiled with EIN_EXTERN_ENGINE. It includes ein/autodiff.hpp,
// so its TU defines the instances every header of ein uses. Layer: expr.
#pragma once

#define EIN_DETAIL_ENGINE_DEFINITIONS
#include "ein/autodiff.hpp"
#include "ein/engine.hpp"

namespace ein::detail {
EIN_DETAIL_ENGINE_INSTANCES(, float)
EIN_DETAIL_ENGINE_INSTANCES(, double)
}  // namespace ein::detail
