// ein itself: each spec of the case table as a compile-time einsum over views of
// the shared operands, assigned into an existing ein::Tensor of the right extents
// (the in-place path; steady state should not allocate); and ein_runtime, the
// run-time-spec API on the small GEMM cases. Layer: bench.
#include <algorithm>
#include <memory>
#include <string>
#include <string_view>
#include <tuple>
#include <utility>

#include "ein/ein.hpp"
#include "suite.hpp"

namespace bench {
namespace {

template <std::size_t R>
ein::Extents<R> extents_of(const Shape& s) {
  ein::Extents<R> e{};
  for (std::size_t d = 0; d < R; ++d) e[d] = s[d];
  return e;
}

template <class T, ein::fixed_string S, std::size_t Out, std::size_t... In>
std::optional<Runner> make(const Case& c, Operands<T>& ops) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    auto views = std::make_tuple(ein::TensorView<const T, In>(ops.in[I].data(), extents_of<In>(c.inputs[I]))...);
    auto dest = std::make_shared<ein::Tensor<T, Out>>(extents_of<Out>(c.output));
    Runner r;
    r.run = [dest, views] { std::apply([&](const auto&... v) { *dest = ein::einsum<S>(v...); }, views); };
    r.finish = [dest, &ops] { std::copy_n(dest->data(), ops.out.size(), ops.out.data()); };
    return std::optional<Runner>(std::move(r));
  }(std::make_index_sequence<sizeof...(In)>{});
}

template <ein::fixed_string S, std::size_t Out, std::size_t... In>
std::string path(const Case& c, Operands<float>& ops) {
  return [&]<std::size_t... I>(std::index_sequence<I...>) {
    return ein::einsum_path<S>(ein::TensorView<const float, In>(ops.in[I].data(), extents_of<In>(c.inputs[I]))...)
        .to_string();
  }(std::make_index_sequence<sizeof...(In)>{});
}

template <class T>
using Maker = std::optional<Runner> (*)(const Case&, Operands<T>&);
using PathFn = std::string (*)(const Case&, Operands<float>&);

#define EIN_BENCH_SPECS(X)                 \
  X("ij,jk->ik", 2, 2, 2)                  \
  X("ji,kj->ik", 2, 2, 2)                  \
  X("bij,bjk->bik", 3, 3, 3)               \
  X("ij,lj->li", 2, 2, 2)                  \
  X("bi,ij,bj->b", 1, 2, 2, 2)             \
  X("abcd,cdef->abef", 4, 4, 4)            \
  X("acbd,dcef->abfe", 4, 4, 4)            \
  X("bhqd,bhkd->bhqk", 4, 4, 4)            \
  X("ab,bc,cd,de->ae", 2, 2, 2, 2, 2)      \
  X("i,j->ij", 2, 1, 1)                    \
  X("ii->", 0, 2)                          \
  X("ii->i", 1, 2)                         \
  X("bii->bi", 2, 3)                       \
  X("ij->i", 1, 2)                         \
  X("i,i->", 0, 1, 1)                      \
  X("ij,ij->", 0, 2, 2)                    \
  X("ij,ji->", 0, 2, 2)                    \
  X("ij,ji->ij", 2, 2, 2)                  \
  X("ij,ij->ji", 2, 2, 2)                  \
  X("ijk,ijk->jk", 2, 3, 3)                \
  X("ijk,ijk->ik", 2, 3, 3)                \
  X("ijk,ijk->ij", 2, 3, 3)                \
  X("ij->j", 1, 2)                         \
  X("ij,ij->ij", 2, 2, 2)                  \
  X("ij,ij,ij->ij", 2, 2, 2, 2)            \
  X("ij,j->ij", 2, 2, 1)                   \
  X("bi,ij,bj->bij", 3, 2, 2, 2)           \
  X("ij->ji", 2, 2)                        \
  X("ijk->kji", 3, 3)                      \
  X("ijk->ikj", 3, 3)                      \
  X("ijkl->ljki", 4, 4)                    \
  X("abcde->edcba", 5, 5)                  \
  X("ij,j->i", 1, 2, 1)                    \
  X("ji,j->i", 1, 2, 1)                    \
  X("bij,bj->bi", 2, 3, 2)                 \
  X("nchw,kc->nkhw", 4, 4, 2)              \
  X("ijk,ai,bj,ck->abc", 3, 3, 2, 2, 2)    \
  X("ijk,ai,bj->abk", 3, 3, 2, 2)          \
  X("ijkl,ai,bj,ck,dl->abcd", 4, 4, 2, 2, 2, 2) \
  X("ijk,jr,kr->ir", 2, 3, 2, 2)

// Each spec once, then its output rank, then each input's rank.
template <class T>
Maker<T> lookup(std::string_view spec) {
#define EIN_BENCH_MAKER(S, ...) {S, &make<T, S, __VA_ARGS__>},
  static const std::pair<std::string_view, Maker<T>> table[] = {EIN_BENCH_SPECS(EIN_BENCH_MAKER)};
#undef EIN_BENCH_MAKER
  for (const auto& [s, m] : table)
    if (s == spec) return m;
  return nullptr;
}

PathFn lookup_path(std::string_view spec) {
#define EIN_BENCH_PATH(S, ...) {S, &path<S, __VA_ARGS__>},
  static const std::pair<std::string_view, PathFn> table[] = {EIN_BENCH_SPECS(EIN_BENCH_PATH)};
#undef EIN_BENCH_PATH
  for (const auto& [s, m] : table)
    if (s == spec) return m;
  return nullptr;
}

template <class T>
Factory<T> factory() {
  return [](const Case& c, Operands<T>& ops, int) -> std::optional<Runner> {
    const Maker<T> m = lookup<T>(c.spec);
    if (m == nullptr) return std::nullopt;
    return m(c, ops);
  };
}

// ein_runtime: the run-time-spec API, ein::einsum("ij,jk->ik", A, B), on the small GEMM cases
// (issue 10: at most 0.1 µs per call over the compile-time API ein runs on the same case).
template <class T>
Factory<T> runtime_factory() {
  return [](const Case& c, Operands<T>& ops, int) -> std::optional<Runner> {
    if (c.kind != Kind::small || c.spec != "ij,jk->ik") return std::nullopt;
    const ein::TensorView<const T, 2> a(ops.in[0].data(), extents_of<2>(c.inputs[0]));
    const ein::TensorView<const T, 2> b(ops.in[1].data(), extents_of<2>(c.inputs[1]));
    auto dest = std::make_shared<ein::Tensor<T, 2>>(extents_of<2>(c.output));
    Runner r;
    r.run = [dest, a, b] { *dest = ein::einsum("ij,jk->ik", a, b); };
    r.finish = [dest, &ops] { std::copy_n(dest->data(), ops.out.size(), ops.out.data()); };
    return r;
  };
}

}  // namespace

std::string ein_path_text(const Case& c) {
  Operands<float> ops(c);
  const PathFn p = lookup_path(c.spec);
  return p ? p(c, ops) : "(no ein spec for this case)";
}

void add_ein_impls() {
  impls().push_back({"ein", factory<float>(), factory<double>()});
  impls().push_back({"ein_runtime", runtime_factory<float>(), runtime_factory<double>()});
}

}  // namespace bench
