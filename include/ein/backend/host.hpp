// HostBackend: the CPU backend of the lowering in lower/pairwise.hpp: the loop nest
// (lower/loop_nest.hpp), the GEMM dispatcher, and this thread's scratch pool for
// temporaries. One object lives for one evaluation; its temporaries go back to
// the pool when it ends. While `recording` is set, every call is also recorded
// there (host_program.hpp), to be replayed by later calls of the same shapes.
// Layer: backend.
#pragma once

#include "ein/backend/gemm.hpp"
#include "ein/backend/host_program.hpp"
#include "ein/backend/scratch.hpp"
#include "ein/lower/loop_nest.hpp"

namespace ein::detail {

template <class T>
class HostBackend {
 public:
  static constexpr bool loop_lowering = true;  // (expr/execute.hpp: has_loop_lowering)
  HostProgram<T>* recording = nullptr;

  Strided<T> dense(const unsigned char* labels, int rank, const index_t* label_extent) {
    const Strided<T> t = scratch_.dense(labels, rank, label_extent);
    if (recording) recording->temporary(t);
    return t;
  }
  void loop(const Strided<const T>& a, const Strided<const T>* b, const Strided<T>& out, T alpha, T beta) {
    const Strided<const T> ins[2] = {a, b ? *b : a};
    loop_n(ins, b ? 2 : 1, out, alpha, beta);
  }
  /// The loop lowering of any number of operands in one pass (no pairwise temporaries).
  void loop_n(const Strided<const T>* ins, int n, const Strided<T>& out, T alpha, T beta) {
    if (recording) return recording->loop(ins, n, out, alpha, beta);
    loop_nest<T>(ins, n, out, alpha, beta);
  }
  void gemm(T alpha, const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb, T beta, T* c,
            const MatrixLayout& lc, const BatchLoop& batch) {
    if (recording) recording->gemm(alpha, a, la, b, lb, beta, c, lc, batch);
    batched_gemm<T>(alpha, a, la, b, lb, beta, c, lc, batch);
  }

 private:
  Scratch<T> scratch_;
};

}  // namespace ein::detail
