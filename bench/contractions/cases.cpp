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

Case memory_case(std::string spec, std::string size, std::vector<Shape> in, Shape out, double elements,
                 Kind kind = Kind::memory) {
  Case c;
  c.spec = std::move(spec);
  c.size = std::move(size);
  c.inputs = std::move(in);
  c.output = std::move(out);
  c.kind = kind;
  c.elements = elements;
  return c;
}

// A bytes-counted case of issue 10 whose every operand and output is read or written once:
// elements = the sum of the operands' and the output's element counts.
Case streamed_case(std::string spec, std::string size, std::vector<Shape> in, Shape out, Kind kind) {
  double elements = double(element_count(out));
  for (const Shape& s : in) elements += double(element_count(s));
  return memory_case(std::move(spec), std::move(size), std::move(in), std::move(out), elements, kind);
}

Case flop_case(std::string spec, std::string size, std::vector<Shape> in, Shape out, Kind kind, double flops) {
  Case c;
  c.spec = std::move(spec);
  c.size = std::move(size);
  c.inputs = std::move(in);
  c.output = std::move(out);
  c.kind = kind;
  c.flops = flops;
  return c;
}

// Issue 10's non-GEMM classes. Sizes: each call moves a few MB to tens of MB in float (out of
// L2, quick to time); unequal extents where a swapped axis would otherwise go unnoticed.
void add_non_gemm_cases(std::vector<Case>& all) {
  // Dots and inner products.
  const index_t v = index_t(1) << 20, n = 1024;
  all.push_back(streamed_case("i,i->", "n=1048576", {{v}, {v}}, {}, Kind::dot));
  all.push_back(streamed_case("ij,ij->", "n=1024", {{n, n}, {n, n}}, {}, Kind::dot));
  // The same with the operands' unit strides on different axes (tr(A B)).
  all.push_back(streamed_case("ij,ji->", "n=1024", {{n, n}, {n, n}}, {}, Kind::dot));
  // Partial reductions of a product over the leading, middle and trailing axis; plain reductions.
  const Shape r3{64, 128, 256};
  const std::string r3_size = "i=64,j=128,k=256";
  all.push_back(streamed_case("ijk,ijk->jk", r3_size, {r3, r3}, {128, 256}, Kind::reduction));
  all.push_back(streamed_case("ijk,ijk->ik", r3_size, {r3, r3}, {64, 256}, Kind::reduction));
  all.push_back(streamed_case("ijk,ijk->ij", r3_size, {r3, r3}, {64, 128}, Kind::reduction));
  all.push_back(streamed_case("ij->i", "n=1024", {{n, n}}, {n}, Kind::reduction));
  all.push_back(streamed_case("ij->j", "n=1024", {{n, n}}, {n}, Kind::reduction));
  // N-ary Hadamard and broadcast products, and the outer product.
  all.push_back(streamed_case("ij,ij->ij", "n=1024", {{n, n}, {n, n}}, {n, n}, Kind::elementwise));
  all.push_back(streamed_case("ij,ij,ij->ij", "n=1024", {{n, n}, {n, n}, {n, n}}, {n, n}, Kind::elementwise));
  all.push_back(streamed_case("ij,ji->ij", "n=1024", {{n, n}, {n, n}}, {n, n}, Kind::elementwise));
  all.push_back(streamed_case("ij,ij->ji", "n=1024", {{n, n}, {n, n}}, {n, n}, Kind::elementwise));
  all.push_back(streamed_case("ij,j->ij", "n=1024", {{n, n}, {n}}, {n, n}, Kind::elementwise));
  all.push_back(streamed_case("bi,ij,bj->bij", "b=32,i=256,j=256", {{32, 256}, {256, 256}, {32, 256}}, {32, 256, 256},
                              Kind::elementwise));
  all.push_back(streamed_case("i,j->ij", "n=1024", {{n}, {n}}, {n, n}, Kind::outer));
  // Permutations of rank 2 to 5 (0.6 to 2 M elements); the matrix transpose's rows are
  // a power of two long (4 KiB of floats), as the 3-d reversal's are (512 B); at n = 768
  // they are 3 KiB (floats; 6 KiB doubles), a square's rows in 4 (2) L1 sets. "ijk->ikj" is
  // a batch of transposes, of 128 x 256 and of 512 x 256 (output rows of 2 KiB floats).
  all.push_back(streamed_case("ij->ji", "n=1024", {{n, n}}, {n, n}, Kind::permutation));
  all.push_back(streamed_case("ij->ji", "n=768", {{768, 768}}, {768, 768}, Kind::permutation));
  all.push_back(streamed_case("ijk->kji", "n=128", {{128, 128, 128}}, {128, 128, 128}, Kind::permutation));
  all.push_back(streamed_case("ijk->ikj", "i=64,j=128,k=256", {r3}, {64, 256, 128}, Kind::permutation));
  all.push_back(streamed_case("ijk->ikj", "i=8,j=512,k=256", {{8, 512, 256}}, {8, 256, 512}, Kind::permutation));
  all.push_back(streamed_case("ijkl->ljki", "i=16,j=32,k=32,l=64", {{16, 32, 32, 64}}, {64, 32, 32, 16},
                              Kind::permutation));
  all.push_back(streamed_case("abcde->edcba", "a=8,b=16,c=16,d=16,e=32", {{8, 16, 16, 16, 32}},
                              {32, 16, 16, 16, 8}, Kind::permutation));
  // GEMV and batched GEMV (memory-bound: counted in bytes).
  all.push_back(streamed_case("ij,j->i", "i=2048,j=1024", {{2048, 1024}, {1024}}, {2048}, Kind::gemv));
  all.push_back(streamed_case("ji,j->i", "i=2048,j=1024", {{1024, 2048}, {1024}}, {2048}, Kind::gemv));
  all.push_back(streamed_case("bij,bj->bi", "b=64,i=256,j=128", {{64, 256, 128}, {64, 128}}, {64, 256}, Kind::gemv));
  // A 1x1 convolution "nchw,kc->nkhw": per image n, Y (k x hw) = W (k x c) X (c x hw); batch {n} does not fold.
  all.push_back(flop_case("nchw,kc->nkhw", "n=32,c=64,h=28,w=28,k=64", {{32, 64, 28, 28}, {64, 64}}, {32, 64, 28, 28},
                          Kind::batched, 2.0 * 32 * 64 * 64 * 28 * 28));
  // Tensor networks. Tucker mode products, i=j=k=64, a=b=c=32, in the order contract k, then i,
  // then j: 2*64^3*32 + 2*32*64*(64*32) + 2*32*32*64*32 FLOPs.
  all.push_back(flop_case("ijk,ai,bj,ck->abc", "i=j=k=64,a=b=c=32", {{64, 64, 64}, {32, 64}, {32, 64}, {32, 64}},
                          {32, 32, 32}, Kind::network,
                          2.0 * 64 * 64 * 64 * 32 + 2.0 * 32 * 64 * 64 * 32 + 2.0 * 32 * 32 * 64 * 32));
  // Two mode products, i=j=k=64, a=b=32: contract i (2*32*64*4096), then j (2*32*32*64*64).
  all.push_back(flop_case("ijk,ai,bj->abk", "i=j=k=64,a=b=32", {{64, 64, 64}, {32, 64}, {32, 64}}, {32, 32, 64},
                          Kind::network, 2.0 * 32 * 64 * 4096 + 2.0 * 32 * 32 * 64 * 64));
  // Tucker of rank 4, i=j=k=l=24, a=b=c=d=12, contract l, then i, j, k: 2*24^4*12 + 2*12*24*6912
  // + 12*2*12*24*288 + 144*2*12*24*12 FLOPs.
  all.push_back(flop_case("ijkl,ai,bj,ck,dl->abcd", "i=j=k=l=24,a=b=c=d=12",
                          {{24, 24, 24, 24}, {12, 24}, {12, 24}, {12, 24}, {12, 24}}, {12, 12, 12, 12}, Kind::network,
                          2.0 * 331776 * 12 + 2.0 * 12 * 24 * 6912 + 12 * 2.0 * 12 * 24 * 288 + 144 * 2.0 * 12 * 24 * 12));
  // MTTKRP, i=j=k=128, r=32: contract k (2*i*j*k*r), then j against B (2*i*j*r).
  all.push_back(flop_case("ijk,jr,kr->ir", "n=128,r=32", {{128, 128, 128}, {128, 32}, {128, 32}}, {128, 32},
                          Kind::network, 2.0 * 128 * 128 * 128 * 32 + 2.0 * 128 * 128 * 32));
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
  // Tall thin products, a matrix times a few columns (M {i} long, N {k} 8 or 32 wide): the
  // direct kernel's and, in double at 32, Eigen's kernel's case (backend/gemm.hpp).
  for (index_t k : {8, 32})
    all.push_back(gemm_case("ij,jk->ik", "i=2048,j=2048,k=" + std::to_string(k), {{2048, 2048}, {2048, k}}, {2048, k},
                            {1, 2048, k, 2048}));
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
  // Small square chains: three products whose cost is mostly the call's own (planning,
  // temporaries, dispatch) beside Eigen's three fixed products.
  for (index_t n : {4, 16})
    all.push_back(chain_case(n, n, n, n, n));
  // Memory-bound diagonals: elements read + written per call. ("i,j->ij" and "ij->i" are
  // with issue 10's classes below, kinds outer and reduction.)
  const index_t n = 1024;
  all.push_back(memory_case("ii->", "n=1024", {{n, n}}, {}, double(n + 1)));
  all.push_back(memory_case("ii->i", "n=1024", {{n, n}}, {n}, double(2 * n)));
  all.push_back(memory_case("bii->bi", "b=16,n=1024", {{16, n, n}}, {16, n}, double(2 * 16 * n)));
  add_non_gemm_cases(all);
  return all;
}

}  // namespace

const char* kind_name(Kind k) {
  static const char* const names[] = {"gemm", "permuted",    "small",       "fused", "chain", "memory",  "dot",
                                      "reduction", "elementwise", "outer", "permutation", "gemv", "batched", "network"};
  return names[static_cast<int>(k)];
}

bool bytes_counted(Kind k) {
  switch (k) {
    case Kind::memory:
    case Kind::dot:
    case Kind::reduction:
    case Kind::elementwise:
    case Kind::outer:
    case Kind::permutation:
    case Kind::gemv:
      return true;
    default:
      return false;
  }
}

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
