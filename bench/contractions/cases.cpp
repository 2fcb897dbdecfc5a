// The case table of the speed issue, and the helpers every module shares:
// operand filling, permutation, spec splitting. Layer: bench.
#include "suite.hpp"

#include <algorithm>
#include <cstdint>
#include <functional>
#include <limits>
#include <string>

namespace bench {
namespace {

Case gemm_case(std::string spec, std::string size, std::vector<Shape> in, Shape out, GemmShape g, Kind kind = Kind::gemm) {
  Case c;
  c.spec = std::move(spec);
  c.size = std::move(size);
  c.inputs = std::move(in);
  c.output = std::move(out);
  c.kind = kind;
  c.gemm = g;
  c.flops = 2.0 * double(g.batch) * double(g.m) * double(g.n) * double(g.k);
  return c;
}

Case memory_case(std::string spec, std::string size, std::vector<Shape> in, Shape out, double elements) {
  Case c;
  c.spec = std::move(spec);
  c.size = std::move(size);
  c.inputs = std::move(in);
  c.output = std::move(out);
  c.kind = Kind::memory;
  c.elements = elements;
  return c;
}

// The cheapest parenthesisation of a matrix chain of extents d[0] x d[1] x ... (classic DP), in FLOPs.
double chain_flops(const std::vector<double>& d) {
  const std::size_t n = d.size() - 1;
  std::vector<std::vector<double>> cost(n, std::vector<double>(n, 0));
  for (std::size_t len = 2; len <= n; ++len)
    for (std::size_t i = 0; i + len - 1 < n; ++i) {
      const std::size_t j = i + len - 1;
      cost[i][j] = std::numeric_limits<double>::infinity();
      for (std::size_t s = i; s < j; ++s)
        cost[i][j] = std::min(cost[i][j], cost[i][s] + cost[s + 1][j] + 2 * d[i] * d[s + 1] * d[j + 1]);
    }
  return cost[0][n - 1];
}

Case chain_case(index_t a, index_t b, index_t c, index_t d, index_t e) {
  Case k;
  k.spec = "ab,bc,cd,de->ae";
  k.size = std::to_string(a) + "," + std::to_string(b) + "," + std::to_string(c) + "," + std::to_string(d) + "," +
           std::to_string(e);
  k.inputs = {{a, b}, {b, c}, {c, d}, {d, e}};
  k.output = {a, e};
  k.kind = Kind::chain;
  k.flops = chain_flops({double(a), double(b), double(c), double(d), double(e)});
  return k;
}

std::vector<Case> make_cases() {
  std::vector<Case> all;
  // "ij,jk->ik": M {i}, N {k}, K {j}; the small ones (the 4x4 and 16x16) against Eigen's own product.
  for (index_t n : {4, 16, 64, 256, 1024})
    all.push_back(gemm_case("ij,jk->ik", "n=" + std::to_string(n), {{n, n}, {n, n}}, {n, n}, {1, n, n, n},
                            n <= 16 ? Kind::small : Kind::gemm));
  // "ji,kj->ik": both operands transposed.
  for (index_t n : {256, 1024})
    all.push_back(gemm_case("ji,kj->ik", "n=" + std::to_string(n), {{n, n}, {n, n}}, {n, n}, {1, n, n, n}));
  // "bij,bjk->bik": batch {b}.
  all.push_back(gemm_case("bij,bjk->bik", "b=64,n=64", {{64, 64, 64}, {64, 64, 64}}, {64, 64, 64}, {64, 64, 64, 64}));
  all.push_back(gemm_case("bij,bjk->bik", "b=8,n=256", {{8, 256, 256}, {8, 256, 256}}, {8, 256, 256}, {8, 256, 256, 256}));
  all.push_back(gemm_case("bij,bjk->bik", "b=2,n=2", {{2, 2, 2}, {2, 2, 2}}, {2, 2, 2}, {2, 2, 2, 2}, Kind::small));
  // The lecture's layer "ij,lj->li": W (i×j) and a batch X (l×j); M {l}, N {i}, K {j}.
  for (index_t i : {256, 3136})
    all.push_back(gemm_case("ij,lj->li", "i=" + std::to_string(i) + ",j=784,l=128", {{i, 784}, {128, 784}}, {128, i},
                            {1, 128, i, 784}));
  // "bi,ij,bj->b": a bilinear form per row; cheapest order: "bi,ij->bj" then "bj,bj->b".
  {
    Case c;
    c.spec = "bi,ij,bj->b";
    c.size = "b=128,i=256,j=256";
    c.inputs = {{128, 256}, {256, 256}, {128, 256}};
    c.output = {128};
    c.kind = Kind::fused;
    c.gemm = {1, 128, 256, 256};
    c.flops = 2.0 * 128 * 256 * 256 + 2.0 * 128 * 256;
    all.push_back(c);
  }
  // Rank-4 contractions, 32 per label: M {a,b}, N {e,f}, K {c,d} (1024³ as a GEMM).
  all.push_back(gemm_case("abcd,cdef->abef", "32", {{32, 32, 32, 32}, {32, 32, 32, 32}}, {32, 32, 32, 32},
                          {1, 1024, 1024, 1024}));
  all.push_back(gemm_case("acbd,dcef->abfe", "32", {{32, 32, 32, 32}, {32, 32, 32, 32}}, {32, 32, 32, 32},
                          {1, 1024, 1024, 1024}, Kind::permuted));
  // Attention scores "bhqd,bhkd->bhqk": batch {b,h}, M {q}, N {k}, K {d}.
  all.push_back(gemm_case("bhqd,bhkd->bhqk", "4,8,128,128,64", {{4, 8, 128, 64}, {4, 8, 128, 64}}, {4, 8, 128, 128},
                          {32, 128, 128, 64}));
  // Matrix chains: the order that minimises FLOPs differs between the two.
  all.push_back(chain_case(8, 512, 8, 512, 8));
  all.push_back(chain_case(512, 8, 512, 8, 8));
  // Memory-bound: elements read + written per call.
  const index_t n = 1024;
  all.push_back(memory_case("i,j->ij", "n=1024", {{n}, {n}}, {n, n}, double(2 * n + n * n)));
  all.push_back(memory_case("ii->", "n=1024", {{n, n}}, {}, double(n + 1)));
  all.push_back(memory_case("ii->i", "n=1024", {{n, n}}, {n}, double(2 * n)));
  all.push_back(memory_case("bii->bi", "b=16,n=1024", {{16, n, n}}, {16, n}, double(2 * 16 * n)));
  all.push_back(memory_case("ij->i", "n=1024", {{n, n}}, {n}, double(n * n + n)));
  return all;
}

}  // namespace

const std::vector<Case>& cases() {
  static const std::vector<Case> all = make_cases();
  return all;
}

std::size_t element_count(const Shape& s) {
  std::size_t n = 1;
  for (index_t e : s) n *= static_cast<std::size_t>(e);
  return n;
}

template <class T>
Operands<T>::Operands(const Case& c) : out(element_count(c.output)) {
  std::uint64_t state = 0x9E3779B97F4A7C15ull;
  for (const Shape& s : c.inputs) {
    Buffer<T> b(element_count(s));
    for (std::size_t i = 0; i < b.size(); ++i) {
      state = state * 6364136223846793005ull + 1442695040888963407ull;
      b[i] = T(static_cast<int>((state >> 33) % 129) - 64) / T(64);  // k/64, k in [-64, 64]
    }
    in.push_back(std::move(b));
  }
}
template struct Operands<float>;
template struct Operands<double>;

template <class T>
void permute(const T* src, const Shape& src_shape, const std::vector<int>& perm, T* dst) {
  const std::size_t r = src_shape.size();
  std::vector<index_t> src_stride(r, 1), dst_extent(r), stride(r), at(r, 0);
  for (std::size_t d = r; d-- > 1;) src_stride[d - 1] = src_stride[d] * src_shape[d];
  for (std::size_t d = 0; d < r; ++d) {
    dst_extent[d] = src_shape[perm[d]];
    stride[d] = src_stride[perm[d]];
  }
  const std::size_t total = element_count(src_shape);
  for (std::size_t i = 0; i < total; ++i) {
    index_t off = 0;
    for (std::size_t d = 0; d < r; ++d) off += at[d] * stride[d];
    dst[i] = src[off];
    for (std::size_t d = r; d-- > 0;) {
      if (++at[d] < dst_extent[d]) break;
      at[d] = 0;
    }
  }
}
template void permute<float>(const float*, const Shape&, const std::vector<int>&, float*);
template void permute<double>(const double*, const Shape&, const std::vector<int>&, double*);

template <class T>
bool arrange_gemm(const Case& c, const Operands<T>& ops, Buffer<T>& a, Buffer<T>& b) {
  const Terms t = split_spec(c.spec);
  if (t.inputs.size() != 2) return false;
  // Output order batch..., M..., N...: M labels come from the first operand read here.
  int x = 0;
  for (char l : t.output) {
    const bool in0 = t.inputs[0].find(l) != std::string::npos, in1 = t.inputs[1].find(l) != std::string::npos;
    if (in0 != in1) {
      x = in0 ? 0 : 1;
      break;
    }
  }
  const std::string& tx = t.inputs[x];
  const std::string& ty = t.inputs[1 - x];
  std::string batch, m, n, k;
  for (char l : t.output) {
    const bool ix = tx.find(l) != std::string::npos, iy = ty.find(l) != std::string::npos;
    (ix && iy ? batch : ix ? m : n) += l;
  }
  for (char l : tx)
    if (t.output.find(l) == std::string::npos) k += l;
  if (t.output != batch + m + n) return false;
  const auto perm_of = [](const std::string& from, const std::string& to) {
    std::vector<int> p;
    for (char l : to) p.push_back(static_cast<int>(from.find(l)));
    return p;
  };
  a = Buffer<T>(ops.in[x].size());
  b = Buffer<T>(ops.in[1 - x].size());
  permute(ops.in[x].data(), c.inputs[x], perm_of(tx, batch + m + k), a.data());
  permute(ops.in[1 - x].data(), c.inputs[1 - x], perm_of(ty, batch + k + n), b.data());
  return true;
}
template bool arrange_gemm<float>(const Case&, const Operands<float>&, Buffer<float>&, Buffer<float>&);
template bool arrange_gemm<double>(const Case&, const Operands<double>&, Buffer<double>&, Buffer<double>&);

std::vector<ChainStep> chain_plan(const std::vector<index_t>& dims) {
  const int n = static_cast<int>(dims.size()) - 1;
  std::vector<std::vector<double>> cost(n, std::vector<double>(n, 0));
  std::vector<std::vector<int>> split(n, std::vector<int>(n, 0));
  for (int len = 2; len <= n; ++len)
    for (int i = 0; i + len - 1 < n; ++i) {
      const int j = i + len - 1;
      cost[i][j] = std::numeric_limits<double>::infinity();
      for (int s = i; s < j; ++s) {
        const double v = cost[i][s] + cost[s + 1][j] + double(dims[i]) * double(dims[s + 1]) * double(dims[j + 1]);
        if (v < cost[i][j]) {
          cost[i][j] = v;
          split[i][j] = s;
        }
      }
    }
  std::vector<ChainStep> steps;
  int next = n;
  const std::function<int(int, int)> build = [&](int i, int j) -> int {
    if (i == j) return i;
    const int s = split[i][j];
    const int l = build(i, s), r = build(s + 1, j);
    steps.push_back({l, r, next, dims[i], dims[s + 1], dims[j + 1]});
    return next++;
  };
  build(0, n - 1);
  steps.back().dst = -1;
  return steps;
}

Terms split_spec(const std::string& spec) {
  Terms t;
  const auto arrow = spec.find("->");
  std::string lhs = spec.substr(0, arrow);
  t.output = spec.substr(arrow + 2);
  std::size_t start = 0;
  while (true) {
    const auto comma = lhs.find(',', start);
    t.inputs.push_back(lhs.substr(start, comma - start));
    if (comma == std::string::npos) break;
    start = comma + 1;
  }
  return t;
}

}  // namespace bench
