// BLAS baselines through cblas (Debian's OpenBLAS): sgemm/dgemm on the same
// pre-arranged data as eigen_gemm; the chain in its cheapest order; "bi,ij,bj->b"
// as a GEMM then one dot per row. Its thread count follows the suite's through
// openblas_set_num_threads (the OpenMP build also follows omp_set_num_threads). Layer: bench.
#include <cblas.h>

#include <omp.h>

#include <string>

#include "suite.hpp"

namespace bench {
namespace {

inline void gemm(index_t m, index_t n, index_t k, const float* a, const float* b, float* c) {
  cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0f, a, int(k), b, int(n), 0.0f, c,
              int(n));
}
inline void gemm(index_t m, index_t n, index_t k, const double* a, const double* b, double* c) {
  cblas_dgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, int(m), int(n), int(k), 1.0, a, int(k), b, int(n), 0.0, c,
              int(n));
}
inline float dot(index_t n, const float* x, const float* y) { return cblas_sdot(int(n), x, 1, y, 1); }
inline double dot(index_t n, const double* x, const double* y) { return cblas_ddot(int(n), x, 1, y, 1); }

template <class T>
std::optional<Runner> blas(const Case& c, Operands<T>& ops, int threads) {
  if (c.kind == Kind::gemm || c.kind == Kind::permuted || c.kind == Kind::small) {
    auto a = std::make_shared<Buffer<T>>(), b = std::make_shared<Buffer<T>>();
    if (!arrange_gemm(c, ops, *a, *b)) return std::nullopt;
    const GemmShape g = c.gemm;
    T* out = ops.out.data();
    // As eigen_gemm: one GEMM per thread when the batch allows (OpenBLAS's OpenMP build
    // runs single-threaded inside a parallel region).
    const bool par = threads > 1 && c.kind != Kind::small && g.batch >= threads;
    const auto one = [a, b, g, out](index_t p) {
      gemm(g.m, g.n, g.k, a->data() + p * g.m * g.k, b->data() + p * g.k * g.n, out + p * g.m * g.n);
    };
    if (par)  // not `omp parallel ... if`: a region that is off still builds a team
      return Runner{[one, g] {
#pragma omp parallel for schedule(static)
                      for (index_t p = 0; p < g.batch; ++p) one(p);
                    },
                    {}};
    return Runner{[one, g] {
                    for (index_t p = 0; p < g.batch; ++p) one(p);
                  },
                  {}};
  }
  if (c.kind == Kind::fused) {  // "bi,ij,bj->b"
    const index_t nb = c.inputs[0][0], ni = c.inputs[0][1], nj = c.inputs[1][1];
    auto t = std::make_shared<Buffer<T>>(static_cast<std::size_t>(nb * nj));
    const T *x = ops.in[0].data(), *w = ops.in[1].data(), *y = ops.in[2].data();
    T* out = ops.out.data();
    return Runner{[=] {
                    gemm(nb, nj, ni, x, w, t->data());
                    for (index_t r = 0; r < nb; ++r) out[r] = dot(nj, t->data() + r * nj, y + r * nj);
                  },
                  {}};
  }
  if (c.kind == Kind::chain) {
    std::vector<index_t> dims{c.inputs[0][0]};
    for (const Shape& s : c.inputs) dims.push_back(s[1]);
    const auto steps = chain_plan(dims);
    auto temps = std::make_shared<std::vector<Buffer<T>>>();
    for (const ChainStep& s : steps) temps->emplace_back(static_cast<std::size_t>(s.m * s.n));
    std::vector<const T*> in;
    for (auto& b : ops.in) in.push_back(b.data());
    const int count = static_cast<int>(in.size());
    T* out = ops.out.data();
    return Runner{[=] {
                    const auto node = [&](int id) { return id < count ? in[id] : (*temps)[id - count].data(); };
                    for (const ChainStep& s : steps)
                      gemm(s.m, s.n, s.k, node(s.lhs), node(s.rhs), s.dst < 0 ? out : (*temps)[s.dst - count].data());
                  },
                  {}};
  }
  return std::nullopt;
}

}  // namespace

void add_blas_impls() {
  add_thread_hook([](int threads) { openblas_set_num_threads(threads); });
  impls().push_back({"blas", Factory<float>(&blas<float>), Factory<double>(&blas<double>)});
}

std::string blas_description() {
  const int p = openblas_get_parallel();  // 0 sequential, 1 pthreads, 2 OpenMP
  std::string s = openblas_get_config();
  s += ", core ";
  s += openblas_get_corename();
  s += p == 2 ? " [OpenMP build]" : p == 1 ? " [pthreads build]" : " [sequential build]";
  return s;
}

}  // namespace bench
