// Eigen baselines (Eigen::Matrix products on Maps over pre-arranged row-major data),
// naive loops for the small cases, and for the memory-bound cases a hand-written
// loop and a strided copy (an Eigen expression over a strided Map). Layer: bench.
//
//   impl          cases                         what is timed
//   1 eigen_gemm  gemm, permuted, small         c.noalias() = a * b per batch on pre-arranged A, B
//                 fused "bi,ij,bj->b"           t = X W, then rowwise sum of t ⊙ Y
//                 chain                         the cheapest order, temporaries allocated once
//   2 naive       small                         i-p-j triple loop on pre-arranged A, B
//   3 hand_loop   memory, "i,j->ij", "ij->i"    the obvious loop (omp simd reductions; omp for when large)
//   4 eigen_strided memory, "i,j->ij", "ij->i"  Eigen assignment/reduction over a strided Map
// Issue 10's classes have their own baseline, eigen_hand (eigen_hand_impls.cpp).
#include <Eigen/Core>

#include <omp.h>

#include "suite.hpp"

namespace bench {
namespace {

template <class T>
using RowMat = Eigen::Matrix<T, Eigen::Dynamic, Eigen::Dynamic, Eigen::RowMajor>;
template <class T>
using Map = Eigen::Map<RowMat<T>, Eigen::Unaligned>;
template <class T>
using ConstMap = Eigen::Map<const RowMat<T>, Eigen::Unaligned>;
template <class T>
using Vec = Eigen::Matrix<T, Eigen::Dynamic, 1>;

// Batched loops run one GEMM per thread when there are enough batches (Eigen's GEMM
// inside an OpenMP region is single-threaded), else each GEMM uses the threads itself.
inline bool batch_parallel(const Case& c, int threads) {
  return threads > 1 && c.kind != Kind::small && c.gemm.batch >= threads;
}

template <class T>
std::optional<Runner> eigen_gemm(const Case& c, Operands<T>& ops, int threads) {
  if (c.kind == Kind::gemm || c.kind == Kind::permuted || c.kind == Kind::small) {
    auto a = std::make_shared<Buffer<T>>(), b = std::make_shared<Buffer<T>>();
    if (!arrange_gemm(c, ops, *a, *b)) return std::nullopt;
    const GemmShape g = c.gemm;
    T* out = ops.out.data();
    const bool par = batch_parallel(c, threads);
    const auto one = [a, b, g, out](index_t p) {
      Map<T>(out + p * g.m * g.n, g.m, g.n).noalias() =
          ConstMap<T>(a->data() + p * g.m * g.k, g.m, g.k) * ConstMap<T>(b->data() + p * g.k * g.n, g.k, g.n);
    };
    // Not `#pragma omp parallel ... if`: a region that is off still builds a team (about a microsecond).
    if (par)
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
    auto t = std::make_shared<RowMat<T>>(nb, nj);
    const T *x = ops.in[0].data(), *w = ops.in[1].data(), *y = ops.in[2].data();
    T* out = ops.out.data();
    return Runner{[=] {
                    t->noalias() = ConstMap<T>(x, nb, ni) * ConstMap<T>(w, ni, nj);
                    Eigen::Map<Vec<T>>(out, nb) = t->cwiseProduct(ConstMap<T>(y, nb, nj)).rowwise().sum();
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
                    for (const ChainStep& s : steps) {
                      T* dst = s.dst < 0 ? out : (*temps)[s.dst - count].data();
                      Map<T>(dst, s.m, s.n).noalias() = ConstMap<T>(node(s.lhs), s.m, s.k) * ConstMap<T>(node(s.rhs), s.k, s.n);
                    }
                  },
                  {}};
  }
  return std::nullopt;
}

template <class T>
std::optional<Runner> naive(const Case& c, Operands<T>& ops, int) {
  if (c.kind != Kind::small) return std::nullopt;
  auto a = std::make_shared<Buffer<T>>(), b = std::make_shared<Buffer<T>>();
  if (!arrange_gemm(c, ops, *a, *b)) return std::nullopt;
  const GemmShape g = c.gemm;
  T* out = ops.out.data();
  return Runner{[a, b, g, out] {
                  for (index_t p = 0; p < g.batch; ++p) {
                    const T* pa = a->data() + p * g.m * g.k;
                    const T* pb = b->data() + p * g.k * g.n;
                    T* pc = out + p * g.m * g.n;
                    for (index_t i = 0; i < g.m; ++i) {
                      for (index_t j = 0; j < g.n; ++j) pc[i * g.n + j] = T(0);
                      for (index_t q = 0; q < g.k; ++q) {
                        const T s = pa[i * g.k + q];
                        for (index_t j = 0; j < g.n; ++j) pc[i * g.n + j] += s * pb[q * g.n + j];
                      }
                    }
                  }
                },
                {}};
}

constexpr index_t parallel_elements = index_t(1) << 16;  // below this an OpenMP region costs more than it saves

template <class T>
std::optional<Runner> hand_loop(const Case& c, Operands<T>& ops, int threads) {
  if (!bytes_counted(c.kind)) return std::nullopt;
  const T* x = ops.in[0].data();
  T* out = ops.out.data();
  if (c.spec == "i,j->ij") {
    const index_t n = c.output[0], m = c.output[1];
    const T* y = ops.in[1].data();
    const auto row_of = [=](index_t i) {
      const T s = x[i];
      T* row = out + i * m;
#pragma omp simd
      for (index_t j = 0; j < m; ++j) row[j] = s * y[j];
    };
    if (threads > 1 && n * m >= parallel_elements)
      return Runner{[=] {
#pragma omp parallel for schedule(static)
                      for (index_t i = 0; i < n; ++i) row_of(i);
                    },
                    {}};
    return Runner{[=] {
                    for (index_t i = 0; i < n; ++i) row_of(i);
                  },
                  {}};
  }
  if (c.spec == "ii->") {
    const index_t n = c.inputs[0][0];
    return Runner{[=] {
                    T s = 0;
#pragma omp simd reduction(+ : s)
                    for (index_t i = 0; i < n; ++i) s += x[i * (n + 1)];
                    out[0] = s;
                  },
                  {}};
  }
  if (c.spec == "ii->i") {
    const index_t n = c.inputs[0][0];
    return Runner{[=] {
#pragma omp simd
                    for (index_t i = 0; i < n; ++i) out[i] = x[i * (n + 1)];
                  },
                  {}};
  }
  if (c.spec == "bii->bi") {
    const index_t nb = c.inputs[0][0], n = c.inputs[0][1];
    return Runner{[=] {
                    for (index_t b = 0; b < nb; ++b) {
                      const T* xb = x + b * n * n;
                      T* ob = out + b * n;
#pragma omp simd
                      for (index_t i = 0; i < n; ++i) ob[i] = xb[i * (n + 1)];
                    }
                  },
                  {}};
  }
  if (c.spec == "ij->i") {
    const index_t n = c.inputs[0][0], m = c.inputs[0][1];
    const auto row_of = [=](index_t i) {
      const T* row = x + i * m;
      T s = 0;
#pragma omp simd reduction(+ : s)
      for (index_t j = 0; j < m; ++j) s += row[j];
      out[i] = s;
    };
    if (threads > 1 && n * m >= parallel_elements)
      return Runner{[=] {
#pragma omp parallel for schedule(static)
                      for (index_t i = 0; i < n; ++i) row_of(i);
                    },
                    {}};
    return Runner{[=] {
                    for (index_t i = 0; i < n; ++i) row_of(i);
                  },
                  {}};
  }
  return std::nullopt;
}

template <class T>
std::optional<Runner> eigen_strided(const Case& c, Operands<T>& ops, int) {
  if (!bytes_counted(c.kind)) return std::nullopt;
  using Strided = Eigen::Map<const Vec<T>, Eigen::Unaligned, Eigen::InnerStride<>>;
  const T* x = ops.in[0].data();
  T* out = ops.out.data();
  if (c.spec == "i,j->ij") {
    const index_t n = c.output[0], m = c.output[1];
    const T* y = ops.in[1].data();
    return Runner{[=] {
                    Map<T>(out, n, m).noalias() =
                        Eigen::Map<const Vec<T>>(x, n) * Eigen::Map<const Vec<T>>(y, m).transpose();
                  },
                  {}};
  }
  if (c.spec == "ii->") {
    const index_t n = c.inputs[0][0];
    return Runner{[=] { out[0] = Strided(x, n, Eigen::InnerStride<>(n + 1)).sum(); }, {}};
  }
  if (c.spec == "ii->i") {
    const index_t n = c.inputs[0][0];
    return Runner{[=] { Eigen::Map<Vec<T>>(out, n) = Strided(x, n, Eigen::InnerStride<>(n + 1)); }, {}};
  }
  if (c.spec == "bii->bi") {
    const index_t nb = c.inputs[0][0], n = c.inputs[0][1];
    using Strided2 = Eigen::Map<const RowMat<T>, Eigen::Unaligned, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>>;
    return Runner{[=] {
                    Map<T>(out, nb, n) = Strided2(x, nb, n, Eigen::Stride<Eigen::Dynamic, Eigen::Dynamic>(n * n, n + 1));
                  },
                  {}};
  }
  if (c.spec == "ij->i") {
    const index_t n = c.inputs[0][0], m = c.inputs[0][1];
    return Runner{[=] { Eigen::Map<Vec<T>>(out, n) = ConstMap<T>(x, n, m).rowwise().sum(); }, {}};
  }
  return std::nullopt;
}

template <class T>
Factory<T> f(std::optional<Runner> (*fn)(const Case&, Operands<T>&, int)) {
  return fn;
}

}  // namespace

void add_eigen_impls() {
  impls().push_back({"eigen_gemm", f<float>(&eigen_gemm<float>), f<double>(&eigen_gemm<double>)});
  impls().push_back({"naive", f<float>(&naive<float>), f<double>(&naive<double>)});
  impls().push_back({"hand_loop", f<float>(&hand_loop<float>), f<double>(&hand_loop<double>)});
  impls().push_back({"eigen_strided", f<float>(&eigen_strided<float>), f<double>(&eigen_strided<double>)});
}

}  // namespace bench
