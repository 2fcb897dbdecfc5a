// The runtime suite's shared vocabulary: the case table (one contraction at
// given extents), operand buffers, implementations (ein and every baseline) as
// factories of runners, and the one place that sets every library's threads.
// Layer: bench (Google Benchmark; nothing here is part of ein).
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace bench {

using index_t = std::ptrdiff_t;
using Shape = std::vector<index_t>;

/// What a case is measured in, and which targets apply to it. The first six are the speed
/// issue's; the rest are the classes of issue 10 (non-GEMM einsums), each against the code a
/// user would write instead (impl eigen_hand: an Eigen expression, or a loop where Eigen has none).
enum class Kind {
  gemm,         // one (batched) GEMM after relabelling: counted in FLOP/s against GEMM baselines
  permuted,     // a GEMM whose operands need a permutation first: baseline is GEMM on pre-permuted data
  small,        // a GEMM too small for blocking: against Eigen's own product and naive loops
  fused,        // several operands, contracted pairwise ("bi,ij,bj->b")
  chain,        // a matrix chain whose order matters ("ab,bc,cd,de->ae")
  memory,       // no reuse (diagonals): counted in bytes/s against a hand loop and a strided copy
  dot,          // full reduction of a product: "i,i->", "ij,ij->"
  reduction,    // partial reduction, of one operand or of a product: "ij->i", "ijk,ijk->ik"
  elementwise,  // N-ary Hadamard and broadcast products: "ij,ij,ij->ij", "bi,ij,bj->bij"
  outer,        // "i,j->ij"
  permutation,  // "ijk->kji", ranks 3 to 5
  gemv,         // (batched) matrix-vector: "ij,j->i", "bij,bj->bi"
  batched,      // a batch of GEMMs that does not fold into one: "nchw,kc->nkhw"
  network,      // tensor-network chains: Tucker mode products, MTTKRP
};

/// The kind's name in --cases and the report.
const char* kind_name(Kind k);
/// Counted in bytes (elements read and written × element size), not FLOPs; each such case is
/// also timed against a copy of the same bytes (the bandwidth line).
bool bytes_counted(Kind k);

/// The canonical GEMM a gemm-like case lowers to: C[b] (M×N) = A[b] (M×K) · B[b] (K×N), row-major.
struct GemmShape {
  index_t batch = 1, m = 0, n = 0, k = 0;
};

/// One contraction at one set of extents.
struct Case {
  std::string spec;    // "ij,jk->ik"
  std::string size;    // "n=256": the name's second segment
  std::vector<Shape> inputs;
  Shape output;
  Kind kind = Kind::gemm;
  GemmShape gemm;      // kinds gemm, permuted, small
  double flops = 0;    // per call, of the cheapest pairwise order (2 per multiply-add)
  double elements = 0; // per call, elements read and written (bytes_counted kinds; bytes = elements * sizeof(T))
  [[nodiscard]] std::string id() const { return spec + "/" + size; }
};

/// The case table (cases.cpp).
const std::vector<Case>& cases();

/// A 64-byte aligned buffer outside operator new (so it never shows in the allocation counter).
template <class T>
class Buffer {
 public:
  Buffer() = default;
  explicit Buffer(std::size_t n) : size_(n) {
    const std::size_t bytes = ((n * sizeof(T) + 63) / 64) * 64;
    data_.reset(static_cast<T*>(std::aligned_alloc(64, bytes ? bytes : 64)));
    for (std::size_t i = 0; i < n; ++i) data_[i] = T(0);
  }
  T* data() { return data_.get(); }
  const T* data() const { return data_.get(); }
  [[nodiscard]] std::size_t size() const { return size_; }
  T& operator[](std::size_t i) { return data_[i]; }
  const T& operator[](std::size_t i) const { return data_[i]; }

 private:
  struct Free {
    void operator()(T* p) const { std::free(p); }
  };
  std::unique_ptr<T[], Free> data_;
  std::size_t size_ = 0;
};

[[nodiscard]] std::size_t element_count(const Shape& s);

/// A case's operands, filled with the same values for float and double (multiples of
/// 1/64 in [-1, 1], exact in both), and its output, which every runner writes.
template <class T>
struct Operands {
  explicit Operands(const Case& c);
  std::vector<Buffer<T>> in;
  Buffer<T> out;
};

/// One implementation bound to one case's operands. run() is what is timed; finish()
/// (optional, untimed) leaves the result in Operands::out for verification.
struct Runner {
  std::function<void()> run;
  std::function<void()> finish;
};

template <class T>
using Factory = std::function<std::optional<Runner>(const Case&, Operands<T>&, int threads)>;

/// An implementation: ein, or a baseline. `factory` returns nullopt for cases it does not handle.
struct Impl {
  std::string name;
  Factory<float> f32;
  Factory<double> f64;
  template <class T>
  const Factory<T>& factory() const {
    if constexpr (sizeof(T) == 4) return f32;
    else return f64;
  }
};

/// Every registered implementation, in report order.
std::vector<Impl>& impls();
/// Called with the thread count before each benchmark: every library's setter is one hook.
void add_thread_hook(std::function<void(int)> hook);
void set_threads(int threads);
/// Heap allocations through operator new so far (all threads).
std::int64_t allocation_count();

/// Implementation modules; the optional ones are linked only when their library was found.
void add_ein_impls();           // ein (compile-time specs), ein_runtime (run-time spec, small cases only)
void add_eigen_hand_impls();    // issue 10's classes: the Eigen expression (or loop) a user writes
void add_eigen_impls();         // Eigen GEMM on pre-arranged data, naive loops, hand loops, strided copies
void add_eigen_tensor_impls();  // Eigen Tensor contract
void add_blas_impls();          // cblas sgemm/dgemm (optional)
void add_torch_impls();         // at::einsum, i.e. torch::einsum (optional)
std::string blas_description();
std::string torch_description();

/// Permutes a dense row-major array: dst axis d is src axis perm[d].
template <class T>
void permute(const T* src, const Shape& src_shape, const std::vector<int>& perm, T* dst);

/// A two-operand gemm-like case's operands, relabelled and permuted into the canonical
/// GEMM's row-major A[batch][M][K] and B[batch][K][N] (the output is already C[batch][M][N]);
/// false when the case's output is not in that order.
template <class T>
bool arrange_gemm(const Case& c, const Operands<T>& ops, Buffer<T>& a, Buffer<T>& b);

/// The cheapest order of a matrix chain, as steps dst = lhs (m×k) · rhs (k×n). Node ids
/// below the operand count are operands, the others temporaries; the last step's dst is -1 (the output).
struct ChainStep {
  int lhs, rhs, dst;
  index_t m, k, n;
};
std::vector<ChainStep> chain_plan(const std::vector<index_t>& dims);

/// The labels of a spec's terms: {"ab", "bc"} and "ac" for "ab,bc->ac".
struct Terms {
  std::vector<std::string> inputs;
  std::string output;
};
Terms split_spec(const std::string& spec);

}  // namespace bench
