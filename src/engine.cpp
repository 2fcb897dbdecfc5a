// ein::engine's one source: the host engine for float and double, compiled once
// per program (include/ein/engine.hpp). The target adds it to the program that
// links ein::engine, with EIN_EXTERN_ENGINE defined for every source there.
#include "ein/engine_instances.hpp"
