// HostBackend: the CPU backend of the lowering in pairwise.hpp: direct loops,
// the GEMM dispatcher, and this thread's scratch pool for temporaries. One
// object lives for one evaluation; its temporaries go back to the pool when it
// ends. Layer: backend.
#pragma once

#include "ein/backend/gemm.hpp"
#include "ein/backend/loops.hpp"
#include "ein/backend/scratch.hpp"

namespace ein::detail {

template <class T>
class HostBackend {
 public:
  Strided<T> dense(const unsigned char* labels, int rank, const index_t* label_extent) {
    return scratch_.dense(labels, rank, label_extent);
  }
  void loop(const Strided<const T>& a, const Strided<const T>* b, const Strided<T>& out, T alpha, T beta) {
    loop_contract<T>(a, b, out, alpha, beta);
  }
  void gemm(T alpha, const T* a, const MatrixLayout& la, const T* b, const MatrixLayout& lb, T beta, T* c,
            const MatrixLayout& lc, const BatchLoop& batch) {
    batched_gemm<T>(alpha, a, la, b, lb, beta, c, lc, batch);
  }

 private:
  Scratch<T> scratch_;
};

}  // namespace ein::detail
