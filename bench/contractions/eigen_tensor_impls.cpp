// Eigen Tensor baselines: Tensor::contract on RowMajor TensorMaps over the case's own
// operands (no pre-arrangement: Eigen Tensor takes the einsum's layout as it is).
// One thread: DefaultDevice. More: a ThreadPoolDevice of that many threads, built
// once per benchmark. Batched specs loop over 2-D contractions. Layer: bench.
#define EIGEN_USE_THREADS
#include <unsupported/Eigen/CXX11/Tensor>

#include "suite.hpp"

namespace bench {
namespace {

using Eigen::IndexPair;
template <class T, int R>
using TMap = Eigen::TensorMap<Eigen::Tensor<T, R, Eigen::RowMajor>>;
template <class T, int R>
using CMap = Eigen::TensorMap<Eigen::Tensor<const T, R, Eigen::RowMajor>>;

/// Where an assignment runs: the default device or a pool of the benchmark's threads.
struct Device {
  explicit Device(int threads) {
    if (threads > 1) {
      pool = std::make_unique<Eigen::ThreadPool>(threads);
      device = std::make_unique<Eigen::ThreadPoolDevice>(pool.get(), threads);
    }
  }
  template <class Dst, class Expr>
  void assign(Dst&& dst, const Expr& e) const {
    if (device) dst.device(*device) = e;
    else dst = e;
  }
  std::unique_ptr<Eigen::ThreadPool> pool;
  std::unique_ptr<Eigen::ThreadPoolDevice> device;
};

template <class T>
CMap<T, 2> m2(const T* p, index_t r, index_t c) {
  return CMap<T, 2>(p, r, c);
}

template <class T>
std::optional<Runner> eigen_tensor(const Case& c, Operands<T>& ops, int threads) {
  auto dev = std::make_shared<Device>(threads);
  const auto& s = c.inputs;
  T* out = ops.out.data();
  if (c.kind == Kind::memory) return std::nullopt;
  if (c.spec == "ij,jk->ik" || c.spec == "ji,kj->ik" || c.spec == "ij,lj->li") {
    // "ij,jk->ik": A1·B0; "ji,kj->ik": A0·B1; "ij,lj->li": (B, A) over their axis 1.
    const bool swap = c.spec == "ij,lj->li";
    const T* a = ops.in[swap ? 1 : 0].data();
    const T* b = ops.in[swap ? 0 : 1].data();
    const Shape sa = s[swap ? 1 : 0], sb = s[swap ? 0 : 1];
    const Eigen::array<IndexPair<int>, 1> dims{c.spec == "ij,jk->ik"   ? IndexPair<int>(1, 0)
                                               : c.spec == "ji,kj->ik" ? IndexPair<int>(0, 1)
                                                                       : IndexPair<int>(1, 1)};
    const Shape so = c.output;
    return Runner{[=] {
                    TMap<T, 2> dst(out, so[0], so[1]);
                    dev->assign(dst, m2(a, sa[0], sa[1]).contract(m2(b, sb[0], sb[1]), dims));
                  },
                  {}};
  }
  if (c.spec == "bij,bjk->bik" || c.spec == "bhqd,bhkd->bhqk") {
    // per batch: "ij,jk->ik" (A1·B0) or "qd,kd->qk" (A1·B1)
    const bool attn = c.spec == "bhqd,bhkd->bhqk";
    const index_t batch = attn ? s[0][0] * s[0][1] : s[0][0];
    const index_t ar = s[0][s[0].size() - 2], ac = s[0].back(), br = s[1][s[1].size() - 2], bc = s[1].back();
    const index_t orow = c.output[c.output.size() - 2], ocol = c.output.back();
    const Eigen::array<IndexPair<int>, 1> dims{attn ? IndexPair<int>(1, 1) : IndexPair<int>(1, 0)};
    const T *a = ops.in[0].data(), *b = ops.in[1].data();
    return Runner{[=] {
                    for (index_t p = 0; p < batch; ++p) {
                      TMap<T, 2> dst(out + p * orow * ocol, orow, ocol);
                      dev->assign(dst, m2(a + p * ar * ac, ar, ac).contract(m2(b + p * br * bc, br, bc), dims));
                    }
                  },
                  {}};
  }
  if (c.spec == "abcd,cdef->abef" || c.spec == "acbd,dcef->abfe") {
    const bool perm = c.spec == "acbd,dcef->abfe";
    const T *a = ops.in[0].data(), *b = ops.in[1].data();
    const Shape sa = s[0], sb = s[1], so = c.output;
    return Runner{[=] {
                    CMap<T, 4> ta(a, sa[0], sa[1], sa[2], sa[3]);
                    CMap<T, 4> tb(b, sb[0], sb[1], sb[2], sb[3]);
                    TMap<T, 4> dst(out, so[0], so[1], so[2], so[3]);
                    if (!perm) {
                      const Eigen::array<IndexPair<int>, 2> dims{IndexPair<int>(2, 0), IndexPair<int>(3, 1)};
                      dev->assign(dst, ta.contract(tb, dims));
                    } else {
                      // c: A1 with B1, d: A3 with B0 -> (a, b, e, f), then swap e and f
                      const Eigen::array<IndexPair<int>, 2> dims{IndexPair<int>(1, 1), IndexPair<int>(3, 0)};
                      const Eigen::array<int, 4> shuffle{0, 1, 3, 2};
                      dev->assign(dst, ta.contract(tb, dims).shuffle(shuffle));
                    }
                  },
                  {}};
  }
  if (c.kind == Kind::fused) {  // "bi,ij,bj->b": t = X W, then sum_j t ⊙ Y
    const index_t nb = s[0][0], ni = s[0][1], nj = s[1][1];
    auto t = std::make_shared<Buffer<T>>(static_cast<std::size_t>(nb * nj));
    const T *x = ops.in[0].data(), *w = ops.in[1].data(), *y = ops.in[2].data();
    return Runner{[=] {
                    TMap<T, 2> tt(t->data(), nb, nj);
                    const Eigen::array<IndexPair<int>, 1> dims{IndexPair<int>(1, 0)};
                    dev->assign(tt, m2(x, nb, ni).contract(m2(w, ni, nj), dims));
                    TMap<T, 1> dst(out, nb);
                    const Eigen::array<int, 1> axis{1};
                    dev->assign(dst, (CMap<T, 2>(t->data(), nb, nj) * m2(y, nb, nj)).sum(axis));
                  },
                  {}};
  }
  if (c.kind == Kind::chain) {
    std::vector<index_t> dims{s[0][0]};
    for (const Shape& sh : s) dims.push_back(sh[1]);
    const auto steps = chain_plan(dims);
    auto temps = std::make_shared<std::vector<Buffer<T>>>();
    for (const ChainStep& st : steps) temps->emplace_back(static_cast<std::size_t>(st.m * st.n));
    std::vector<const T*> in;
    for (auto& b : ops.in) in.push_back(b.data());
    const int count = static_cast<int>(in.size());
    return Runner{[=] {
                    const auto node = [&](int id) { return id < count ? in[id] : (*temps)[id - count].data(); };
                    const Eigen::array<IndexPair<int>, 1> d{IndexPair<int>(1, 0)};
                    for (const ChainStep& st : steps) {
                      TMap<T, 2> dst(st.dst < 0 ? out : (*temps)[st.dst - count].data(), st.m, st.n);
                      dev->assign(dst, m2(node(st.lhs), st.m, st.k).contract(m2(node(st.rhs), st.k, st.n), d));
                    }
                  },
                  {}};
  }
  return std::nullopt;
}

}  // namespace

void add_eigen_tensor_impls() {
  impls().push_back({"eigen_tensor", Factory<float>(&eigen_tensor<float>), Factory<double>(&eigen_tensor<double>)});
}

}  // namespace bench
