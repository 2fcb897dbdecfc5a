// The host engine for float and double compiled once per program, not in every
// translation unit that evaluates an einsum (opt-in). The engine (planner, loop
// lowering, GEMM dispatch and kernels; expr/execute.hpp) depends only on the
// element type, yet a header-only build compiles it in each TU that uses it: it
// is most of the first einsum's compile time. With EIN_EXTERN_ENGINE defined in
// every TU, ein.hpp declares these instances extern and one TU defines them:
//
//   // ein_engine.cpp, compiled with the same flags and definitions as the rest
//   #include <ein/engine_instances.hpp>
//
// (the CMake target ein::engine does both). Other element types are compiled
// where they are used, as before. Layer: expr.
#pragma once

#include <string_view>

#include "ein/backend/gemm.hpp"
#include "ein/backend/host.hpp"
#include "ein/expr/execute.hpp"
#include "ein/lower/loop_nest.hpp"
#include "ein/lower/nest_memo.hpp"
#include "ein/lower/static_product.hpp"

// The product path's kernels (lower/static_product.hpp) for 1 to 3 operands: 0.2 to
// 0.5 s of g++ -O2 each, in every TU with such an einsum.
#define EIN_DETAIL_PRODUCT_INSTANCE(KEYWORD, T, N)                                                                     \
  KEYWORD template bool run_product<T, N>(const ProductInput<T>(&)[N], T*, const index_t*, const index_t*, int,        \
                                          const index_t*, int, T, T);

// Every instance the engine exports for element type T, after KEYWORD (empty:
// the definitions; `extern`: the declarations). One list for both.
#define EIN_DETAIL_ENGINE_INSTANCES(KEYWORD, T)                                                                        \
  KEYWORD template void execute<T>(const BoundSpec&, std::string_view, const Strided<const T>*, int,                  \
                                   const Strided<T>&, T, T, bool);                                                    \
  KEYWORD template void execute_on<T, HostBackend<T>>(HostBackend<T>&, const BoundSpec&, std::string_view,            \
                                                      const Strided<const T>*, int, const Strided<T>&, T, T, bool);   \
  KEYWORD template void loop_nest<T>(const Strided<const T>*, int, const Strided<T>&, T, T);                           \
  KEYWORD template void memoized_loop_nest<T>(const Strided<const T>*, int, const Strided<T>&, T, T);                  \
  KEYWORD template void batched_gemm<T>(T, const T*, const MatrixLayout&, const T*, const MatrixLayout&, T, T*,       \
                                        const MatrixLayout&, const BatchLoop&);                                       \
  KEYWORD template void gemm_any<T>(T, const T*, MatrixLayout, const T*, MatrixLayout, T, T*, MatrixLayout, bool);  \
  EIN_DETAIL_PRODUCT_INSTANCE(KEYWORD, T, 1)                                                                           \
  EIN_DETAIL_PRODUCT_INSTANCE(KEYWORD, T, 2)                                                                           \
  EIN_DETAIL_PRODUCT_INSTANCE(KEYWORD, T, 3)

#if defined(EIN_EXTERN_ENGINE) && !defined(EIN_DETAIL_ENGINE_DEFINITIONS)
namespace ein::detail {
EIN_DETAIL_ENGINE_INSTANCES(extern, float)
EIN_DETAIL_ENGINE_INSTANCES(extern, double)
}  // namespace ein::detail
#endif
