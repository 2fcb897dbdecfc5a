// Direct strided loops: the backend for steps with no contracted label (outer
// and Hadamard products, batched scaling) and for single-operand steps
// (reductions, diagonals, permutations, copies):
//   out[o] = alpha * sum_s a[o, s] * b[o, s] + beta * out[o]
// where o runs over the output's labels and s over the labels that are summed.
// Layer: backend.
#pragma once

#include <array>
#include <type_traits>

#ifdef _OPENMP
#include <omp.h>
#endif

#include "ein/plan/label_set.hpp"
#include "ein/tensor/strided.hpp"

namespace ein::detail {

// No default member initialisers: loop_contract keeps two arrays of max_labels of
// these per call and fills only what it uses (zeroing them cost more than a
// 1024-element diagonal).
struct LoopDim {
  index_t extent;
  index_t sa, sb, so;
};

/// Sum of a[i * sa] for i < n. Reassociated into independent partial sums, as
/// BLAS's dot is: one chain of adds waits on the add latency per element; several
/// chains overlap, and at unit stride they vectorise.
template <class T>
T strided_sum(const T* a, index_t sa, index_t n) {
  index_t i = 0;
  T total = T(0);
  if (sa == 1) {
    constexpr int lanes = 128 / sizeof(T);  // two cache lines: a few vector registers of partial sums
    T acc[ix(lanes)] = {};
    for (; i + lanes <= n; i += lanes)
      for (int j = 0; j < lanes; ++j) acc[j] += a[i + j];
    for (int j = 0; j < lanes; ++j) total += acc[j];
  } else {
    T acc[4] = {};
    for (; i + 4 <= n; i += 4)
      for (int j = 0; j < 4; ++j) acc[j] += a[(i + j) * sa];
    total = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  }
  for (; i < n; ++i) total += a[i * sa];
  return total;
}

/// Sum of a[i * sa] * b[i * sb] for i < n, reassociated like strided_sum.
template <class T>
T strided_dot(const T* a, index_t sa, const T* b, index_t sb, index_t n) {
  index_t i = 0;
  T total = T(0);
  if (sa == 1 && sb == 1) {
    constexpr int lanes = 128 / sizeof(T);
    T acc[ix(lanes)] = {};
    for (; i + lanes <= n; i += lanes)
      for (int j = 0; j < lanes; ++j) acc[j] += a[i + j] * b[i + j];
    for (int j = 0; j < lanes; ++j) total += acc[j];
  } else {
    T acc[4] = {};
    for (; i + 4 <= n; i += 4)
      for (int j = 0; j < 4; ++j) acc[j] += a[(i + j) * sa] * b[(i + j) * sb];
    total = (acc[0] + acc[1]) + (acc[2] + acc[3]);
  }
  for (; i < n; ++i) total += a[i * sa] * b[i * sb];
  return total;
}

/// o[i * so] = alpha * a[i * sa] + beta * o[i * so] for i < n (copies, diagonals,
/// permutations, scaling), with the common cases as plain loops the compiler vectorises.
template <class T>
void copy_row(T* o, index_t so, const T* a, index_t sa, index_t n, T alpha, T beta) {
  if (beta == T(0)) {
    if (so == 1 && sa == 1) {
      if (alpha == T(1))
        for (index_t i = 0; i < n; ++i) o[i] = a[i];
      else
        for (index_t i = 0; i < n; ++i) o[i] = alpha * a[i];
    } else if (alpha == T(1)) {
      for (index_t i = 0; i < n; ++i) o[i * so] = a[i * sa];
    } else {
      for (index_t i = 0; i < n; ++i) o[i * so] = alpha * a[i * sa];
    }
    return;
  }
  for (index_t i = 0; i < n; ++i) o[i * so] = alpha * a[i * sa] + beta * o[i * so];
}

/// o[i * so] = alpha * a[i * sa] * b[i * sb] + beta * o[i * so] for i < n (outer and
/// Hadamard products); a fresh contiguous row where each operand walks (stride 1)
/// or stays (stride 0) is the common case, and vectorises.
template <class T>
void product_row(T* o, index_t so, const T* a, index_t sa, const T* b, index_t sb, index_t n, T alpha, T beta) {
  if (beta == T(0) && so == 1) {
    const auto run = [&](auto a_unit, auto b_unit) {
      for (index_t i = 0; i < n; ++i)
        o[i] = alpha * a[decltype(a_unit)::value ? i : 0] * b[decltype(b_unit)::value ? i : 0];
    };
    using yes = std::true_type;
    using no = std::false_type;
    if (sa == 0 && sb == 1) return run(no{}, yes{});
    if (sa == 1 && sb == 0) return run(yes{}, no{});
    if (sa == 1 && sb == 1) return run(yes{}, yes{});
  }
  if (beta == T(0))
    for (index_t i = 0; i < n; ++i) o[i * so] = alpha * a[i * sa] * b[i * sb];
  else
    for (index_t i = 0; i < n; ++i) o[i * so] = alpha * a[i * sa] * b[i * sb] + beta * o[i * so];
}

// Odometer over `dims`, moving two input offsets and one output offset; calls body(oa, ob, oo).
template <class Body>
inline void odometer(const LoopDim* dims, int n, index_t oa, index_t ob, index_t oo, Body&& body) {
  for (int d = 0; d < n; ++d)
    if (dims[d].extent == 0) return;
  if (n == 0) {
    body(oa, ob, oo);
    return;
  }
  index_t at[max_labels];  // only the first n - 1 are used: zero just those (this runs per output element)
  for (int d = 0; d + 1 < n; ++d) at[d] = 0;
  const LoopDim& last = dims[n - 1];
  while (true) {
    for (index_t i = 0; i < last.extent; ++i) body(oa + i * last.sa, ob + i * last.sb, oo + i * last.so);
    int d = n - 1;
    while (true) {
      if (--d < 0) return;
      oa += dims[d].sa;
      ob += dims[d].sb;
      oo += dims[d].so;
      if (++at[d] < dims[d].extent) break;
      oa -= dims[d].sa * dims[d].extent;
      ob -= dims[d].sb * dims[d].extent;
      oo -= dims[d].so * dims[d].extent;
      at[d] = 0;
    }
  }
}

/// Elements touched from which a loop nest splits its outermost axis across the
/// OpenMP threads (as the hand-written `omp parallel for` it competes with does).
inline constexpr double parallel_loop_elements = 1 << 20;

/// odometer(dims, n, 0, 0, 0, body), with dims[0] split across threads when the nest
/// touches at least parallel_loop_elements and no parallel region is running.
/// dims[0] must be an output axis (distinct outputs per thread).
template <class Body>
inline void parallel_odometer(const LoopDim* dims, int n, double elements, Body&& body) {
#ifdef _OPENMP
  if (n > 0 && dims[0].extent > 1 && elements >= parallel_loop_elements && omp_get_max_threads() > 1 &&
      !omp_in_parallel()) {
    const LoopDim first = dims[0];
#pragma omp parallel for schedule(static)
    for (index_t i = 0; i < first.extent; ++i) odometer(dims + 1, n - 1, i * first.sa, i * first.sb, i * first.so, body);
    return;
  }
#endif
  (void)elements;
  odometer(dims, n, 0, 0, 0, body);
}

/// out = alpha * contract(a [, b]) + beta * out, by direct loops. `b` may be null.
/// `out` carries exactly the kept labels; every other label of a or b is summed.
template <class T>
void loop_contract(const Strided<const T>& a, const Strided<const T>* b, const Strided<T>& out, T alpha, T beta) {
  LabelSet in_labels, out_labels;
  for (int d = 0; d < a.rank; ++d) in_labels.add(a.labels[ix(d)]);
  if (b)
    for (int d = 0; d < b->rank; ++d) in_labels.add(b->labels[ix(d)]);
  std::array<LoopDim, max_labels> outer, inner;  // (uninitialised: see LoopDim)
  int n_outer = 0, n_inner = 0;
  for (int d = 0; d < out.rank; ++d) {
    const int l = out.labels[ix(d)];
    out_labels.add(l);
    outer[ix(n_outer++)] = {out.extents[ix(d)], a.stride_of(l), b ? b->stride_of(l) : 0, out.strides[ix(d)]};
  }
  (in_labels - out_labels).for_each([&](int l) {
    const int da = a.axis_of(l);
    const index_t extent = da >= 0 ? a.extents[ix(da)] : b->extents[ix(b->axis_of(l))];
    inner[ix(n_inner++)] = {extent, a.stride_of(l), b ? b->stride_of(l) : 0, 0};
  });

  const T* pa = a.data;
  const T* pb = b ? b->data : nullptr;
  T* po = out.data;
  double elements = 1;
  for (int d = 0; d < n_outer; ++d) elements *= double(outer[ix(d)].extent);
  for (int d = 0; d < n_inner; ++d) elements *= double(inner[ix(d)].extent);
  if (n_inner == 0) {  // no sum: one row kernel per run of the last output axis
    if (n_outer == 0) {
      const T value = pb ? pa[0] * pb[0] : pa[0];
      po[0] = beta == T(0) ? alpha * value : alpha * value + beta * po[0];
      return;
    }
    const LoopDim last = outer[ix(n_outer - 1)];
    parallel_odometer(outer.data(), n_outer - 1, elements, [&](index_t oa, index_t ob, index_t oo) {
      if (pb) product_row(po + oo, last.so, pa + oa, last.sa, pb + ob, last.sb, last.extent, alpha, beta);
      else copy_row(po + oo, last.so, pa + oa, last.sa, last.extent, alpha, beta);
    });
    return;
  }
  const auto store = [&](index_t oo, T value) {
    po[oo] = beta == T(0) ? alpha * value : alpha * value + beta * po[oo];
  };
  if (n_inner == 1) {  // one summed label (row sums, traces, dot products)
    const LoopDim in = inner[0];
    parallel_odometer(outer.data(), n_outer, elements, [&](index_t oa, index_t ob, index_t oo) {
      store(oo, pb ? strided_dot(pa + oa, in.sa, pb + ob, in.sb, in.extent) : strided_sum(pa + oa, in.sa, in.extent));
    });
    return;
  }
  parallel_odometer(outer.data(), n_outer, elements, [&](index_t oa, index_t ob, index_t oo) {
    T acc = T(0);
    if (pb)
      odometer(inner.data(), n_inner, oa, ob, 0, [&](index_t ia, index_t ib, index_t) { acc += pa[ia] * pb[ib]; });
    else
      odometer(inner.data(), n_inner, oa, 0, 0, [&](index_t ia, index_t, index_t) { acc += pa[ia]; });
    store(oo, acc);
  });
}

}  // namespace ein::detail
