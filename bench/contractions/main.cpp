// The runtime suite's driver: counts heap allocations (global operator new is
// replaced in this binary), sets every library's thread count together, registers
// one Google Benchmark per case × element type × implementation × thread count,
// measures the machine's FMA peak, and has two untimed modes:
//
//   ein_bench_contractions [--threads=1,2] [--types=float,double] [--impls=a,b | --skip-impls=a,b]
//                          [--cpu-time] [benchmark flags]
//   ein_bench_contractions --verify    every implementation against a naive oracle; exit 1 on a mismatch
//   ein_bench_contractions --verify=RE only the cases whose id (<spec>/<size>) matches the ECMAScript regex RE
//   ein_bench_contractions --paths     ein's plan (einsum_path) for every case
//   ein_bench_contractions --alloc-check  ein's heap allocations per call in steady state; exit 1 if any
//   ein_bench_contractions --blas-core  the BLAS build and kernel set in use (one line)
//   ein_bench_contractions --cases     the case table, tab-separated (bench/report.py reads it)
//
// Implementations: ein ein_runtime eigen_gemm naive hand_loop eigen_strided eigen_hand blas
// eigen_tensor torch; peak (the FMA peak, named peak/fma/<type>/threads:<n>); and copy, the
// bandwidth line: for every case counted in bytes, a STREAM-style copy (memcpy, one contiguous
// block per thread) of as many bytes as the case reads and writes, named like an
// implementation of that case (<spec>/<size>/<type>/copy/threads:<n>), so a --benchmark_filter
// on the case times both in the same run. --impls/--skip-impls choose what is registered at
// all; --benchmark_filter then selects by name.
// Benchmark names: <spec>/<size>/<type>/<impl>/threads:<n>, e.g.
//   --benchmark_filter='^ij,jk->ik/n=1024/float/(ein|blas)/'
// Counters: FLOPS (or BYTES for the kinds bytes_counted() names) per second of wall time (with
// --cpu-time, 1-thread benchmarks use the thread's CPU time instead: on a machine
// shared with other jobs it leaves out the time the benchmark was not running), and
// allocs: operator new calls per call in steady state (after one warm-up call).
// Layer: bench.
#include <benchmark/benchmark.h>

#include <Eigen/Core>
#include <omp.h>

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <new>
#include <regex>
#include <sstream>
#include <string>
#include <vector>

#include "suite.hpp"

// ---- allocation counting: every operator new of this process goes through here ----
namespace {
std::atomic<std::int64_t> g_allocations{0};

void* counted_alloc(std::size_t n, std::size_t align) {
  g_allocations.fetch_add(1, std::memory_order_relaxed);
  if (n == 0) n = 1;
  if (align <= alignof(std::max_align_t)) return std::malloc(n);
  return std::aligned_alloc(align, (n + align - 1) / align * align);
}
void* must(void* p) {
  if (p == nullptr) throw std::bad_alloc();
  return p;
}
}  // namespace

void* operator new(std::size_t n) { return must(counted_alloc(n, 0)); }
void* operator new[](std::size_t n) { return must(counted_alloc(n, 0)); }
void* operator new(std::size_t n, std::align_val_t a) { return must(counted_alloc(n, std::size_t(a))); }
void* operator new[](std::size_t n, std::align_val_t a) { return must(counted_alloc(n, std::size_t(a))); }
void* operator new(std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void* operator new[](std::size_t n, const std::nothrow_t&) noexcept { return counted_alloc(n, 0); }
void* operator new(std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, std::size_t(a));
}
void* operator new[](std::size_t n, std::align_val_t a, const std::nothrow_t&) noexcept {
  return counted_alloc(n, std::size_t(a));
}
void operator delete(void* p) noexcept { std::free(p); }
void operator delete[](void* p) noexcept { std::free(p); }
void operator delete(void* p, std::size_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete[](void* p, std::size_t, std::align_val_t) noexcept { std::free(p); }
void operator delete(void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete(void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }
void operator delete[](void* p, std::align_val_t, const std::nothrow_t&) noexcept { std::free(p); }

namespace bench {

std::int64_t allocation_count() { return g_allocations.load(std::memory_order_relaxed); }

std::vector<Impl>& impls() {
  static std::vector<Impl> all;
  return all;
}

namespace {
std::vector<std::function<void(int)>>& thread_hooks() {
  static std::vector<std::function<void(int)>> hooks;
  return hooks;
}
}  // namespace

void add_thread_hook(std::function<void(int)> hook) { thread_hooks().push_back(std::move(hook)); }

void set_threads(int threads) {
  omp_set_num_threads(threads);  // ein's loops, OpenBLAS's OpenMP build, ATen's kernels
  Eigen::setNbThreads(threads);  // Eigen's GEMM (ein's GEMM backend and the eigen_gemm baseline)
  for (const auto& hook : thread_hooks()) hook(threads);
}

std::string ein_path_text(const Case& c);  // ein_impls.cpp

namespace {

bool g_cpu_time = false;  // --cpu-time: 1-thread benchmarks time the thread's CPU time

/// Wall time, except 1-thread benchmarks under --cpu-time (every library runs on the calling thread then).
void set_timing(benchmark::internal::Benchmark* b, int threads) {
  if (!(g_cpu_time && threads == 1)) b->UseRealTime();
}

// ---- the oracle: every label combination, accumulated in double ----
// One term of the oracle: its labels, extents and values (a case's operand, or a temporary).
struct DenseTerm {
  std::string labels;
  Shape shape;
  const double* values;
};

std::vector<double> naive_terms(const std::vector<DenseTerm>& in, const std::string& out_labels,
                                const Shape& out_shape) {
  Terms t;
  for (const DenseTerm& d : in) t.inputs.push_back(d.labels);
  t.output = out_labels;
  int extent[128] = {};
  std::string labels;
  for (std::size_t i = 0; i < t.inputs.size(); ++i)
    for (std::size_t d = 0; d < t.inputs[i].size(); ++d) {
      const char l = t.inputs[i][d];
      if (labels.find(l) == std::string::npos) labels += l;
      extent[int(l)] = int(in[i].shape[d]);
    }
  // Per operand and output: the stride each label contributes (a repeated label adds up).
  const auto strides_of = [&](const std::string& term, const Shape& shape) {
    std::vector<index_t> per_label(labels.size(), 0);
    index_t step = 1;
    for (std::size_t d = term.size(); d-- > 0;) {
      per_label[labels.find(term[d])] += step;
      step *= shape[d];
    }
    return per_label;
  };
  std::vector<std::vector<index_t>> in_strides;
  for (std::size_t i = 0; i < t.inputs.size(); ++i) in_strides.push_back(strides_of(t.inputs[i], in[i].shape));
  const std::vector<index_t> out_strides = strides_of(t.output, out_shape);
  std::vector<double> out(element_count(out_shape), 0.0);
  std::vector<index_t> at(labels.size(), 0);
  while (true) {
    double p = 1;
    for (std::size_t i = 0; i < t.inputs.size(); ++i) {
      index_t off = 0;
      for (std::size_t l = 0; l < labels.size(); ++l) off += at[l] * in_strides[i][l];
      p *= in[i].values[std::size_t(off)];
    }
    index_t o = 0;
    for (std::size_t l = 0; l < labels.size(); ++l) o += at[l] * out_strides[l];
    out[std::size_t(o)] += p;
    std::size_t l = labels.size();
    while (l > 0) {
      --l;
      if (++at[l] < extent[int(labels[l])]) break;
      at[l] = 0;
      if (l == 0) return out;
    }
    if (labels.empty()) return out;
  }
}

std::vector<double> naive_einsum(const Case& c, const Operands<double>& ops) {
  const Terms t = split_spec(c.spec);
  std::vector<DenseTerm> in;
  for (std::size_t i = 0; i < t.inputs.size(); ++i) in.push_back({t.inputs[i], c.inputs[i], ops.in[i].data()});
  return naive_terms(in, t.output, c.output);
}

// The same oracle, one operand at a time from the left (for tensor networks too big to walk
// every label combination at once): each step keeps the labels a later operand or the output
// has, and walks only the labels of its two terms.
std::vector<double> naive_pairwise(const Case& c, const Operands<double>& ops) {
  const Terms t = split_spec(c.spec);
  std::vector<double> acc(ops.in[0].data(), ops.in[0].data() + ops.in[0].size());
  std::string acc_labels = t.inputs[0];
  Shape acc_shape = c.inputs[0];
  for (std::size_t i = 1; i < t.inputs.size(); ++i) {
    std::string later = t.output;
    for (std::size_t j = i + 1; j < t.inputs.size(); ++j) later += t.inputs[j];
    std::string keep;
    Shape shape;
    if (i + 1 == t.inputs.size()) {
      keep = t.output;
      shape = c.output;
    } else {
      const std::string both = acc_labels + t.inputs[i];
      for (std::size_t d = 0; d < both.size(); ++d)
        if (later.find(both[d]) != std::string::npos && keep.find(both[d]) == std::string::npos) {
          keep += both[d];
          shape.push_back(d < acc_labels.size() ? acc_shape[d] : c.inputs[i][d - acc_labels.size()]);
        }
    }
    acc = naive_terms({{acc_labels, acc_shape, acc.data()}, {t.inputs[i], c.inputs[i], ops.in[i].data()}}, keep, shape);
    acc_labels = keep;
    acc_shape = shape;
  }
  return acc;
}

double label_product(const Case& c) {
  const Terms t = split_spec(c.spec);
  std::string seen;
  double p = 1;
  for (std::size_t i = 0; i < t.inputs.size(); ++i)
    for (std::size_t d = 0; d < t.inputs[i].size(); ++d)
      if (seen.find(t.inputs[i][d]) == std::string::npos) {
        seen += t.inputs[i][d];
        p *= double(c.inputs[i][d]);
      }
  return p;
}

template <class T>
bool verify_type(const Case& c, const std::vector<double>& ref, const char* type) {
  double scale = 0;
  for (double v : ref) scale = std::max(scale, std::abs(v));
  if (scale == 0) scale = 1;
  const double tol = sizeof(T) == 4 ? 1e-3 : 1e-10;
  bool ok = true;
  for (int threads : {1, 2}) {
    set_threads(threads);
    for (const Impl& impl : impls()) {
      Operands<T> ops(c);
      auto r = impl.factory<T>()(c, ops, threads);
      if (!r) continue;
      r->run();
      r->run();  // the steady-state call is the one checked
      if (r->finish) r->finish();
      double err = 0;
      for (std::size_t i = 0; i < ref.size(); ++i) err = std::max(err, std::abs(double(ops.out[i]) - ref[i]));
      err /= scale;
      const bool good = err <= tol;
      ok = ok && good;
      std::printf("%-4s %-24s %-22s %-6s %-13s threads:%d  max error %.2e\n", good ? "ok" : "FAIL", c.spec.c_str(),
                  c.size.c_str(), type, impl.name.c_str(), threads, err);
    }
  }
  return ok;
}

int run_verify(const std::string& only) {
  bool ok = true;
  const std::regex pattern(only.empty() ? std::string(".*") : only);
  for (const Case& c : cases()) {
    if (!std::regex_search(c.id(), pattern)) continue;
    Operands<double> ops(c);
    std::vector<double> ref;
    if (label_product(c) <= 4e8) {
      ref = naive_einsum(c, ops);
    } else if (c.inputs.size() > 2) {
      ref = naive_pairwise(c, ops);
      std::printf("     %-24s %-22s (reference: the naive oracle, one operand at a time)\n", c.spec.c_str(),
                  c.size.c_str());
    } else {  // too big for the oracle: eigen_gemm in double, itself checked on the smaller cases
      for (const Impl& impl : impls())
        if (impl.name == "eigen_gemm") {
          set_threads(1);
          auto r = impl.f64(c, ops, 1);
          if (r) {
            r->run();
            ref.assign(ops.out.data(), ops.out.data() + ops.out.size());
          }
        }
      std::printf("     %-24s %-22s (reference: eigen_gemm in double)\n", c.spec.c_str(), c.size.c_str());
    }
    if (ref.empty()) {
      std::printf("SKIP %s %s: no reference\n", c.spec.c_str(), c.size.c_str());
      continue;
    }
    ok = verify_type<float>(c, ref, "float") && ok;
    ok = verify_type<double>(c, ref, "double") && ok;
  }
  std::printf("%s\n", ok ? "verify: all implementations agree" : "verify: MISMATCH (see FAIL lines)");
  return ok ? 0 : 1;
}

// ---- steady state: a repeated einsum of the same shapes into an existing tensor allocates nothing ----
template <class T>
bool alloc_check_type(const Case& c, const Impl& impl, const char* type) {
  bool ok = true;
  for (int threads : {1, 2}) {
    set_threads(threads);
    Operands<T> ops(c);
    auto r = impl.factory<T>()(c, ops, threads);
    if (!r) continue;
    r->run();  // the first call may size caches or pools
    constexpr int calls = 3;
    const std::int64_t before = allocation_count();
    for (int i = 0; i < calls; ++i) r->run();
    const double per_call = double(allocation_count() - before) / calls;
    ok = ok && per_call == 0;
    std::printf("%-4s %-24s %-22s %-6s threads:%d  %g allocations per call\n", per_call == 0 ? "ok" : "FAIL",
                c.spec.c_str(), c.size.c_str(), type, threads, per_call);
  }
  return ok;
}

int run_alloc_check() {
  bool ok = true;
  for (const Impl& impl : impls())
    if (impl.name == "ein")
      for (const Case& c : cases()) {
        ok = alloc_check_type<float>(c, impl, "float") && ok;
        ok = alloc_check_type<double>(c, impl, "double") && ok;
      }
  std::printf("%s\n", ok ? "alloc-check: no allocation in steady state" : "alloc-check: ein allocates (see FAIL lines)");
  return ok ? 0 : 1;
}

// ---- one benchmark ----
template <class T>
void run_case(benchmark::State& st, const Case& c, const Impl& impl, int threads) {
  set_threads(threads);
  Operands<T> ops(c);
  std::optional<Runner> r = impl.factory<T>()(c, ops, threads);
  if (!r) {
    st.SkipWithError("case not handled by this implementation");
    return;
  }
  r->run();  // warm-up: first-call work (plans, pools, page faults) is not steady state
  const std::int64_t before = allocation_count();
  for (auto _ : st) {
    r->run();
    benchmark::ClobberMemory();
  }
  const std::int64_t allocations = allocation_count() - before;
  st.counters["allocs"] = double(allocations) / double(st.iterations());
  if (bytes_counted(c.kind))
    st.counters["BYTES"] = benchmark::Counter(c.elements * double(sizeof(T)), benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
  else
    st.counters["FLOPS"] = benchmark::Counter(c.flops, benchmark::Counter::kIsIterationInvariantRate,
                                              benchmark::Counter::kIs1000);
}

// ---- the bandwidth line: a STREAM-style copy of the bytes a case reads and writes ----
// Two arrays of elements/2 each; bytes moved = read + written. Threads: one contiguous block
// each (the same split a hand-parallelised loop uses), memcpy within it.
template <class T>
void copy_bytes(benchmark::State& st, const Case& c, int threads) {
  set_threads(threads);
  const auto n = static_cast<std::size_t>(c.elements / 2);
  Buffer<T> src(n), dst(n);
  for (std::size_t i = 0; i < n; ++i) src[i] = T(i % 64) / T(64);
  const auto copy = [&] {
    if (threads == 1) {
      std::memcpy(dst.data(), src.data(), n * sizeof(T));
      return;
    }
#pragma omp parallel num_threads(threads)
    {
      const std::size_t t = std::size_t(omp_get_thread_num()), nt = std::size_t(omp_get_num_threads());
      const std::size_t begin = n * t / nt, end = n * (t + 1) / nt;
      std::memcpy(dst.data() + begin, src.data() + begin, (end - begin) * sizeof(T));
    }
  };
  copy();  // warm-up: page faults
  for (auto _ : st) {
    copy();
    benchmark::ClobberMemory();
  }
  st.counters["allocs"] = 0;
  st.counters["BYTES"] = benchmark::Counter(2.0 * double(n) * double(sizeof(T)),
                                            benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

// ---- the machine's FMA peak: independent FMA chains on full-width vectors ----
template <class T>
T fma_chains(long iterations) {
  using V = T __attribute__((vector_size(64)));
  constexpr int chains = 12;  // > FMA latency × ports: the units never wait
  V acc[chains];
  for (int a = 0; a < chains; ++a) acc[a] = V{} + T(a) * T(0.01);
  const V x = V{} + T(0.999999), y = V{} + T(1e-6);
  for (long i = 0; i < iterations; ++i)
    for (int a = 0; a < chains; ++a) acc[a] = acc[a] * x + y;
  V s{};
  for (int a = 0; a < chains; ++a) s += acc[a];
  T lanes[sizeof(V) / sizeof(T)];
  std::memcpy(lanes, &s, sizeof s);
  return lanes[0];
}

template <class T>
void peak(benchmark::State& st, int threads) {
  set_threads(threads);
  constexpr long iterations = 1 << 16;
  constexpr double lanes = 64.0 / sizeof(T);
  for (auto _ : st) {
    T sink = 0;
#pragma omp parallel num_threads(threads) reduction(+ : sink)
    sink += fma_chains<T>(iterations);
    benchmark::DoNotOptimize(sink);
  }
  st.counters["FLOPS"] = benchmark::Counter(2.0 * lanes * 12 * iterations * threads,
                                            benchmark::Counter::kIsIterationInvariantRate, benchmark::Counter::kIs1000);
}

std::vector<std::string> split_list(const char* text) {
  std::vector<std::string> v;
  std::stringstream ss(text);
  std::string item;
  while (std::getline(ss, item, ',')) v.push_back(item);
  return v;
}

std::vector<int> parse_list(const char* text) {
  std::vector<int> v;
  for (const std::string& item : split_list(text)) v.push_back(std::atoi(item.c_str()));
  return v;
}

// Which implementations to register: all, those named by --impls, or all but --skip-impls.
struct Selection {
  std::vector<std::string> only, skip;
  [[nodiscard]] bool wants(const std::string& name) const {
    if (!only.empty()) return std::find(only.begin(), only.end(), name) != only.end();
    return std::find(skip.begin(), skip.end(), name) == skip.end();
  }
};

template <class T>
void register_peak(const char* type, const std::vector<int>& thread_counts) {
  for (int threads : thread_counts) {
    const std::string name = "peak/fma/" + std::string(type) + "/threads:" + std::to_string(threads);
    set_timing(benchmark::RegisterBenchmark(name.c_str(), [threads](benchmark::State& st) { peak<T>(st, threads); }),
               threads);
  }
}

template <class T>
void register_cases(const char* type, const std::vector<int>& thread_counts, const Selection& selection) {
  for (const Case& c : cases()) {
    // Which implementations handle this case: asked once, on the case's real operands.
    std::vector<const Impl*> handled;
    {
      Operands<T> probe(c);
      set_threads(1);
      for (const Impl& impl : impls())
        if (selection.wants(impl.name) && impl.factory<T>()(c, probe, 1)) handled.push_back(&impl);
    }
    for (int threads : thread_counts) {
      for (const Impl* impl : handled) {
        const std::string name =
            c.id() + "/" + type + "/" + impl->name + "/threads:" + std::to_string(threads);
        auto* b = benchmark::RegisterBenchmark(name.c_str(), [&c, impl, threads](benchmark::State& st) {
          run_case<T>(st, c, *impl, threads);
        });
        set_timing(b, threads);
      }
      if (bytes_counted(c.kind) && selection.wants("copy")) {
        const std::string name = c.id() + "/" + type + "/copy/threads:" + std::to_string(threads);
        set_timing(benchmark::RegisterBenchmark(name.c_str(), [&c, threads](benchmark::State& st) {
                     copy_bytes<T>(st, c, threads);
                   }),
                   threads);
      }
    }
  }
}

}  // namespace
}  // namespace bench

int main(int argc, char** argv) {
  using namespace bench;
  bool verify = false, paths = false, list = false, alloc_check = false, blas_core = false;
  std::string verify_only;
  std::vector<int> thread_counts{1, 2};
  std::vector<std::string> types{"float", "double"};
  Selection selection;
  std::vector<char*> rest{argv[0]};
  for (int i = 1; i < argc; ++i) {
    if (std::strcmp(argv[i], "--verify") == 0) verify = true;
    else if (std::strncmp(argv[i], "--verify=", 9) == 0) {
      verify = true;
      verify_only = argv[i] + 9;
    }
    else if (std::strcmp(argv[i], "--paths") == 0) paths = true;
    else if (std::strcmp(argv[i], "--cases") == 0) list = true;
    else if (std::strcmp(argv[i], "--alloc-check") == 0) alloc_check = true;
    else if (std::strcmp(argv[i], "--cpu-time") == 0) g_cpu_time = true;
    else if (std::strcmp(argv[i], "--blas-core") == 0) blas_core = true;
    else if (std::strncmp(argv[i], "--threads=", 10) == 0) thread_counts = parse_list(argv[i] + 10);
    else if (std::strncmp(argv[i], "--types=", 8) == 0) types = split_list(argv[i] + 8);
    else if (std::strncmp(argv[i], "--impls=", 8) == 0) selection.only = split_list(argv[i] + 8);
    else if (std::strncmp(argv[i], "--skip-impls=", 13) == 0) selection.skip = split_list(argv[i] + 13);
    else rest.push_back(argv[i]);
  }
  int rest_count = static_cast<int>(rest.size());

  add_ein_impls();
  add_eigen_impls();
  add_eigen_hand_impls();
#ifdef EIN_BENCH_HAVE_BLAS
  add_blas_impls();
#endif
  add_eigen_tensor_impls();
#ifdef EIN_BENCH_HAVE_TORCH
  add_torch_impls();
#endif

  if (blas_core) {
#ifdef EIN_BENCH_HAVE_BLAS
    std::printf("%s\n", blas_description().c_str());
    return 0;
#else
    std::printf("no BLAS baseline in this build\n");
    return 1;
#endif
  }
  if (list) {
    std::printf("spec\tsize\tkind\tbatch\tm\tn\tk\tflops\telements\n");
    for (const Case& c : cases())
      std::printf("%s\t%s\t%s\t%td\t%td\t%td\t%td\t%.0f\t%.0f\n", c.spec.c_str(), c.size.c_str(),
                  kind_name(c.kind), c.gemm.batch, c.gemm.m, c.gemm.n, c.gemm.k, c.flops, c.elements);
    return 0;
  }
  if (paths) {
    for (const Case& c : cases()) std::printf("%s %s\n%s\n", c.spec.c_str(), c.size.c_str(), ein_path_text(c).c_str());
    return 0;
  }
  if (verify) return run_verify(verify_only);
  if (alloc_check) return run_alloc_check();

  for (const std::string& t : types) {
    if (t == "float") {
      if (selection.wants("peak")) register_peak<float>("float", thread_counts);
      register_cases<float>("float", thread_counts, selection);
    } else if (t == "double") {
      if (selection.wants("peak")) register_peak<double>("double", thread_counts);
      register_cases<double>("double", thread_counts, selection);
    } else {
      std::fprintf(stderr, "ein_bench_contractions: unknown type '%s' (float, double)\n", t.c_str());
      return 1;
    }
  }
  const char* wait = std::getenv("OMP_WAIT_POLICY");
  benchmark::AddCustomContext("OMP_WAIT_POLICY", wait ? wait : "(unset)");
#ifdef EIN_BENCH_HAVE_BLAS
  benchmark::AddCustomContext("blas", blas_description());
#endif
#ifdef EIN_BENCH_HAVE_TORCH
  benchmark::AddCustomContext("torch", torch_description());
#endif
  benchmark::AddCustomContext("eigen", std::to_string(EIGEN_WORLD_VERSION) + "." + std::to_string(EIGEN_MAJOR_VERSION) +
                                           "." + std::to_string(EIGEN_MINOR_VERSION) + " (" +
                                           Eigen::SimdInstructionSetsInUse() + ")");
  benchmark::Initialize(&rest_count, rest.data());
  if (benchmark::ReportUnrecognizedArguments(rest_count, rest.data())) return 1;
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
