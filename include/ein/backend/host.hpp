// HostBackend: the CPU backend of the lowering in lower/pairwise.hpp: the loop nest
// (lower/loop_nest.hpp), the GEMM dispatcher, and this thread's scratch pool for
// temporaries. One object lives for one evaluation; its temporaries go back to
// the pool when it ends. Layer: backend.
#pragma once

#include "ein/backend/gemm.hpp"
#include "ein/backend/scratch.hpp"
#include "ein/lower/loop_nest.hpp"

namespace ein::detail {

template <class T>
class HostBackend {
 public:
  static constexpr bool loop_lowering = true;  // (expr/execute.hpp: has_loop_lowering)
  Strided<T> dense(const unsigned char* labels, int rank, const index_t* label_extent) {
    return scratch_.dense(labels, rank, label_extent);
  }
  void loop(const Strided<const T>& a, const Strided<const T>* b, const Strided<T>& out, T alpha, T beta) {
    const Strided<const T> ins[2] = {a, b ? *b : a};
    loop_nest<T>(ins, b ? 2 : 1, out, alpha, beta);
  }
  /// The loop lowering of any number of operands in one pass (no pairwise temporaries).
  void loop_n(const Strided<const T>* ins, int n, const Strided<T>& out, T alpha, T beta) {
    loop_nest<T>(ins, n, out, alpha, beta);
  }
  void gemm(T alpha, const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb, T beta, T* c,
            const MatrixLayout& lc, const BatchLoop& batch) {
    batched_gemm<T>(alpha, a, la, b, lb, beta, c, lc, batch);
  }

 private:
  Scratch<T> scratch_;
};

}  // namespace ein::detail
